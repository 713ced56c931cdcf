"""The data report: one self-contained HTML page about the shipped dataset.

Sections: coverage per material, supply by country per stage for one material, a concentration
ranking across materials, price histories, and the spread between USGS and World Mining Data.
Every number shown is computed from the dataset at run time; every chart names its sources.
The page embeds plotly.js, so it opens offline.
"""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from critmat.data.dataset import Dataset, UnknownChoiceError
from critmat.data.views import supply_by_country
from critmat.report.html import page, table_html, write_page
from critmat.usecases.pages import DataOverview

__all__ = ["write_data_report"]

#: (material, case-insensitive pattern on the price form, label): one series across USGS editions.
PRICE_INDEX_SERIES: tuple[tuple[str, str, str], ...] = (
    ("lithium", r"^battery-grade lithium carbonate", "lithium carbonate, battery grade"),
    ("cobalt", r"^LME cash", "cobalt, LME cash"),
    ("nickel", r"^LME cash", "nickel, LME cash"),
    ("neodymium", r"^neodymium oxide 99\.5%", "Nd oxide 99.5%"),
    ("dysprosium", r"^dysprosium oxide 99\.5%", "Dy oxide 99.5%"),
    ("palladium", r"^(?:palladium annual average|Engelhard)", "palladium"),
)


def _fig_html(fig: object) -> str:
    return str(fig.to_html(full_html=False, include_plotlyjs=False))  # type: ignore[attr-defined]


def _supply_chart(ds: Dataset, material: str) -> tuple[str, str]:
    import plotly.express as px
    import plotly.graph_objects as go

    mat = ds.resolve_material(material)
    fig = go.Figure()
    notes = []
    palette = px.colors.qualitative.Plotly + px.colors.qualitative.Set2
    colours: dict[str, str] = {}
    for stage in ("mining", "refining"):
        try:
            t = supply_by_country(ds, mat, stage=stage)
        except UnknownChoiceError:
            continue
        rows = t.rows.head(8)
        rest = float(t.rows["share"].iloc[8:].sum())
        for _, r in rows.iterrows():
            name = str(r["name"])
            first = name not in colours
            colours.setdefault(name, palette[len(colours) % len(palette)])
            fig.add_bar(
                y=[f"{stage} {t.year}"],
                x=[100 * float(r["share"])],
                name=name,
                orientation="h",
                legendgroup=name,
                showlegend=first,
                marker_color=colours[name],
                hovertemplate=f"{name}: %{{x:.1f}}%<extra>{t.dataset}</extra>",
            )
        if rest > 0:
            fig.add_bar(
                y=[f"{stage} {t.year}"],
                x=[100 * rest],
                name="smaller producers",
                orientation="h",
                marker_color="lightgrey",
                legendgroup="smaller",
                showlegend="smaller producers" not in colours,
            )
            colours.setdefault("smaller producers", "lightgrey")
        notes.append(
            f"{stage}: {t.dataset} {t.year} "
            + ("(shares only); " if t.share_only else f"({t.unit}, {t.basis} basis); ")
            + "; ".join(sorted(set(t.rows["source"]))[:2])
        )
    fig.update_layout(
        barmode="stack",
        title=f"{mat}: share of supply by country and stage (%)",
        xaxis_title="share of supply (%)",
        height=360,
    )
    return _fig_html(fig), "<br>".join(html.escape(n) for n in notes)


def _concentration_chart(rank: pd.DataFrame) -> str:
    import plotly.express as px

    df = rank.assign(hhi_10000=rank["hhi"] * 1e4)
    order = df.groupby("material")["hhi_10000"].max().sort_values(ascending=False).index.tolist()
    fig = px.bar(
        df,
        x="material",
        y="hhi_10000",
        color="stage",
        barmode="group",
        category_orders={"material": order},
        hover_data=["year", "dataset", "top_country", "top_share", "status"],
        title="Supply concentration (HHI, 0-10,000 scale; lower bound) by material and stage",
    )
    fig.add_hline(y=2500, line_dash="dot", annotation_text="2,500: highly concentrated")
    fig.update_layout(height=420, yaxis_title="HHI (0-10,000)")
    return _fig_html(fig)


