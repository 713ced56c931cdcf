"""The brief as one self-contained HTML page with a print stylesheet (critmat.report.brief)."""

from __future__ import annotations

import html

from critmat.report.brief import Brief
from critmat.report.numbers import sig

__all__ = ["PRINT_CSS", "brief_html"]


def _svg_bars(data: list[tuple[str, float]]) -> str:
    """A horizontal bar chart as inline SVG (spend per material, USD m)."""
    if not data:
        return ""
    width, bar, gap, left = 640, 18, 6, 110
    top = max(v for _, v in data) or 1.0
    height = len(data) * (bar + gap) + 30
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
             f'width="100%" role="img" aria-label="Spend per material, USD m">']  # fmt: skip
    for i, (name, v) in enumerate(data):
        y = i * (bar + gap) + 4
        w = (width - left - 90) * v / top
        parts.append(
            f'<text x="{left - 6}" y="{y + bar - 5}" text-anchor="end" font-size="12">'
            f"{html.escape(name)}</text>"
            f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar}" fill="#3b6ea5"/>'
            f'<text x="{left + w + 4:.1f}" y="{y + bar - 5}" font-size="12">{sig(v)}</text>'
        )
    parts.append(f'<text x="{left}" y="{height - 6}" font-size="11" fill="#555">'
                 "spend per material, USD m</text></svg>")  # fmt: skip
    return "".join(parts)


PRINT_CSS = """
body{font-family:Georgia,serif;max-width:46rem;margin:1.5rem auto;color:#111;font-size:11pt}
h1{font-size:17pt;margin:0} h2{font-size:12pt;margin:1rem 0 .3rem} .sub{color:#555;margin:0}
table{border-collapse:collapse;font-size:9.5pt;margin:.3rem 0}
th,td{padding:.1rem .5rem;border-bottom:1px solid #ccc;text-align:left}
td.n,th.n{text-align:right} .small{font-size:8.5pt;color:#333} code{font-size:8.5pt}
@page{size:A4;margin:15mm}
@media print{body{margin:0;max-width:none} h2{break-after:avoid} table,svg{break-inside:avoid}}
"""


def _table(rows: list[list[str]]) -> str:
    if len(rows) < 2:
        return ""
    head = "".join(f"<th>{html.escape(c)}</th>" for c in rows[0])
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows[1:]
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def brief_html(b: Brief) -> str:
    """The brief as one self-contained HTML page with a print stylesheet."""
    e = html.escape
    assumptions = "".join(f"<li><b>{e(k)}</b>: {e(v)}</li>" for k, v in b.assumptions)
    notes = "".join(f"<li>{e(n)}</li>" for n in b.notes)
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{e(b.title)}</title>"
        f"<style>{PRINT_CSS}</style></head><body>"
        f"<h1>{e(b.title)}</h1><p class='sub'>{e(b.subtitle)}</p>"
        f"<h2>The decision</h2><p>{e(b.decision)}</p>{_table(b.holdings)}"
        f"<h2>The money</h2>{_table(b.money)}"
        f"<h2>The band</h2><p>{e(b.band)}</p>{_svg_bars(b.chart)}"
        f"<h2>Sources and assumptions</h2><ul class='small'>{assumptions}</ul>"
        + (f"<ul class='small'>{notes}</ul>" if notes else "")
        + f"<p class='small'>Re-run: <code>{e(b.command)}</code></p></body></html>"
    )
