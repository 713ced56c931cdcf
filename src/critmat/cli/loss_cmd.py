"""``critmat loss``: the loss of a tonne short per material, with its derivation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from critmat.cli.output import (
    Format,
    FormatOpt,
    OutOpt,
    YearOpt,
    check_out,
    dataset_from,
    emit_frame,
    emit_outcome,
    friendly,
)

if TYPE_CHECKING:
    import pandas as pd


@friendly
def loss(
    ctx: typer.Context,
    holder: Annotated[str, typer.Option(help="Holder whose market is built.")] = "EU27",
    year: YearOpt = 2023,
    dependency: Annotated[
        float,
        typer.Option(
            min=0.0,
            max=1.0,
            help="Share of the using sectors' value added lost per share of the material "
            "missing (assumption; range 0.01-0.10).",
        ),
    ] = 0.03,
    industries: Annotated[
        bool,
        typer.Option(
            "--industries",
            help="Instead: the industries using each material in the holder's input-output "
            "table and what a 1% cut of their output costs GDP, theirs and their suppliers' "
            "(USA, BEA 2017; docs/methods.md 6.8).",
        ),
    ] = False,
    material: Annotated[
        list[str] | None, typer.Option("--material", "-m", help="With --industries: these only.")
    ] = None,
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
) -> None:
    """Loss per tonne short from downstream value added (docs/methods.md 6.7)."""
    import pandas as pd

    from critmat.services.loss import loss_outcome
    from critmat.usecases.requests import LossRequest

    check_out(fmt, out)
    req = LossRequest(holder=holder, year=year, dependency=dependency, industries=industries,
                      materials=material)  # fmt: skip
    outcome = loss_outcome(dataset_from(ctx), req)
    if emit_outcome(outcome, fmt, out):
        return
    if industries:
        _industries(outcome.tables["industries"], fmt)
        return
    table = outcome.tables["loss_per_tonne"]
    code = str(outcome.fields["holder"])
    threshold = float(outcome.readme["outage_threshold"])
    line_stop = float(outcome.readme["loss_line_stop"])

    def usd(v: float) -> str:
        return "" if v != v else f"{v:,.0f}"

    view = pd.DataFrame(
        {
            "material": table["material"],
            "basis": table["basis"],
            "VA at stake USD/t": table["value_added_usd_per_t"].map(usd),
            "SI_EI": table["si_ei"].map("{:.2f}".format),
            "price USD/t": table["price_usd_per_t"].map(usd),
            "loss USD/t": table["loss_usd_per_t"].map(usd),
            "loss/price": table["loss_to_price"].map("{:.1f}x".format),
            "status": table["status"].where(table["bound"] != "price (floor)", "price floor"),
        }
    )
    emit_frame(
        view,
        fmt,
        title=f"Loss of a tonne short, {code} {year} (t and USD/t of each basis)",
        caption=(
            "loss = max(price, SI_EI x dependency x VA at stake per t); VA at stake per t = "
            "EU27 value added of the NACE divisions using the material, weighted by end-use "
            "share (EC 2023), per t of EU27 use; SI_EI: EC 2023 substitution index (1 = no "
            f"substitute); dependency {dependency:g} (assumption). In a month with more than "
            f"{threshold:.0%} of demand unmet the simulator counts "
            f"{line_stop:g}x (lines stop). status assumption: no end-use shares, "
            "median loss/price of the others. --format csv for every column and the sources."
            + ("" if code == "EU27" else " EU27 value added per t stands in.")
        ),
    )


def _industries(table: pd.DataFrame, fmt: Format) -> None:
    import pandas as pd

    def musd(v: float) -> str:
        return "" if v != v else f"{v:,.0f}"

    text = table.fillna(dict.fromkeys(("end_use", "industry", "industry_name"), ""))

    view = pd.DataFrame(
        {
            "material": table["material"],
            "end use": text["end_use"].str.slice(0, 24),
            "share": table["end_use_share"].map(lambda v: "" if v != v else f"{v:.0%}"),
            "BEA industry": text["industry"] + " " + text["industry_name"].str.slice(0, 22),
            "output USD m": table["output_musd"].map(musd),
            "VA USD m": table["value_added_musd"].map(musd),
            "GDP per 1% cut": table["gdp_change_1pct_cut_musd"].map(musd),
            "of which suppliers": table["suppliers_value_added_change_musd"].map(musd),
            "mapping": table["mapping_confidence"].where(
                table["assessment"] == "assessed", table["assessment"]
            ),
        }
    )
    emit_frame(
        view,
        fmt,
        title=f"Industries using each material, {table['table'].iloc[0]} input-output table "
        "(USD million)",
        caption="GDP per 1% cut: value added lost when the industry makes 1% less and its "
        "suppliers sell it less (mixed input-output model, backward linkages only; final demand "
        "unchanged); BEA 2017 benchmark, 402 industries, whose total requirements count imported "
        "inputs as made at home: the suppliers' part is an upper bound. The BEA codes of the end "
        "uses are the project's judgement (mapping); shares: USGS. --format csv for every column "
        "and source.",
    )
