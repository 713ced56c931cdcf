"""The assessment page: criticality matrix, stage concentration, HHI trend, the result table."""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
import pandas as pd

from critmat.report.html import page, table_html, write_page
from critmat.usecases.pages import AssessResult

__all__ = ["write_assess_report"]


def _fig(fig: object) -> str:
    return str(fig.to_html(full_html=False, include_plotlyjs=False))  # type: ignore[attr-defined]


def _matrix(res: pd.DataFrame, ei_threshold: float, sr_threshold: float) -> str:
    import plotly.express as px

    eu = res[(res["method"] == "eu-crm") & res["is_bottleneck"]].copy()
    if eu.empty:
        return "<p>No eu-crm results (run with --method eu-crm or all).</p>"
    eu["import_value_musd"] = eu["import_value_kusd"].fillna(0.0) / 1e3
    eu["bubble"] = np.sqrt(eu["import_value_musd"].clip(lower=0.0)) + 1.0
    if eu["ei"].notna().any():
        fig = px.scatter(
            eu.dropna(subset=["ei", "sr"]),
            x="ei",
            y="sr",
            size="bubble",
            text="material",
            hover_data=["stage", "source", "import_value_musd", "defaults"],
            title="Criticality matrix: economic importance vs supply risk (bubble: import value)",
        )
        fig.add_vline(x=ei_threshold, line_dash="dot")
        fig.add_hline(y=sr_threshold, line_dash="dot")
        note = ""
    else:
        fig = px.scatter(
            eu.dropna(subset=["sr"]),
            x="import_value_musd",
            y="sr",
            size="bubble",
            text="material",
            log_x=True,
            hover_data=["stage", "source", "defaults"],
            title="Supply risk vs import value (EI not computed: no sector GVA input)",
        )
        fig.add_hline(y=sr_threshold, line_dash="dot", annotation_text="SR = 1.0")
        note = (
            "<p class='note'>Economic importance needs gross value added by NACE sector, which "
            "the dataset does not hold: pass it with <code>--inputs</code> (docs/methods.md). "
            "Until then the matrix plots supply risk against the holder's import value.</p>"
        )
    fig.update_traces(textposition="top center")
    fig.update_layout(height=520)
    return _fig(fig) + note


def _stage_bars(res: pd.DataFrame) -> str:
    import plotly.express as px

    # one bar per material and stage (the source the assessment used first; hover names it),
    # never two sources stacked on one bar
    first = res.drop_duplicates(["material", "stage"])
    first = first.assign(hhi_10000=first["hhi"] * 1e4, controller=first["hhi_by_controller"] * 1e4)
    fig = px.bar(
        first,
        x="material",
        y="hhi_10000",
        color="stage",
        barmode="group",
        hover_data=["source", "data_year", "top1_country", "top1_share", "controller"],
        title="Concentration by stage (HHI 0-10,000, lower bound; hover: by controlling country)",
    )
    fig.add_hline(y=2500, line_dash="dot", annotation_text="2,500")
    fig.update_layout(height=420)
    return _fig(fig)


def _trend(tr: pd.DataFrame) -> str:
    import plotly.express as px

    if tr.empty:
        return ""
    fig = px.line(
        tr.assign(hhi_10000=tr["hhi"] * 1e4),
        x="year",
        y="hhi_10000",
        color="material",
        markers=True,
        hover_data=["top1_country", "top1_share"],
        title="Mine-production concentration over time (World Mining Data 2018-2024, HHI 0-10,000)",
    )
    fig.update_layout(height=460)
    return _fig(fig)


def _sourcing(sourcing: dict[str, pd.DataFrame], holder: str, year: int) -> str:
    import plotly.express as px
    import plotly.graph_objects as go

    fig = go.Figure()
    shown: set[str] = set()
    palette = px.colors.qualitative.Dark24 + px.colors.qualitative.Light24
    colours: dict[str, str] = {}
    for mat, mix in sourcing.items():
        if mix.empty:
            continue
        top = mix.head(6)
        rest = float(mix["share"].iloc[6:].sum())
        for _, r in top.iterrows():
            partner = str(r["partner"])
            colours.setdefault(partner, palette[len(colours) % len(palette)])
            fig.add_bar(
                x=[mat],
                y=[100 * float(r["share"])],
                name=partner,
                text=[partner],
                textposition="inside",
                marker_color=colours[partner],
                legendgroup=partner,
                showlegend=partner not in shown,
                hovertemplate=f"{r['name']}: %{{y:.1f}}% (g={r['g']:.2f})<extra>{mat}</extra>",
            )
            shown.add(str(r["partner"]))
        if rest > 0:
            fig.add_bar(
                x=[mat],
                y=[100 * rest],
                name="others",
                marker_color="lightgrey",
                legendgroup="others",
                showlegend="others" not in shown,
            )
            shown.add("others")
    if not shown:
        return "<p>No import data for these materials in the shipped trade extract.</p>"
    fig.update_layout(
        barmode="stack",
        height=440,
        yaxis_title="share of imports (t, %)",
        title=f"Where {holder}'s imports come from, {year} (CEPII BACI; extra-bloc for EU27)",
    )
    return _fig(fig)


def write_assess_report(res: AssessResult, out: str | Path) -> Path:
    """Write the assessment page for a :class:`critmat.usecases.pages.AssessResult`."""
    result = res.table
    holder, year = res.holder, res.year
    ranking = result[result["is_bottleneck"]].pivot_table(
        index="material", columns="method", values="score", aggfunc="max"
    )
    ranking = ranking.sort_values(by=list(ranking.columns[:1]), ascending=False)
    cols = [
        "material",
        "stage",
        "method",
        "source",
        "data_year",
        "score",
        "is_bottleneck",
        "hhi",
        "hhi_wgi",
        "import_reliance",
        "defaults",
        "notes",
    ]
    body = f"""
<h1>critmat - assessment: {html.escape(holder)} {year}</h1>
<p class="sub">Methods: {html.escape(", ".join(sorted(set(result["method"]))))}. Every
intermediate term is in the CSV/JSON output (<code>critmat assess --format csv</code>).</p>
<h2>1. Criticality</h2>{_matrix(result, res.ei_threshold, res.sr_threshold)}
<h2>2. Ranking (bottleneck stage)</h2>{table_html(ranking.reset_index())}
<h2>3. Concentration by stage</h2>{_stage_bars(result)}
<h2>4. Concentration over time</h2>{_trend(res.trend)}
<h2>5. Import sourcing</h2>{_sourcing(res.sourcing, holder, year)}
<h2>6. Results</h2>{table_html(result[[c for c in cols if c in result.columns]])}
"""
    return write_page(out, page(f"critmat assessment {holder} {year}", body))
