"""``critmat calibrate``: fit the price response to the recorded disruptions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from critmat.cli.output import (
    Format,
    FormatOpt,
    OutOpt,
    check_out,
    dataset_from,
    emit_frame,
    emit_outcome,
    friendly,
)


@friendly
def calibrate(
    ctx: typer.Context,
    holder: Annotated[
        str | None, typer.Option(help="Replay every recorded event in this holder's market.")
    ] = None,
    event: Annotated[
        str | None, typer.Option(help="Show this event only (the fit still uses all).")
    ] = None,
    events: Annotated[
        Path | None, typer.Option(help="YAML file of your own recorded moves, added to the fit.")
    ] = None,
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
) -> None:
    """Fit elasticity, precautionary demand and world stocks to the record; leave-one-event-out."""
    from critmat.services.calibrate import (
        calibrate_result,
        check_request,
        grid_size,
        run_calibrate,
    )

    check_out(fmt, out)
    ds = dataset_from(ctx)
    check_request(ds, event, events)
    n = grid_size()
    typer.echo(f"calibrating: {n:,} parameter sets, leave-one-event-out (about 25 s) ...", err=True)
    table, params, excluded = run_calibrate(ds, holder=holder, event=event, events=events)
    if emit_outcome(calibrate_result(table, params, excluded), fmt, out):
        return
    view = table.assign(
        recorded=table["recorded_pct"].map("{:+,.0f}%".format),
        fitted=table["fitted_pct"].map("{:+,.0f}%".format),
        out_of_sample=table["loo_pct"].map("{:+,.0f}%".format),
    )[["target", "kind", "holder", "year", "window_months", "recorded", "fitted", "out_of_sample"]]
    p = params
    emit_frame(
        view,
        fmt,
        title="Price response against the record (world price: peak in window or level at end)",
        caption=(
            f"fitted: elasticity {p.elasticity} (folds {p.elasticity_folds[0]} to "
            f"{p.elasticity_folds[1]}) for materials without literature estimates; precaution "
            f"{p.precaution} (folds {p.precaution_folds[0]}-{p.precaution_folds[1]}); world "
            f"stocks {p.buffer_months} months (folds {p.buffer_months_folds[0]}-"
            f"{p.buffer_months_folds[1]}); long-run response {p.long_run_response:.2f} "
            f"(literature) reached over {p.long_run_months:g} months (folds "
            f"{p.long_run_months_folds[0]:g}-{p.long_run_months_folds[1]:g}); loss {p.loss:.3f} "
            f"= {p.loss_function}; price cap {p.price_cap:g}x while calibrating. kind: peak = "
            "largest move in the window, level = the move at its end. out_of_sample = "
            "predicted by the fit on the other events."
        ),
    )
    if not excluded.empty:
        emit_frame(excluded, fmt, title="Recorded events not used, and why")
