"""The simulation page: fan charts (median and 5-95% band) and the summary table."""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np

from critmat.report.html import page, table_html, write_page
from critmat.sim.run import SimResult

__all__ = ["write_sim_report"]


def _fan(res: SimResult, variable: str, title: str, unit: str) -> str:
    from plotly.subplots import make_subplots

    data = res.paths.get(variable)
    if data is None or data.shape[0] == 0:
        return "<p>No paths kept.</p>"
    touched = sorted(set(res.events.mat.tolist()))
    moving = [i for i in range(data.shape[1]) if float(np.ptp(data[:, i, :])) > 0]
    keep = sorted(set(touched) | set(moving)) or list(range(data.shape[1]))
    data = data[:, keep, :]
    mats = [res.market.materials[i] for i in keep]
    bases = [res.market.basis[i] for i in keep]
    cols = 3
    rows = int(np.ceil(len(mats) / cols))
    titles = [f"{m} ({unit} {b})".replace("  ", " ") for m, b in zip(mats, bases, strict=True)]
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles)
    months = np.arange(res.horizon)
    for i, _m in enumerate(mats):
        lo, med, hi = np.quantile(data[:, i, :], [0.05, 0.5, 0.95], axis=0)
        r, c = i // cols + 1, i % cols + 1
        fig.add_scatter(
            x=months, y=hi, line={"width": 0}, showlegend=False, row=r, col=c, hoverinfo="skip"
        )
        fig.add_scatter(
            x=months,
            y=lo,
            fill="tonexty",
            line={"width": 0},
            showlegend=False,
            fillcolor="rgba(31,119,180,0.25)",
            row=r,
            col=c,
            name="5-95%",
        )
        fig.add_scatter(
            x=months,
            y=med,
            line={"color": "rgb(31,119,180)"},
            showlegend=False,
            row=r,
            col=c,
            name="median",
        )
    fig.update_layout(
        height=max(320, 260 * rows),
        title=f"{title} ({unit} of each material's basis): median and 5-95% band; materials "
        "touched by the scenario",
    )
    return str(fig.to_html(full_html=False, include_plotlyjs=False))


def write_sim_report(res: SimResult, out: str | Path, notes: list[str]) -> Path:
    """Write fan charts of unmet demand, price and stock plus the summary table."""
    n_paths = next(iter(res.paths.values())).shape[0] if res.paths else 0
    note_html = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
    body = f"""
<h1>critmat - simulation: {html.escape(res.scenario)}</h1>
<p class="sub">Holder {html.escape(res.market.holder)}, base year {res.market.year},
{res.runs:,} runs, seed {res.seed}; fan charts from the first {n_paths:,} runs;
summary from all runs.</p>
<ul class="note">{note_html}</ul>
<h2>Summary</h2>{table_html(res.summary())}
<h2>Unmet demand</h2>{_fan(res, "unmet", "Unmet demand per month", "t/month")}
<h2>Price</h2>{_fan(res, "price", "Price paid by the holder", "USD/t")}
<h2>Stock</h2>{_fan(res, "stock", "Stockpile", "t")}
"""
    return write_page(out, page(f"critmat simulation {res.scenario}", body))
