"""The forecast pages: demand projections with bands next to the IEA's, backtest plots, price
forecasts with intervals, the early-warning index with the events marked. They draw computed
results (the page models of critmat.usecases.pages) and compute nothing."""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from critmat.report.html import page, table_html, write_page

if TYPE_CHECKING:
    from critmat.usecases.pages import DemandPage, PriceForecast, WarningResult

__all__ = [
    "demand_figure",
    "price_backtest_figure",
    "price_figure",
    "warning_figure",
    "write_demand_report",
    "write_price_report",
    "write_warning_report",
]

BLUE = "rgb(31,119,180)"
BAND = "rgba(31,119,180,0.25)"


def _grid(n: int, cols: int = 3) -> tuple[int, int]:
    return (n + cols - 1) // cols, cols


def _laid_out(fig: Any, height: int, most: int) -> Any:
    """The pages' common layout: responsive width, capped height, legend under the panels."""
    fig.update_layout(
        height=min(height, most),
        autosize=True,
        margin={"l": 40, "r": 20, "t": 60, "b": 60},
        legend={"orientation": "h", "x": 0, "y": -0.04, "yanchor": "top"},
    )
    return fig


def _add_band(
    fig: Any, x: Any, lo: Any, hi: Any, *, name: str, colour: str, legend: bool, row: int, col: int
) -> None:
    """A filled band between ``lo`` and ``hi`` (an invisible upper line, then the lower one
    filled up to it)."""
    fig.add_scatter(x=x, y=hi, mode="lines", line={"width": 0}, showlegend=False,
                    hoverinfo="skip", row=row, col=col)  # fmt: skip
    fig.add_scatter(x=x, y=lo, mode="lines", fill="tonexty", fillcolor=colour, line={"width": 0},
                    name=name, legendgroup=name, showlegend=legend, row=row, col=col)  # fmt: skip


def _fig_html(fig: Any) -> str:
    if fig is None:
        return "<p class='note'>Nothing to draw.</p>"
    return str(
        fig.to_html(
            full_html=False,
            include_plotlyjs=False,
            default_width="100%",
            config={"responsive": True},
        )
    )


def demand_figure(res: DemandPage, *, holder: bool = False) -> Any:
    """One panel per material: the projection (central line, p10-p90 band), the recorded world
    production (proxy) and the IEA's projection for the same scenario (markers)."""
    from plotly.subplots import make_subplots

    data = res.holder_table if holder else res.world[res.world["sector"] == "total"]
    if data is None or data.empty:
        return None
    mats = list(dict.fromkeys(data["material"]))
    rows, cols = _grid(len(mats))
    basis = data.groupby("material", sort=False)["basis"].first()
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=[f"{m} (t/yr {basis[m]})" for m in mats],
        vertical_spacing=min(0.1, 0.6 / rows),
    )
    iea = res.iea
    scopes_shown: set[str] = set()
    for i, m in enumerate(mats):
        g = data[data["material"] == m]
        r, c = i // cols + 1, i % cols + 1
        first = i == 0
        _add_band(fig, g["year"], g["low_t"], g["high_t"], name="p10-p90", colour=BAND,
                  legend=first, row=r, col=c)  # fmt: skip
        fig.add_scatter(
            x=g["year"],
            y=g["demand_t"],
            mode="lines",
            line={"color": BLUE, "width": 2},
            name="critmat projection",
            legendgroup="c",
            showlegend=first,
            row=r,
            col=c,
        )
        if not holder and not iea.empty:
            _add_iea(fig, iea[iea["material"] == m], res.iea_scenario, scopes_shown, r, c)
        if not holder and not res.backtest.empty:
            b = res.backtest[res.backtest["material"] == m]
            if len(b):
                fig.add_scatter(
                    x=b["year"],
                    y=b["recorded_t"],
                    mode="markers",
                    marker={"size": 6, "color": "#444"},
                    name="recorded world production",
                    legendgroup="rec",
                    showlegend=first,
                    row=r,
                    col=c,
                )
    return _laid_out(fig, 260 * rows + 90, 2200)


def _add_iea(
    fig: Any, q: pd.DataFrame, iea_scenario: str | None, scopes_shown: set[str], r: int, c: int
) -> None:
    """The IEA's projection of a material (markers; open where the IEA covers clean
    technologies only, with critmat's own clean-technology part beside it)."""
    if len(q):
        scope = str(q["scope"].iloc[0])
        clean = scope != "total demand"
        fig.add_scatter(
            x=q["year"],
            y=q["iea_t"],
            mode="markers",
            marker={
                "symbol": "diamond-open" if clean else "diamond",
                "size": 9,
                "color": "#d62728",
            },
            name=f"IEA 2025 ({iea_scenario}; {scope} only)"
            if clean
            else f"IEA 2025 ({iea_scenario}; total demand)",
            legendgroup=f"iea-{scope}",
            showlegend=scope not in scopes_shown,
            row=r,
            col=c,
        )
        if clean:  # critmat's own clean-technology part, comparable with the IEA's
            fig.add_scatter(
                x=q["year"],
                y=q["critmat_t"],
                mode="markers",
                marker={"symbol": "circle-open", "size": 8, "color": BLUE},
                name="critmat, clean technologies only (EV, wind, solar)",
                legendgroup="c-clean",
                showlegend=scope not in scopes_shown,
                row=r,
                col=c,
            )
        scopes_shown.add(scope)


