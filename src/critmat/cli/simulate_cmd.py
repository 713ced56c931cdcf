"""``critmat simulate`` and ``critmat scenarios``: Monte Carlo disruptions for a holder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from critmat.cli.output import Format, dataset_from, emit_frame, emit_json, friendly

scenarios_app = typer.Typer(help="The historical scenario library.", no_args_is_help=True)


@scenarios_app.command("list")
@friendly
def scenarios_list(
    ctx: typer.Context,
    holder: Annotated[
        str | None, typer.Option(help="Say whether each scenario touches this holder's market.")
    ] = None,
    year: Annotated[int, typer.Option(help="Base year of the holder's market.")] = 2023,
    fmt: Annotated[Format, typer.Option("--format", "-f")] = Format.table,
) -> None:
    """Recorded disruptions and whether each runs as a scenario (for a holder, with --holder)."""
    from critmat.sim.library import library_frame

    frame = library_frame(dataset_from(ctx), holder, year)
    title = "Scenario library (events table)" + (f", holder {holder}" if holder else "")
    emit_frame(frame, fmt, title=title)


@scenarios_app.command("show")
@friendly
def scenarios_show(
    ctx: typer.Context,
    scenario: Annotated[str, typer.Argument(help="Library id, e.g. GR-2023.")],
) -> None:
    """Print a library scenario as YAML (copy it to a file to edit and run it)."""
    import yaml

    from critmat.sim.library import scenario_by_id

    sc = scenario_by_id(dataset_from(ctx), scenario)
    typer.echo(yaml.safe_dump(sc.model_dump(mode="json", exclude_unset=True), sort_keys=False))


@friendly
def simulate(
    ctx: typer.Context,
    scenario: Annotated[
        str, typer.Argument(help="Scenario YAML file, library id (GR-2023) or 'stochastic'.")
    ],
    holder: Annotated[
        str, typer.Option(help="Holder: USA, EU27, DEU, FRA, ITA, GBR, JPN, KOR, TWN, CAN, ...")
    ],
    year: Annotated[int, typer.Option(help="Base year of the market (trade data).")] = 2023,
    stockpile: Annotated[
        Path | None, typer.Option(help="Stockpile YAML (holdings and release policy).")
    ] = None,
    runs: Annotated[int, typer.Option(min=1, help="Number of simulated runs.")] = 1000,
    seed: Annotated[int, typer.Option(help="Random seed; same seed, same results.")] = 0,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Start a Dask LocalCluster with N workers.")
    ] = None,
    scheduler: Annotated[
        str | None, typer.Option(help="Use an existing Dask scheduler, e.g. tcp://host:8786.")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Write the xarray Dataset (netCDF).")] = None,
    html: Annotated[Path | None, typer.Option(help="Write fan charts to this HTML page.")] = None,
    parameter_uncertainty: Annotated[
        bool,
        typer.Option(
            "--parameter-uncertainty",
            help="Draw the demand elasticity (literature short-run range) and the other "
            "suppliers' spare capacity per run, so the fan charts carry model uncertainty.",
        ),
    ] = False,
    fmt: Annotated[Format, typer.Option("--format", "-f")] = Format.table,
) -> None:
    """If X restricts exports of Y: how short, how long, at what price, and what a reserve buys."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from critmat.sim.service import resolve_scenario, run_scenario
    from critmat.sim.stockpile import load_stockpile

    if workers is not None and scheduler is not None:
        raise typer.BadParameter("give --workers or --scheduler, not both")
    ds = dataset_from(ctx)
    sc = resolve_scenario(ds, scenario)
    params = None
    if parameter_uncertainty:
        from critmat.sim.elasticities import default_uncertainty
        from critmat.sim.market import SimParams

        base = SimParams()
        params = SimParams(uncertainty=default_uncertainty(ds, base.elasticity))
        typer.echo(f"parameter draws per run: {dict(params.uncertainty)}", err=True)
    spec = load_stockpile(stockpile)
    with Progress(
        TextColumn("simulating {task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,}/{task.total:,} runs"),
        TimeRemainingColumn(),
        transient=True,
        console=None,
    ) as bar:
        task = bar.add_task(sc.name, total=runs)
        res, notes = run_scenario(
            ds,
            sc,
            holder,
            year=year,
            runs=runs,
            seed=seed,
            stockpile=spec,
            params=params,
            workers=workers,
            scheduler=scheduler,
            progress=lambda n: bar.advance(task, n),
        )
    for n in notes:
        typer.secho(f"note: {n}", err=True, fg=typer.colors.YELLOW)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(out.suffix + ".tmp")
        res.to_xarray().to_netcdf(tmp, engine="scipy")
        tmp.replace(out)
        typer.echo(f"wrote {out.resolve()}", err=True)
    if html is not None:
        from critmat.report.sim_report import write_sim_report

        path = write_sim_report(res, html, notes)
        typer.echo(f"wrote {path.resolve()}", err=True)
    full = res.summary()
    summary = full[full["simulated"].astype(bool)]
    skipped = full[~full["simulated"].astype(bool)]
    if fmt is Format.json:
        emit_json(
            {
                "scenario": sc.name,
                "holder": res.market.holder,
                "seed": seed,
                "runs": runs,
                "notes": notes,
                "summary": full.to_dict(orient="records"),
            }
        )
        return
    if fmt is Format.csv:
        emit_frame(full, fmt)
        return
    view = summary.assign(loss_avoided_musd=summary["loss_avoided_usd"] / 1e6)[
        [
            "material",
            "unit",
            "expected_unmet_t",
            "p95_unmet_t",
            "cvar95_unmet_t",
            "p_sector_outage",
            "expected_outage_months",
            "days_of_cover",
            "p95_max_price_ratio",
            "loss_avoided_musd",
        ]
    ].rename(
        columns={
            "expected_unmet_t": "E unmet t",
            "p95_unmet_t": "P95 unmet t",
            "cvar95_unmet_t": "CVaR95 t",
            "p_sector_outage": "P(outage)",
            "expected_outage_months": "outage months",
            "days_of_cover": "cover days",
            "p95_max_price_ratio": "P95 price x",
            "loss_avoided_musd": "avoided USD m",
        }
    )
    emit_frame(
        view,
        fmt,
        title=f"{sc.name}: {res.market.holder}, {runs:,} runs, seed {seed}",
        caption="t of each material's basis (unit column) over the horizon; price ratio = "
        "price / base price; loss proxy = unmet t x 10 x base price (assumption, "
        "docs/methods.md)." + "".join(f"\n{r.material}: {r.reason}" for r in skipped.itertuples()),
    )
