"""The ``critmat`` command.

Only Typer is imported at start-up; each command imports what it needs (fast ``--help``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from critmat.cli import (
    assess_cmd,
    calibrate_cmd,
    data_cmd,
    forecast_cmd,
    glossary_cmd,
    inventory_cmd,
    loss_cmd,
    optimize_cmd,
    plan_cmd,
    serve_cmd,
    simulate_cmd,
)


class _OneLineErrors(TyperGroup):
    """The root command: a mistyped option or argument is one line on stderr and exit 2 (the
    same contract as every other user error), not a usage box."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        from typer._click import exceptions as cx  # Typer's own (vendored) Click

        if kwargs.get("standalone_mode", True) is False:
            return super().main(*args, **kwargs)
        kwargs["standalone_mode"] = False
        try:
            rv = super().main(*args, **kwargs)
        except cx.NoArgsIsHelpError as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except cx.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx is not None else "critmat"
            typer.echo(f"error: {exc.format_message()} (see `{where} --help`)", err=True)
            sys.exit(2)
        except typer.Abort:
            typer.echo("aborted", err=True)
            sys.exit(1)
        sys.exit(rv if isinstance(rv, int) else 0)


app = typer.Typer(
    cls=_OneLineErrors,
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
app.add_typer(optimize_cmd.app, name="optimize")
app.add_typer(inventory_cmd.app, name="inventory")
app.add_typer(forecast_cmd.app, name="forecast")
app.command("glossary")(glossary_cmd.glossary)
app.command("serve")(serve_cmd.serve)
app.add_typer(serve_cmd.users_app, name="users")


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
