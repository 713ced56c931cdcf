"""The simulation page: fan charts (median and 5-95% band) and the summary table, drawn from the
computed :class:`critmat.usecases.pages.SimPage` (the page computes nothing)."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from critmat.report.html import page, table_html, write_page
from critmat.usecases.pages import SimPage

__all__ = ["fan_figure", "write_sim_report"]


def fan_figure(fans: Any, variable: str, title: str) -> Any:
    """Small multiples of one variable: the band and the median of the fan table, 3 per row."""
    from plotly.subplots import make_subplots

    d = fans[fans["variable"] == variable]
    mats = list(dict.fromkeys(d["material"]))
    if not mats:
        return None
    cols = 3
    rows = (len(mats) + cols - 1) // cols
    units = d.groupby("material", sort=False)["unit"].first()
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=[f"{m} ({units[m]})" for m in mats],
        horizontal_spacing=0.08,
        vertical_spacing=min(0.12, 0.6 / rows),
    )
    for i, mat in enumerate(mats):
        g = d[d["material"] == mat]
        r, c = i // cols + 1, i % cols + 1
        fig.add_scatter(x=g["month"], y=g["p95"], line={"width": 0}, showlegend=False,
                        row=r, col=c, hoverinfo="skip")  # fmt: skip
        fig.add_scatter(
            x=g["month"], y=g["p05"], fill="tonexty", line={"width": 0.5, "color": "#9ecae1"},
            fillcolor="rgba(31,119,180,0.30)", showlegend=i == 0, name="5-95% of runs",
            legendgroup="band", row=r, col=c,
        )  # fmt: skip
        fig.add_scatter(
            x=g["month"], y=g["p50"], line={"color": "rgb(31,119,180)", "width": 2},
            showlegend=i == 0, name="median", legendgroup="median", row=r, col=c,
        )  # fmt: skip
    fig.update_layout(
        height=min(260 * rows + 80, 1400),
        width=None,
        autosize=True,
        margin={"l": 40, "r": 20, "t": 80, "b": 30},
        title=title,
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom"},
    )
    return fig


def _fig_html(fig: Any) -> str:
    if fig is None:
        return "<p>No paths kept.</p>"
    return str(
        fig.to_html(full_html=False, include_plotlyjs=False, default_width="100%",
                    config={"responsive": True})
    )  # fmt: skip


def write_sim_report(p: SimPage, out: str | Path) -> Path:
    """Write fan charts of unmet demand, price and stock plus the summary table."""
    note_html = "".join(f"<li>{html.escape(n)}</li>" for n in p.notes)
    stock = (
        _fig_html(fan_figure(p.fans, "stock", "Stockpile per month: median and 5-95% band"))
        if p.has_stock
        else "<p class='note'>No stockpile in this run (pass --stockpile FILE to simulate one).</p>"
    )
    body = f"""
<h1>critmat - simulation: {html.escape(p.scenario)}</h1>
<p class="sub">Holder {html.escape(p.holder)}, base year {p.year},
{p.runs:,} runs, seed {p.seed}; fan charts from the first {p.paths_kept:,} runs;
summary from all runs.</p>
<ul class="note">{note_html}</ul>
<h2>Summary</h2>{table_html(p.summary)}
<h2>Unmet demand</h2>{
        _fig_html(
            fan_figure(
                p.fans,
                "unmet",
                "Unmet demand per month (t of each material's basis): median and 5-95% band",
            )
        )
    }
<h2>Price</h2>{
        _fig_html(
            fan_figure(
                p.fans,
                "price",
                "Price paid by the holder (USD per t of the basis): median and 5-95% band",
            )
        )
    }
<h2>Stock</h2>{stock}
"""
    return write_page(out, page(f"critmat simulation {p.scenario}", body))