def _price_index_chart(ds: Dataset) -> str:
    import plotly.graph_objects as go

    pr = ds.prices
    fig = go.Figure()
    for mat, pattern, label in PRICE_INDEX_SERIES:
        g = pr[(pr["material"] == mat) & pr["form"].str.contains(pattern, case=False, regex=True)]
        g = g[g["status"] != "proxy"].dropna(subset=["value"])
        if g.empty:
            continue
        # one value per year: newest edition wins (editions revise earlier estimates)
        g = g.sort_values(["year", "edition"]).drop_duplicates("year", keep="last")
        base = float(g["value"].iloc[0])
        fig.add_scatter(
            x=g["year"],
            y=100 * g["value"] / base,
            mode="lines+markers",
            name=f"{label} ({g['unit'].iloc[0]}, {int(g['year'].iloc[0])} = 100)",
        )
    fig.update_layout(
        title="Price history, indexed to the first year shown = 100 (nominal USD, log scale)",
        yaxis_type="log",
        yaxis_title="index",
        height=420,
    )
    return _fig_html(fig)


def _material_price_chart(series: pd.DataFrame, skipped: list[str], material: str) -> str:
    import plotly.graph_objects as go

    fig = go.Figure()
    for name, g in series.groupby("series", sort=False):
        proxy = bool(g["proxy"].iloc[0])
        fig.add_scatter(
            x=g["year"],
            y=g["usd_per_t"],
            mode="lines+markers",
            name=str(name) + (" (proxy)" if proxy else ""),
            line={"dash": "dot" if proxy else "solid"},
        )
    fig.update_layout(
        title=f"{material}: every price series in USD per t of the quoted form "
        "(log scale; dotted = BACI unit-value proxy)",
        yaxis_type="log",
        yaxis_title="USD per t of the quoted form",
        height=420,
    )
    note = (
        f"<p class='note'>Not shown (no conversion to USD/t): {html.escape(', '.join(skipped))}</p>"
        if skipped
        else ""
    )
    return _fig_html(fig) + note


def write_data_report(
    ds: Dataset, overview: DataOverview, out: str | Path, *, material: str = "cobalt"
) -> Path:
    """Write the data report to ``out`` (directories are created) and return its path; the
    tables come computed in ``overview`` (critmat.services.data)."""
    mat = ds.resolve_material(material)
    cov, rank, spread = overview.coverage, overview.ranking, overview.spread
    supply_html, supply_notes = _supply_chart(ds, mat)
    rows = ds.shipped_rows()
    overlay = (
        "<p class='note'>Overlay files: "
        + ", ".join(html.escape(str(o.path)) for o in ds.overlays)
        + "</p>"
        if ds.overlays
        else ""
    )
    body = f"""
<h1>critmat - reference dataset report</h1>
<p class="sub">{sum(rows.values()):,} rows in {len(rows)} tables; every figure carries source,
year, unit and status (docs/data.md).</p>{overlay}
<h2>1. Supply by country: {html.escape(mat)}</h2>
{supply_html}<p class="note">{supply_notes}</p>
<h2>2. Concentration ranking</h2>
{_concentration_chart(rank)}
<p class="note">HHI over named countries; "other countries" rows add nothing to the sum of
squares, so each value is a lower bound. Source per bar in the hover text.</p>
{table_html(rank)}
<h2>3. Prices</h2>
{_price_index_chart(ds)}
{_material_price_chart(overview.prices, overview.prices_skipped, mat)}
<p class="note">USGS Mineral Commodity Summaries (editions 2019-2026), Argus via USGS; BACI unit
values (CEPII) are a proxy, not exchange prices.</p>
<h2>4. Coverage</h2>
{table_html(cov)}
<h2>5. Cross-source spread, world mine production 2024: USGS vs World Mining Data</h2>
{table_html(spread)}
<p class="note">Converted to a common unit and basis by critmat.data.units. Spreads of 10-15%
between sources are common (different coverage, estimates and revisions).</p>
<p class="note">Data licences: USGS (public domain); World Bank WGI (CC BY 4.0); CEPII BACI
(Etalab Licence Ouverte 2.0); World Mining Data (BMF Austria, with attribution); IEA Critical
Minerals Data Explorer (CC BY 4.0). See DATA_LICENSES.md.</p>
"""
    return write_page(out, page("critmat data report", body))
