"""``critmat loss``: the loss of a tonne short per material, with its derivation."""

from __future__ import annotations

from typing import Annotated

import typer

from critmat.cli.output import (
    Format,
    OutOpt,
    check_out,
    dataset_from,
    emit_frame,
    emit_tables,
    friendly,
)


@friendly
def loss(
    ctx: typer.Context,
    holder: Annotated[str, typer.Option(help="Holder whose market is built.")] = "EU27",
    year: Annotated[int, typer.Option(help="Base year of the market (trade data).")] = 2023,
    dependency: Annotated[
        float,
        typer.Option(
            min=0.0,
            max=1.0,
            help="Share of the using sectors' value added lost per share of the material "
            "missing (assumption; range 0.01-0.10).",
        ),
    ] = 0.03,
    fmt: Annotated[Format, typer.Option("--format", "-f")] = Format.table,
    out: OutOpt = None,
) -> None:
    """Loss per tonne short from downstream value added (docs/methods.md 6.7)."""
    import pandas as pd

    from critmat.services.loss import loss_per_tonne_table

    check_out(fmt, out)
    table, code, threshold, line_stop = loss_per_tonne_table(
        dataset_from(ctx), holder, year, dependency
    )
    readme = {
        "command": f"critmat loss --holder {code} --year {year} --dependency {dependency:g}",
        "method": "loss = max(price, SI_EI x dependency x value added at stake per t); "
        "docs/methods.md 6.7",
        "units": "USD per t of each material's basis",
    }
    if emit_tables({"loss_per_tonne": table}, fmt, out, readme):
        return
    if fmt is not Format.table:
        emit_frame(table, fmt)
        return

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
