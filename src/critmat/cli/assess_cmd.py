"""``critmat assess``: criticality and supply risk for a holder and year."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from critmat.cli.output import (
    Format,
    FormatOpt,
    HolderOpt,
    HtmlOpt,
    OutOpt,
    check_html,
    check_out,
    dataset_from,
    emit_frame,
    emit_outcome,
    friendly,
)

if TYPE_CHECKING:
    import pandas as pd


class Method(StrEnum):
    """Assessment methods (docs/methods.md, "Assess")."""

    eu_crm = "eu-crm"
    usgs = "usgs"
    geopolrisk = "geopolrisk"
    all = "all"


class GprBasis(StrEnum):
    """The basis GeoPolRisk runs on (docs/methods.md 5.4)."""

    as_traded = "as_traded"
    content = "content"


GprBasisOpt = Annotated[
    GprBasis,
    typer.Option(
        help="GeoPolRisk basis: as_traded (as its papers: gross t of the HS headings, World "
        "Mining Data production, trade unit value) or content (the holder's balance on the "
        "material's basis)."
    ),
]


class EuShares(StrEnum):
    """Which supply shares the EU method uses (docs/methods.md, "EU 2023 inputs")."""

    auto = "auto"
    eu2023 = "eu2023"
    dataset = "dataset"


class Sources(StrEnum):
    """Which production source(s) to use for shares."""

    auto = "auto"
    usgs = "usgs"
    wmd = "wmd"
    all = "all"


def _summary(result: pd.DataFrame) -> pd.DataFrame:
    """A compact, readable view of the tidy result (the full frame goes to csv/json)."""
    import pandas as pd

    r = result.sort_values(["method", "score"], ascending=[True, False], na_position="last")

    def pct(v: float) -> str:
        return "" if pd.isna(v) else f"{100 * v:.0f}%"

    return pd.DataFrame(
        {
            "material": r["material"],
            "stage": r["stage"] + r["is_bottleneck"].map({True: " *", False: ""}),
            "method": r["method"],
            "score": r["score"].round(3),
            "EI": r["ei"].round(2) if "ei" in r else float("nan"),
            "critical": r["critical"]
            .map({True: "yes", False: "no"})
            .fillna(r["critical_note"].fillna("").str.split(":").str[0])
            if "critical" in r
            else "",
            "HHI": r["hhi"].round(3),
            "top supplier": r["top1_country"] + " " + r["top1_share"].map(pct),
            "IR": r["import_reliance"].map(pct),
            "balance": r["balance_method"],
            "source": r["source"] + " " + r["data_year"].astype(str),
        }
    )


@friendly
def assess(
    ctx: typer.Context,
    holder: HolderOpt,
    year: Annotated[int, typer.Option(help="Year (trade data cover 2015-2024).")],
    method: Annotated[Method, typer.Option(help="Index to compute.")] = Method.all,
    material: Annotated[
        list[str] | None,
        typer.Option(
            "--material", "-m", help="Material (repeatable); default: all seed materials."
        ),
    ] = None,
    sources: Annotated[
        Sources, typer.Option(help="Production source for shares: auto, usgs, wmd or all.")
    ] = Sources.auto,
    inputs: Annotated[
        Path | None,
        typer.Option(help="YAML file of inputs the dataset lacks (substitution, GVA, ...)."),
    ] = None,
    eu_shares: Annotated[
        EuShares,
        typer.Option(
            help="EC 2023 published supply and EU sourcing shares: auto (where the dataset's "
            "are thinner), eu2023 (always) or dataset (never)."
        ),
    ] = EuShares.auto,
    gpr_basis: GprBasisOpt = GprBasis.as_traded,
    fmt: FormatOpt = Format.table,
    html: HtmlOpt = None,
    out: OutOpt = None,
) -> None:
    """Which materials are at risk for a holder, at which stage, and why (every term shown)."""
    from critmat.services.assess import (
        AssessRequest,
        assess_result,
        run_assess,
        write_assess_report,
    )

    check_out(fmt, out)
    check_html(html)
    ds = dataset_from(ctx)
    req = AssessRequest(
        holder=holder,
        year=year,
        methods=None if method is Method.all else [method.value],
        materials=material,
        sources=sources.value,
        inputs=inputs,
        eu_shares=eu_shares.value,
        gpr_basis=gpr_basis.value,
    )
    res = run_assess(ds, req, details=html is not None)
    result = res.table
    if html is not None:
        path = write_assess_report(res, html)
        typer.echo(f"wrote {path.resolve()}", err=True)
    if emit_outcome(assess_result(ds, res), fmt, out):
        return
    view = _summary(result)
    n_defaults = int((result["defaults"] != "").sum())
    caption = (
        f"{len(result)} rows; {n_defaults} use a documented default (see the 'defaults' column "
        "with --format csv/json). Scores: eu-crm = EU supply risk SR (critical if SR >= 1.0 and "
        "EI >= 2.8); usgs = DP x TE x EV; geopolrisk = HHI x WTA. '*' = bottleneck stage. "
        "IR = import reliance on each material's basis; balance = how the holder's supply was "
        "measured (usgs_salient, trade_content, eu_sourcing, group_split, world_supply)."
    )
    missing = result[result["assessment"] != "assessed"]
    for mat in sorted(set(missing["material"])):
        why = missing.loc[missing["material"] == mat, "notes"].iloc[0]
        caption += f"\n{mat}: not assessed ({why})"
    if "critical_note" in result:
        unplaced = result[result["critical_note"].fillna("") != ""]
        for (mat, stage), g in unplaced.groupby(["material", "stage"], sort=True):
            caption += f"\n{mat} {stage}: EU criticality {g['critical_note'].iloc[0]}"
    emit_frame(view, fmt, title=f"Assessment: {result['holder'].iloc[0]} {year}", caption=caption)