def backtest_figure(res: DemandPage) -> Any:
    """Recorded demand against the backtest variants, one panel per material."""
    from plotly.subplots import make_subplots

    b = res.backtest
    if b.empty:
        return None
    mats = list(dict.fromkeys(b["material"]))
    rows, cols = _grid(len(mats), 4)
    fig = make_subplots(
        rows=rows, cols=cols, subplot_titles=mats, vertical_spacing=min(0.1, 0.6 / rows)
    )
    styles = {
        "recorded_t": ("recorded", "#444", "solid"),
        "known_drivers_t": ("drivers known at origin", BLUE, "solid"),
        "recorded_drivers_t": ("recorded drivers", "#2ca02c", "dash"),
        "naive_t": ("no change", "#999", "dot"),
    }
    for i, m in enumerate(mats):
        g = b[b["material"] == m]
        r, c = i // cols + 1, i % cols + 1
        for col, (name, color, dash) in styles.items():
            fig.add_scatter(
                x=g["year"],
                y=g[col],
                name=name,
                legendgroup=name,
                showlegend=i == 0,
                line={"color": color, "dash": dash},
                row=r,
                col=c,
            )
    return _laid_out(fig, 220 * rows + 90, 1800)


def write_demand_report(res: DemandPage, out: str | Path) -> Path:
    """Projections with bands and the IEA's, the holder's, substitution, backtest."""
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in res.projection_notes)
    subst = res.substitution
    last = subst[subst["year"] == subst["year"].max()] if not subst.empty else subst
    body = f"""
<h1>critmat - demand projection: {html.escape(res.title)}</h1>
<p class="sub">{html.escape(res.description)} Years {res.base_year}-{res.end_year}; band: 10th-90th
percentile over draws within the labelled ranges.</p>
<ul class="note">{notes}</ul>
<h2>World demand</h2>{_fig_html(demand_figure(res))}
{
        ""
        if res.holder_table is None
        else "<h2>Holder "
        + html.escape(res.holder or "")
        + "</h2>"
        + _fig_html(demand_figure(res, holder=True))
    }
<h2>Against the IEA (2025)</h2>{table_html(res.iea) if not res.iea.empty else ""}
<h2>Substitution and technology shift ({int(last["year"].max()) if len(last) else ""})</h2>
<p class="note">Demand with the scenario's chemistry and magnet paths against the mix and
composition frozen at {res.base_year}.</p>{table_html(last)}
<h2>Backtest from {int(res.backtest["year"].min()) - 1 if not res.backtest.empty else ""}</h2>
{_fig_html(backtest_figure(res))}{table_html(res.backtest_summary)}
<h2>Assumptions</h2>{table_html(res.assumptions)}
"""
    return write_page(out, page(f"critmat demand {res.name}", body))


def price_figure(res: PriceForecast, series: list[str] | None = None) -> Any:
    """History (last 10 years) and the forecast with its 80 % and 95 % intervals per series."""
    from plotly.subplots import make_subplots

    f = res.forecasts
    if f.empty:
        return None
    labels = series or list(dict.fromkeys(f["series"]))
    rows, cols = _grid(len(labels), 2)
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=[s[:60] for s in labels],
        vertical_spacing=min(0.1, 0.6 / rows),
    )
    for i, s in enumerate(labels):
        g = f[f["series"] == s]
        h = res.history[res.history["series"] == s].tail(120 if len(g) > 6 else 12)
        r, c = i // cols + 1, i % cols + 1
        first = i == 0
        fig.add_scatter(
            x=h["period"],
            y=h["value"],
            line={"color": "#444"},
            name="recorded",
            legendgroup="h",
            showlegend=first,
            row=r,
            col=c,
        )
        for lo, hi, alpha, name in (("lo95", "hi95", 0.15, "95 %"), ("lo80", "hi80", 0.3, "80 %")):
            _add_band(fig, g["period"], g[lo], g[hi], name=f"{name} interval",
                      colour=f"rgba(31,119,180,{alpha})", legend=first, row=r, col=c)  # fmt: skip
        fig.add_scatter(
            x=g["period"],
            y=g["mean"],
            line={"color": BLUE, "width": 2},
            name="forecast (median)",
            legendgroup="f",
            showlegend=first,
            row=r,
            col=c,
        )
        fig.layout.annotations[i].text = f"{s[:50]} ({g['model'].iloc[0]}, {g['unit'].iloc[0]})"
    return _laid_out(fig, 280 * rows + 90, 3000)


