"""The ``critmat`` command.

Only Typer and this module are imported at start-up: each command's module is imported, and its
command built, when that command runs (:data:`COMMANDS`); ``critmat --help`` lists them from the
summaries declared here (tests/test_cli.py holds each to its command's own help), so the whole
command tree is not built to print a list (benchmarks/bench_cli.py measures it).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

#: name -> (``module:attribute`` of the command function or the group's Typer, its summary: the
#: first line of its help), in the order ``critmat --help`` lists them
COMMANDS: dict[str, tuple[str, str]] = {
    "assess": ("critmat.cli.assess_cmd:assess",
               "Which materials are at risk for a holder, at which stage, and why (every term "
               "shown)."),
    "simulate": ("critmat.cli.simulate_cmd:simulate",
                 "If X restricts exports of Y: how short, how long, at what price, and what a "
                 "reserve buys."),
    "calibrate": ("critmat.cli.calibrate_cmd:calibrate",
                  "Fit elasticity, precautionary demand and world stocks to the record; "
                  "leave-one-event-out."),
    "loss": ("critmat.cli.loss_cmd:loss",
             "Loss per tonne short from downstream value added (docs/methods.md 6.7)."),
    "plan": ("critmat.cli.plan_cmd:plan",
             "With this budget: which materials to hold, how much, and the loss that avoids vs "
             "practice."),
    "glossary": ("critmat.cli.glossary_cmd:glossary",
                 "Definitions of the terms and abbreviations in critmat's tables and pages."),
    "serve": ("critmat.cli.serve_cmd:serve",
              "Serve the HTTP API (OpenAPI at /openapi.json, docs at /docs, routes under "
              "/api/v1)."),
    "data": ("critmat.cli.data_cmd:app", "Explore and check the reference dataset."),
    "scenarios": ("critmat.cli.simulate_cmd:scenarios_app", "The historical scenario library."),
    "optimize": ("critmat.cli.optimize_cmd:app", "Decisions over time (docs/policy.md)."),
    "inventory": ("critmat.cli.inventory_cmd:app",
                  "Facilities, lots and the hash-chained ledger."),
    "forecast": ("critmat.cli.forecast_cmd:app",
                 "Anticipate: demand to 2040 with drivers and substitution, price forecasts with "
                 "backtests, the early-warning index."),
    "users": ("critmat.cli.serve_cmd:users_app",
              "Users of the HTTP API (bearer tokens with roles)."),
}  # fmt: skip


def build_command(name: str) -> Any:
    """The click command of ``name`` (:data:`COMMANDS`), its module imported now."""
    import importlib

    target, _ = COMMANDS[name]
    module, _, attr = target.partition(":")
    obj = getattr(importlib.import_module(module), attr)
    if isinstance(obj, typer.Typer):
        group = typer.main.get_group(obj)  # a group even with one command (users add)
        group.name = name
        return group
    one = typer.Typer(rich_markup_mode=None, add_completion=False)
    one.command(name)(obj)
    cmd = typer.main.get_command(one)
    cmd.name = name
    return cmd


class _OneLineErrors(TyperGroup):
    """The root command: a mistyped option or argument is one line on stderr and exit 2 (the
    same contract as every other user error), not a usage box; its commands are built when
    called (:func:`build_command`)."""

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            self.commands[cmd_name] = build_command(cmd_name)
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """The list of commands from their declared summaries, wrapped (nothing is built)."""
        with formatter.section("Commands"):
            formatter.write_dl([(n, summary) for n, (_, summary) in COMMANDS.items()])

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
    rich_markup_mode=None,
    cls=_OneLineErrors,
    name="critmat",
    help="Plan and run strategic stockpiles of critical materials.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


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


__all__ = ["COMMANDS", "app", "build_command", "run"]
