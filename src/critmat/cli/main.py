"""The ``critmat`` command.

Only Typer is imported at start-up; each command imports what it needs (fast ``--help``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from critmat.cli import (
    assess_cmd,
    calibrate_cmd,
    data_cmd,
    glossary_cmd,
    inventory_cmd,
    loss_cmd,
    plan_cmd,
    simulate_cmd,
)

app = typer.Typer(
    name="critmat",
    help="Plan and run strategic stockpiles of critical materials.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(data_cmd.app, name="data")
app.command("assess")(assess_cmd.assess)
app.command("simulate")(simulate_cmd.simulate)
app.add_typer(simulate_cmd.scenarios_app, name="scenarios")
app.command("calibrate")(calibrate_cmd.calibrate)
app.command("loss")(loss_cmd.loss)
app.command("plan")(plan_cmd.plan)
app.add_typer(inventory_cmd.app, name="inventory")
app.command("glossary")(glossary_cmd.glossary)


@app.callback()
def main(
    ctx: typer.Context,
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            help="Overlay directory of user tables (TABLE.csv / TABLE.parquet); "
            "default: $CRITMAT_DATA if set.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """critmat: from "which materials are at risk" to "how much to hold"."""
    ctx.obj = {"data": data}


def run() -> None:
    """Console-script entry point."""
    try:
        app()
    except BrokenPipeError:  # e.g. `critmat data show cobalt | head`
        sys.stderr.close()


__all__ = ["app", "run"]