def price_backtest_figure(res: PriceForecast) -> Any:
    """Per series: the recorded values over the backtest period and the forecast path from each
    rolling origin of the model shown (thin lines), so misses are visible, not only averaged."""
    from plotly.subplots import make_subplots

    d = res.detail
    if d.empty:
        return None
    shown = res.forecasts.groupby("series", sort=False)["model"].first()
    labels = [s for s in shown.index if s in set(d["series"])]
    rows, cols = _grid(len(labels), 2)
    fig = make_subplots(
        rows=rows,
        cols=cols,
        vertical_spacing=min(0.1, 0.6 / rows),
        subplot_titles=[f"{s[:45]} ({shown[s]})" for s in labels],
    )
    for i, s in enumerate(labels):
        g = d[(d["series"] == s) & (d["model"] == shown[s])]
        r, c = i // cols + 1, i % cols + 1
        first = i == 0
        actual = g.drop_duplicates("target").sort_values("target")
        fig.add_scatter(
            x=actual["target"].astype(str),
            y=actual["actual"],
            name="recorded",
            line={"color": "#444"},
            legendgroup="a",
            showlegend=first,
            row=r,
            col=c,
        )
        for k, (_origin, o) in enumerate(g.groupby("origin")):
            fig.add_scatter(
                x=o["target"].astype(str),
                y=o["mean"],
                mode="lines",
                line={"color": BLUE, "width": 1},
                name="forecast from each origin",
                legendgroup="f",
                showlegend=first and k == 0,
                row=r,
                col=c,
            )
    return _laid_out(fig, 260 * rows + 90, 3000)


def write_price_report(res: PriceForecast, out: str | Path) -> Path:
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in res.notes)
    body = f"""
<h1>critmat - price forecasts</h1>
<p class="sub">Naive, ETS and ARIMA backtested from rolling origins; the forecast shown uses the
model with the lowest MASE only where it beats the naive forecast.</p>
<ul class="note">{notes}</ul>
{_fig_html(price_figure(res))}
<h2>Backtest: MASE and interval coverage per model</h2>{table_html(res.summary)}
<h2>Backtest plots: the forecasts from each origin against the record</h2>
{_fig_html(price_backtest_figure(res))}
"""
    return write_page(out, page("critmat price forecasts", body))


def warning_figure(res: WarningResult, materials: list[str] | None = None) -> Any:
    """The index over time per material, with the events' start years marked."""
    from plotly.subplots import make_subplots

    idx = res.index
    mats = materials or list(dict.fromkeys(idx["material"]))
    rows, cols = _grid(len(mats), 4)
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=mats,
        shared_yaxes=True,
        vertical_spacing=min(0.1, 0.6 / rows),
    )
    ev = res.events
    shown = False
    for i, m in enumerate(mats):
        g = idx[idx["material"] == m]
        r, c = i // cols + 1, i % cols + 1
        fig.add_scatter(
            x=g["year"],
            y=g["index"],
            line={"color": BLUE},
            name="index",
            legendgroup="i",
            showlegend=i == 0,
            row=r,
            col=c,
        )
        e = ev[ev["material"] == m] if not ev.empty else pd.DataFrame()
        if len(e):
            fig.add_scatter(
                x=e["start_year"],
                y=e["index_at_start"],
                mode="markers+text",
                text=e["event_id"],
                textposition="top center",
                marker={"color": "#d62728", "size": 9, "symbol": "x"},
                name="recorded event (start)",
                legendgroup="e",
                showlegend=not shown,
                row=r,
                col=c,
            )
            shown = True
    return _laid_out(fig, 200 * rows + 90, 2000)


def write_warning_report(res: WarningResult, out: str | Path) -> Path:
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in res.notes)
    body = f"""
<h1>critmat - early-warning index</h1>
<p class="sub">Six signals (price momentum and volatility, exporter concentration, governance of
the suppliers, recent restrictions by them, climate hazard), robust z-scores, weighted mean; the
multiplier of the disruption rates is clip(exp(beta x index), 0.5, 4).</p>
<ul class="note">{notes}</ul>
<h2>Now</h2>{table_html(res.current)}
<h2>Over time, with the recorded events</h2>{_fig_html(warning_figure(res))}
<h2>Backtest: did it rise before each event?</h2>{table_html(res.events)}
<h2>False alarms</h2>{table_html(res.alarms)}
<h2>Weights</h2>{table_html(res.weights)}
"""
    return write_page(out, page("critmat early warning", body))
