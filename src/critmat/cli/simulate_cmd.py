"""``critmat simulate`` and ``critmat scenarios``: Monte Carlo disruptions for a holder."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    import pandas as pd

from critmat.cli.output import (
    Format,
    FormatOpt,
    HolderOpt,
    HtmlOpt,
    OutOpt,
    SeedOpt,
    YearOpt,
    check_html,
    check_out,
    dataset_from,
    emit_frame,
    emit_outcome,
    friendly,
    progress_bar,
)


class LossMethod(StrEnum):
    """How the loss is counted (docs/methods.md 6.7, 6.9)."""

    critmat = "critmat"
    usgs2024 = "usgs2024"


scenarios_app = typer.Typer(
    rich_markup_mode=None, help="The historical scenario library.", no_args_is_help=True
)


@scenarios_app.command("list")
@friendly
def scenarios_list(
    ctx: typer.Context,
    holder: Annotated[
        str | None, typer.Option(help="Say whether each scenario touches this holder's market.")
    ] = None,
    year: Annotated[int, typer.Option(help="Base year of the holder's market.")] = 2023,
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
) -> None:
    """Recorded disruptions and whether each runs as a scenario (for a holder, with --holder)."""
    from critmat.cli.output import check_out, emit_tables
    from critmat.services.simulate import library

    check_out(fmt, out)
    frame = library(dataset_from(ctx), holder, year)
    readme = {"command": "critmat scenarios list", "source": "events table (docs/data.md)"}
    if emit_tables({"scenarios": frame}, fmt, out, readme):
        return
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

    from critmat.services.simulate import scenario as by_id

    sc = by_id(dataset_from(ctx), scenario)
    typer.echo(yaml.safe_dump(sc.model_dump(mode="json", exclude_unset=True), sort_keys=False))


ScenarioArg = Annotated[
    str, typer.Argument(help="Scenario YAML file, library id (GR-2023) or 'stochastic'.")
]
StockpileOpt = Annotated[
    Path | None, typer.Option(help="Stockpile YAML (holdings and release policy).")
]
RunsOpt = Annotated[int, typer.Option(min=1, help="Number of simulated runs.")]
WorkersOpt = Annotated[
    int | None, typer.Option(min=1, help="Start a Dask LocalCluster with N workers.")
]
SchedulerOpt = Annotated[
    str | None, typer.Option(help="Use an existing Dask scheduler, e.g. tcp://host:8786.")
]
SimOutOpt = Annotated[
    Path | None,
    typer.Option(
        "--out",
        "-o",
        help="DIR.zarr: every run's results streamed to a Zarr store as they finish (memory "
        "stays bounded; open with xarray.open_zarr); FILE.nc: the xarray Dataset (netCDF); "
        "FILE.xlsx (--format xlsx), FILE.json, FILE.csv or a directory (--format csv): the "
        "summary and fan tables.",
    ),
]
UncertaintyOpt = Annotated[
    bool,
    typer.Option(
        "--parameter-uncertainty/--no-parameter-uncertainty",
        help="Draw the demand elasticity (literature short-run range), the other "
        "suppliers' spare capacity and the market stocks per run, so every band carries "
        "parameter uncertainty (the default); --no-parameter-uncertainty: point values.",
    ),
]
LossMethodOpt = Annotated[
    LossMethod,
    typer.Option(
        "--loss-method",
        help="critmat: import bill + the tonnes short and destroyed by the price (GDP "
        "through the input-output table where the holder has one); usgs2024: the USGS "
        "disruption model's structure, the market clears and only the demand the price "
        "destroys is lost (docs/methods.md 6.9).",
    ),
]

AllOpt = Annotated[
    bool,
    typer.Option("--all", help="Show every material, also those the scenario does not touch."),
]

#: the terminal table's columns and their headers
SCREEN_COLUMNS = {
    "material": "material",
    "unit": "unit",
    "expected_unmet_t": "E unmet t",
    "p95_unmet_t": "P95 unmet t",
    "cvar95_unmet_t": "CVaR95 t",
    "p_sector_outage": "P(outage)",
    "expected_outage_months": "outage months",
    "days_of_cover": "cover days",
    "p95_max_price_ratio": "P95 price x",
    "loss_band": "E loss USD m",
    "loss_avoided_musd": "avoided USD m",
}


@friendly
def simulate(
    ctx: typer.Context,
    scenario: ScenarioArg,
    holder: HolderOpt,
    year: YearOpt = 2023,
    stockpile: StockpileOpt = None,
    runs: RunsOpt = 1000,
    seed: SeedOpt = 0,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    out: SimOutOpt = None,
    html: HtmlOpt = None,
    parameter_uncertainty: UncertaintyOpt = True,
    loss_method: LossMethodOpt = LossMethod.critmat,
    fmt: FormatOpt = Format.table,
    show_all: AllOpt = False,
) -> None:
    """If X restricts exports of Y: how short, how long, at what price, and what a reserve buys."""
    from critmat.services.simulate import SimulateRequest, run_simulate, simulate_result

    zarr_out, netcdf = _check_outputs(out, fmt, html, workers, scheduler)
    ds = dataset_from(ctx)
    req = SimulateRequest(
        scenario=scenario,
        holder=holder,
        year=year,
        runs=runs,
        seed=seed,
        stockpile=stockpile,
        workers=workers,
        scheduler=scheduler,
        parameter_uncertainty=parameter_uncertainty,
        loss_method=loss_method.value,
    )
    with progress_bar(f"simulating {scenario}", runs, "runs") as advance:
        res, notes, ranges = run_simulate(
            ds, req, progress=advance, store=out if zarr_out else None
        )
    if ranges:
        typer.echo(f"parameter draws per run: {ranges}", err=True)
    for n in notes:
        typer.secho(f"note: {n}", err=True, fg=typer.colors.YELLOW)
    if out is not None and zarr_out:
        typer.echo(f"wrote {out.resolve()} (Zarr store: xarray.open_zarr)", err=True)
    elif out is not None and netcdf:
        _write_netcdf(res, out)
    if html is not None:
        from critmat.services.simulate import write_sim_report

        path = write_sim_report(res, html, notes)
        typer.echo(f"wrote {path.resolve()}", err=True)
    outcome = simulate_result(res, notes, req)
    if emit_outcome(outcome, fmt, None if netcdf else out):
        return
    _screen(res, outcome.tables["summary"], runs, seed, show_all)


def _screen(res: Any, full: pd.DataFrame, runs: int, seed: int, show_all: bool) -> None:
    """The terminal table: the materials the scenario touches first (the others with --all),
    the loss with its band, and why the columns do not spread when they do not (the lines for
    the materials whose price reached the cap are among the notes)."""
    from critmat.report.numbers import sig

    summary = full[full["simulated"].astype(bool)]
    skipped = full[~full["simulated"].astype(bool)]
    touched = {res.market.materials[i] for i in set(res.events.mat.tolist())}
    hit = summary["material"].isin(touched) | (summary["expected_shortfall_t"] > 0)
    rest = int((~hit).sum())
    shown = summary if show_all else summary[hit]
    shown = shown.assign(_hit=hit[shown.index]).sort_values(
        ["_hit", "expected_loss_usd"], ascending=[False, False]
    )
    band = [f"{sig(m / 1e6)} ({sig(lo / 1e6)}-{sig(hi / 1e6)})"
            for m, lo, hi in zip(shown["expected_loss_usd"], shown["p05_loss_usd"],
                                 shown["p95_loss_usd"], strict=True)]  # fmt: skip
    view = shown.assign(loss_avoided_musd=shown["loss_avoided_usd"] / 1e6, loss_band=band)
    caption = ("t of each material's basis (unit column) over the horizon; price ratio = "
               "price / base price; E loss = expected loss USD m (P5-P95 over the runs; "
               "docs/methods.md 6.7, 6.9).")  # fmt: skip
    if rest and not show_all:
        caption += f"\n{rest} materials the scenario does not touch are not shown (--all)."
    flat = (shown["p95_unmet_t"] == shown["expected_unmet_t"]) & (
        shown["p95_loss_usd"] == shown["p05_loss_usd"])  # fmt: skip
    if len(shown) and bool(flat.all()) and runs > 1:
        caption += ("\nno spread: a replay with fixed parameters (every run is the same, so P95 "
                    "and CVaR equal the mean).")  # fmt: skip
    caption += "".join(f"\n{r.material}: {r.reason}" for r in skipped.itertuples())
    emit_frame(
        view[list(SCREEN_COLUMNS)].rename(columns=SCREEN_COLUMNS),
        Format.table,
        title=f"{res.scenario}: {res.market.holder}, {runs:,} runs, seed {seed}",
        caption=caption,
    )


def _check_outputs(
    out: Path | None, fmt: Format, html: Path | None, workers: int | None, scheduler: str | None
) -> tuple[bool, bool]:
    """Refuse conflicting options before any work; returns (a Zarr store, a netCDF/Zarr file)."""
    from critmat.errors import CritmatError

    if workers is not None and scheduler is not None:
        raise CritmatError("give --workers or --scheduler, not both")
    zarr_out = out is not None and out.suffix.lower() == ".zarr"
    netcdf = zarr_out or (out is not None and out.suffix.lower() == ".nc")
    if zarr_out and out is not None:
        from critmat.services.simulate import check_store

        check_store(out)
    if not netcdf:
        check_out(fmt, out)
    elif out is not None and out.is_dir() and not zarr_out:
        raise CritmatError(f"--out {out} is a directory; give a file name")
    check_html(html)
    return zarr_out, netcdf


def _write_netcdf(res: Any, out: Path) -> None:
    """The xarray Dataset as netCDF, written whole or not at all (a temporary file renamed)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".tmp")
    try:
        res.to_xarray().to_netcdf(tmp, engine="scipy")
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    typer.echo(f"wrote {out.resolve()}", err=True)
