"""The planning report: criticality, scenarios, recommended composition, practice, frontier."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import numpy as np

from critmat.report.html import page, table_html, write_page
from critmat.usecases.pages import PlanPage

__all__ = ["composition_figure", "write_plan_report"]


def _fig(fig: object) -> str:
    return str(fig.to_html(full_html=False, include_plotlyjs=False))  # type: ignore[attr-defined]


def _criticality(res: PlanPage) -> str:
    import plotly.express as px

    a = res.assessment
    a = a[a["is_bottleneck"] & a["score"].notna()].sort_values("score", ascending=False)
    fig = px.bar(
        a,
        x="material",
        y="score",
        color="stage",
        hover_data=["hhi", "top1_country", "import_reliance", "source"],
        title="EU-method supply risk at the bottleneck stage (critical above 1.0)",
    )
    fig.add_hline(y=1.0, line_dash="dot")
    fig.update_layout(height=380)
    return _fig(fig)


def _fans(res: PlanPage) -> str:
    import plotly.graph_objects as go

    paths = res.unmet_paths
    if paths is None:
        return ""
    q = res.composition.set_index("material")["p95_shortfall_t"].dropna()
    top = list(q.sort_values(ascending=False).index[:6])
    fig = go.Figure()
    months = np.arange(paths.shape[2])
    for mat in top:
        i = res.materials.index(mat)
        lo, med, hi = np.quantile(paths[:, i, :], [0.05, 0.5, 0.95], axis=0)
        unit = f"t {res.basis[i]}"
        fig.add_scatter(
            x=months, y=hi, mode="lines", name=f"{mat} P95 ({unit})", line={"dash": "dot"}
        )
        fig.add_scatter(x=months, y=med, mode="lines", name=f"{mat} median ({unit})")
        del lo
    fig.update_layout(
        height=380,
        title="Unmet demand without a reserve (t of each material's basis per month; median "
        "and P95 of the evaluation runs kept as paths)",
        yaxis_title="t of the basis / month",
    )
    return _fig(fig)


def _composition(res: PlanPage) -> str:
    return _fig(composition_figure(res))


def composition_figure(res: PlanPage) -> Any:
    """USD m per material: the optimum, current holdings and three practice rules, from the
    same stocks as the comparison table (``res.plan_stocks``)."""
    import plotly.graph_objects as go

    fig = go.Figure()
    planned = res.composition.set_index("material").reindex(res.materials)
    fig.add_bar(x=res.materials, y=planned["optimal_usd"] / 1e6, name="critmat optimum")
    fig.add_bar(x=res.materials, y=planned["current_t"] * res.price0 / 1e6, name="current")
    for rule in ("jogmec_60d", "iea_90d_net_imports", "nds_p90_shortfall"):
        if rule in res.plan_stocks.index:  # the same stocks as the comparison table
            x = res.plan_stocks.loc[rule, res.materials].to_numpy(np.float64)
            fig.add_bar(x=res.materials, y=x * res.price0 / 1e6, name=rule)
    fig.update_layout(
        barmode="group",
        height=420,
        yaxis_title="USD million",
        title="Recommended composition vs current holdings vs rules (same budget)",
    )
    return fig


def _frontier(res: PlanPage) -> str:
    import plotly.graph_objects as go

    f = res.frontier
    fig = go.Figure()
    fig.add_scatter(
        x=f["spent_usd"] / 1e6,
        y=f["expected_loss_usd"] / 1e6,
        mode="lines+markers",
        name="expected loss",
    )
    fig.add_scatter(
        x=f["spent_usd"] / 1e6,
        y=f["cvar_loss_usd"] / 1e6,
        mode="lines+markers",
        name=f"CVaR {res.alpha:.0%} of loss",
    )
    symbols = ["star", "circle", "square", "diamond", "triangle-up", "x", "cross", "hexagon"]
    for k, r in enumerate(res.comparison.to_dict("records")):
        # one legend entry per plan instead of text labels that overlap when plans are close
        fig.add_scatter(
            x=[float(r["spent_usd"]) / 1e6],
            y=[float(r["expected_loss_usd"]) / 1e6],
            mode="markers",
            marker={"symbol": symbols[k % len(symbols)], "size": 12},
            name=f"{r['plan']} (expected loss)",
        )
    fig.update_layout(
        height=440,
        xaxis_title="spent, USD million",
        yaxis_title="USD million",
        title="Efficient frontier: spending vs loss (evaluation scenarios)",
    )
    return _fig(fig)


def _decisions(res: PlanPage) -> str:
    """Sections 8+: the decisions beyond the sizing, when asked for (plan --policy ...)."""
    out = []
    for n, (title, (tables, notes)) in enumerate(res.extras.items(), start=8):
        body = "".join(table_html(t) for t in tables.values())
        note = "".join(f"<li>{html.escape(x)}</li>" for x in notes)
        out.append(f"<h2>{n}. {html.escape(title)}</h2>{body}<ul class='note'>{note}</ul>")
    return "".join(out)


def _how_sure(res: PlanPage) -> str:
    """Tornado of the total cost and the ranges on the tonnes (with --sensitivity)."""
    if res.sensitivity is None or res.tonnes_ranges is None:
        return (
            "<h2>7. How sure</h2><p>Run <code>critmat plan ... --sensitivity</code> for the "
            "tornado over the major assumptions and ranges on the tonnes.</p>"
        )
    import plotly.graph_objects as go

    sens = res.sensitivity[res.sensitivity["total_cost_usd"].notna()]
    order = (
        sens.groupby("assumption")["delta_total_cost_usd"]
        .apply(lambda d: float(d.abs().max()))
        .sort_values()
        .index.tolist()
    )
    fig = go.Figure()
    for setting, colour in (("low", "rgb(31,119,180)"), ("high", "rgb(214,39,40)")):
        sel = sens[sens["setting"] == setting].set_index("assumption").reindex(order)
        labels = [
            f"{setting} {v:g} {u}".strip()
            for v, u in zip(sel["value"], sel["unit"].fillna(""), strict=True)
        ]
        fig.add_bar(
            y=order,
            x=sel["delta_total_cost_usd"] / 1e6,
            orientation="h",
            name=setting,
            marker_color=colour,
            text=labels,
            textposition="auto",
        )
    fig.update_layout(
        barmode="overlay",
        height=120 + 60 * len(order),
        title="Tornado: change of the re-planned total cost against the base plan (USD m)",
        xaxis_title="USD million",
    )
    return (
        f"<h2>7. How sure</h2>{_fig(fig)}{table_html(res.sensitivity)}"
        f"<h3>Ranges on the tonnes</h3>{table_html(res.tonnes_ranges)}"
    )


def write_plan_report(res: PlanPage, out: str | Path) -> Path:
    """Write the planning report."""
    g = res.gap
    gap_html = (
        f"<p>SAA bounds (Mak, Morton &amp; Wood 1999): lower {g['lower'] / 1e6:,.1f} ± "
        f"{g['lower_halfwidth'] / 1e6:,.1f} USD m ({g['batches']:.0f} batches), upper "
        f"{g['upper'] / 1e6:,.1f} ± {g['upper_halfwidth'] / 1e6:,.1f} USD m "
        f"({g['eval_scenarios']:,.0f} fresh scenarios); optimality gap "
        f"{g['gap'] / 1e6:,.1f} USD m, 95% bound {g['gap_bound95'] / 1e6:,.1f} USD m.</p>"
        if g is not None
        else "<p>SAA bounds are computed for the expectation objective only.</p>"
    )
    sim_loss, sim_none = res.expected_loss_usd, res.expected_loss_nostock_usd
    prov = "".join(
        f"<li><b>{html.escape(k)}</b>: {html.escape(v)}</li>" for k, v in res.provenance.items()
    )
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in res.notes)
    timings = ", ".join(f"{k} {v:.1f} s" for k, v in res.timings.items())
    scenarios = res.provenance.get("scenario set", "").split(":")[0]
    sub = (
        f"{scenarios + ' scenarios; ' if scenarios else ''}money in nominal USD, tonnes of each "
        "material's basis; every figure's source under 'Where the numbers come from'"
    )
    body = f"""
