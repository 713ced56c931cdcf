"""``critmat optimize``: decisions over time (``policy``: the Markov-regime build/draw rule)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from critmat.cli.output import (
    Format,
    FormatOpt,
    OutOpt,
    check_out,
    emit_frame,
    emit_outcome,
    friendly,
)

app = typer.Typer(
    rich_markup_mode=None, no_args_is_help=True, help="Decisions over time (docs/policy.md)."
)


@app.command("policy")
@friendly
def policy(
    spec: Annotated[
        Path,
        typer.Argument(
            help="Policy spec YAML (docs/policy.md), or a shipped example: teisberg1981."
        ),
    ],
    method: Annotated[
        str,
        typer.Option(
            help="all (value iteration, policy iteration and the LP), value, policy or lp."
        ),
    ] = "all",
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
) -> None:
    """The optimal build/draw policy of a Markov-regime stockpile problem, its value function
    and the sum of the value function over all states (the LP objective)."""
    from critmat.services.policy import policy_matrix, policy_result, run_policy

    check_out(fmt, out)
    rep = run_policy(spec, method)  # type: ignore[arg-type]
    s = rep.spec
    if emit_outcome(policy_result(rep), fmt, out):
        return
    nxt = next(c for c in rep.table.columns if c.startswith("next_level_"))
    emit_frame(policy_matrix(rep, nxt), fmt,
               title=f"{s.name}: next level ({s.unit}) by level and state")  # fmt: skip
    emit_frame(policy_matrix(rep, "value"), fmt,
               title=f"Value function ({s.currency}, expected discounted reward)")  # fmt: skip
    for sol in rep.solutions.values():
        extra = "".join(f", {k} {v:.3f} s" for k, v in sol.timings.items())
        typer.echo(f"{sol.method}: {sol.iterations} iterations, {sol.seconds:.3f} s{extra}")
    typer.echo(f"sum of the value function over all states (LP objective): {rep.objective:.10g}")
    if rep.agreement is not None:
        typer.echo(f"the methods agree to {rep.agreement:.1e} relative")
    for n in rep.notes:
        typer.echo(f"note: {n}")


@app.command("schedule")
@friendly
def schedule(
    ctx: typer.Context,
    spec: Annotated[
        Path,
        typer.Argument(help="Acquisition spec YAML (docs/acquisition.md), or a shipped example."),
    ],
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
) -> None:
    """A multi-year acquisition schedule under a yearly budget and a market-impact cap, with
    responsible sourcing, against buying evenly."""
    from critmat.cli.output import dataset_from
    from critmat.services.acquisition import run_acquisition, schedule_result
    from critmat.services.policy import example_path

    check_out(fmt, out)
    rep = run_acquisition(dataset_from(ctx), example_path(spec))
    s = rep.spec
    tables = rep.tables()
    if emit_outcome(schedule_result(rep), fmt, out):
        return
    emit_frame(tables["years"], fmt, title=f"{s.name}: {s.material}, t {rep.basis} per year")
    emit_frame(tables["schedule"][tables["schedule"]["plan"] == "optimal"], fmt,
               title="Optimal purchases by origin")  # fmt: skip
    emit_frame(tables["summary"], fmt, title="Costs (USD, discounted) and footprint (t CO2e)")
    summ = tables["summary"].set_index("plan").to_dict("index")
    opt = summ["optimal"]
    if rep.unconstrained is not None:
        free = summ[rep.unconstrained.name]
        extra = float(opt["purchase_usd"]) - float(free["purchase_usd"])
        saved = float(free["footprint_co2e_t"]) - float(opt["footprint_co2e_t"])
        per = f" ({extra / saved:,.0f} USD per t CO2e avoided)" if saved > 0 else ""
        typer.echo(f"responsible sourcing costs {extra:,.0f} USD of purchases and changes the "
                   f"footprint by {-saved:+,.0f} t CO2e{per}")  # fmt: skip
    even = summ["even"]
    gain = float(even["total_usd"]) - float(opt["total_usd"])
    typer.echo(
        f"against buying evenly: {gain:,.0f} USD less in total"
        + ("" if even["feasible"] else f" (buying evenly breaks: {even['breaches']})")
    )
    for k, v in rep.inputs.items():
        typer.echo(f"{k}: {v}")


@app.command("coalition")
@friendly
def coalition(
    exchange: Annotated[
        Path | None,
        typer.Argument(help="Exchange file (JSON; docs/coalition.md), or: coalition_gallium."),
    ] = None,
    rule: Annotated[
        str | None, typer.Option(help="Sharing rule: need or contribution (default: the file's).")
    ] = None,
    schema: Annotated[
        bool, typer.Option("--schema", help="Print the exchange file's JSON schema.")
    ] = False,
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
) -> None:
    """A coalition's pooled stockpile against each member holding alone: cost and loss per
    member, the value of cooperation, individual rationality and the core."""
    from critmat.services.coalition import coalition_result, exchange_schema, run_coalition

    if schema:
        from critmat.cli.output import emit_json

        emit_json(exchange_schema())
        return
    if exchange is None:
        from critmat.errors import CritmatError

        raise CritmatError("give an exchange file (or --schema to see its format)")
    check_out(fmt, out)
    from critmat.services.policy import example_path

    rep = run_coalition(example_path(exchange), rule)
    ex = rep.exchange
    if emit_outcome(coalition_result(rep, rule), fmt, out):
        return
    emit_frame(rep.table, fmt, title=f"Coalition on {ex.material} (t {ex.basis}, USD): "
               f"{rule or ex.sharing_rule} rule")  # fmt: skip
    typer.echo(f"pooled stock {rep.pooled_stock_t:,.1f} t {ex.basis}; value of cooperation "
               f"{rep.value_of_cooperation_usd:,.0f} USD")  # fmt: skip
    if rep.in_core is None:
        typer.echo("core not checked (over 12 members)")
    elif rep.in_core:
        typer.echo("the allocation is in the core: no group of members does better alone")
    else:
        typer.echo(f"NOT in the core: {'; '.join(rep.blocking)} would do better on their own")


@app.command("release")
@friendly
def release(
    ctx: typer.Context,
    spec: Annotated[
        Path, typer.Argument(help="Policy spec (levels in t of the basis), or: gallium_release.")
    ],
    material: Annotated[str, typer.Option(help="The material the policy releases.")],
    stock_t: Annotated[float, typer.Option("--stock-t", min=0.0, help="Reserve (t of basis).")],
    thresholds: Annotated[
        str,
        typer.Option(help="Shortfall shares of demand that start states 2, 3, ... (ascending)."),
    ] = "0.02,0.2",
    holder: Annotated[str, typer.Option(help="Holder whose market is simulated.")] = "EU27",
    scenario: Annotated[str, typer.Option(help="Library id or stochastic.")] = "stochastic",
    runs: Annotated[int, typer.Option(min=10, max=1_000_000)] = 1000,
    seed: Annotated[int, typer.Option(min=0)] = 0,
    months_per_period: Annotated[float, typer.Option(min=0.1, max=120.0)] = 12.0,
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
) -> None:
    """The solved policy's draw decisions inside the monthly simulator, next to the simple
    triggers, on the same runs (common random numbers)."""
    from critmat.cli.output import dataset_from
    from critmat.errors import CritmatError
    from critmat.services.policy import check_release_request, example_path, release_outcome
    from critmat.usecases.requests import ReleaseRequest

    check_out(fmt, out)
    try:
        cuts = [float(x) for x in thresholds.split(",") if x.strip()]
    except ValueError:
        raise CritmatError(
            f"--thresholds: numbers separated by commas, not {thresholds!r}"
        ) from None
    req = ReleaseRequest(yaml=example_path(spec).read_text(encoding="utf-8"), material=material,
                         stock_t=stock_t, thresholds=cuts, holder=holder, scenario=scenario,
                         runs=runs, seed=seed, months_per_period=months_per_period)  # fmt: skip
    ds = dataset_from(ctx)
    check_release_request(ds, req)
    outcome = release_outcome(ds, req)
    if emit_outcome(outcome, fmt, out):
        return
    table = outcome.main_table
    emit_frame(table, fmt, title=f"{material}: {stock_t:g} t released by each rule, {holder}, "
               f"{scenario}, {runs} runs (seed {seed})")  # fmt: skip


@app.command("options")
@friendly
def options(
    ctx: typer.Context,
    spec: Annotated[
        Path, typer.Argument(help="Options catalogue YAML (docs/options.md), or: gallium_options.")
    ],
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
) -> None:
    """Mitigation options beyond stock (mines, plants, recycling, agreements, substitution):
    every portfolio with the stock it still needs, under one budget, on the simulator."""
    from critmat.cli.output import dataset_from
    from critmat.services.options import options_result, run_options
    from critmat.services.policy import example_path

    check_out(fmt, out)
    rep = run_options(dataset_from(ctx), example_path(spec))
    if emit_outcome(options_result(rep), fmt, out):
        return
    s = rep.spec
    cols = ["options", "capex_usd", "stock_t", "expected_unmet_no_stock_t",
            "expected_loss_left_usd", "total_usd"]  # fmt: skip
    title = f"{s.name}: portfolios by total cost (USD; {rep.inputs['basis']})"
    emit_frame(rep.portfolios[cols], fmt, title=title)
    emit_frame(
        rep.shrink, fmt, title="The stock as the options come online (in order of lead time)"
    )
    emit_frame(rep.chosen, fmt, title="The chosen portfolio with its stock, on the full model")
    for k, v in rep.inputs.items():
        typer.echo(f"{k}: {v}")
