"""Shared HTML plumbing for critmat's self-contained report pages."""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from critmat.errors import CritmatError
from critmat.glossary import terms_in
from critmat.report.numbers import sig

__all__ = ["CSS", "glossary_html", "page", "table_html", "write_page"]

CSS = """
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1200px;color:#222}
h1{margin-bottom:0} .sub{color:#666;margin-top:.2rem}
table.data{border-collapse:collapse;font-size:.85rem;margin:1rem 0}
table.data th,table.data td{padding:.2rem .5rem;border-bottom:1px solid #ddd;text-align:left}
.note{color:#555;font-size:.85rem}
.glossary dt{font-weight:600} .glossary dd{margin:0 0 .4rem 1rem}
.plotly-graph-div{max-width:100%}
"""


def table_html(df: pd.DataFrame, digits: int = 3) -> str:
    """A DataFrame as an HTML table with compact number formatting: significant figures, grouped
    digits, never an exponent; years as years (2023, not 2,023)."""
    years = [str(c) for c in df.columns if str(c) == "year" or str(c).endswith("_year")]
    years = [c for c in years if df[c].dtype.kind in "fi"]
    if years:
        df = df.assign(**{c: [_year(v) for v in df[c]] for c in years})
    return df.to_html(
        index=False,
        na_rep="",
        float_format=lambda v: f"{v:,.0f}" if abs(v) >= 1000 else sig(v, digits),
        border=0,
        classes="data",
    )


def _year(v: float) -> str:
    return "" if pd.isna(v) else str(round(v))


def glossary_html(body: str) -> str:
    """Footnotes defining the glossary terms the page uses (critmat.glossary)."""

    found = terms_in(html.unescape(body))
    if not found:
        return ""
    items = "".join(
        f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in sorted(found.items())
    )
    return f"<h2>Glossary</h2><dl class='note glossary'>{items}</dl>"


def page(title: str, body: str) -> str:
    """A complete page embedding plotly.js, so it opens offline, with the glossary of the terms
    it uses at the bottom."""
    import plotly.offline

    body = body + glossary_html(body)

    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{CSS}</style><script>{plotly.offline.get_plotlyjs()}</script></head>"
        f"<body>{body}</body></html>"
    )


def write_page(out: str | Path, text: str) -> Path:
    """Write atomically (temporary file, then rename): no half-written page is left behind."""

    path = Path(out)
    if path.is_dir():
        raise CritmatError(f"{path} is a directory; give a file name")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)  # nothing is left behind, whatever failed
    return path