<h1>critmat - stockpile plan: {html.escape(res.holder)}, budget {res.budget:,.0f} USD</h1>
<p class="sub">{html.escape(sub)}</p>
<h2>Summary</h2><ul>{"".join(f"<li>{html.escape(x)}</li>" for x in res.summary)}</ul>
<h2>Where the numbers come from</h2><ul class="note">{prov}</ul><ul class="note">{notes}</ul>
<p class="note">Run time: {html.escape(timings)}.</p>
<h2>1. Criticality</h2>{_criticality(res)}
<h2>2. Scenarios</h2>{_fans(res)}
<h2>3. Recommended stockpile</h2>{_composition(res)}
{table_html(res.composition)}
<h2>4. Against practice (same budget)</h2>{table_html(res.comparison)}
<p class="note">Full monthly re-simulation of the recommended stock on the evaluation runs
(release at most {res.max_release_share:.0%} of monthly base demand):
expected loss {sim_loss / 1e6:,.1f} USD m with the reserve vs {sim_none / 1e6:,.1f} USD m
without.</p>
<h2>5. Efficient frontier</h2>{_frontier(res)}{table_html(res.frontier)}
<h2>6. Optimality gap</h2>{gap_html}
{_how_sure(res)}
{_decisions(res)}
"""
    return write_page(out, page(f"critmat plan {res.holder}", body))
