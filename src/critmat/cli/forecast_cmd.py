"""``critmat forecast``: demand projections, price forecasts and the early-warning index."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from critmat.cli.output import (
    Format,
    FormatOpt,
    HtmlOpt,
    OutOpt,
    check_html,
    check_out,
    dataset_from,
    emit_frame,
    emit_outcome,
    emit_tables,
    friendly,
)

app = typer.Typer(
    rich_markup_mode=None,
    help="Anticipate: demand to 2040 with drivers and substitution, price forecasts with "
    "backtests, the early-warning index.",
    no_args_is_help=True,
)

HolderOpt = Annotated[
    str | None, typer.Option(help="Holder (EU27, USA, JPN ...): its demand next to the world's.")
]
MaterialsOpt = Annotated[
    list[str] | None, typer.Option("--material", "-m", help="Material (repeat); default: all.")
]


def _page_and_notes(
    html: Path | None, write: Callable[[Any, Path], Path], res: object, notes: list[str]
) -> None:
    """Write the HTML page if asked, then print the notes (stderr)."""
    if html is not None:
        typer.echo(f"wrote {write(res, html).resolve()}", err=True)
    for n in notes:
        typer.secho(f"note: {n}", err=True, fg=typer.colors.YELLOW)


def _emit(tables: dict, readme: dict[str, str], fmt: Format, out: Path | None, main: str) -> bool:  # type: ignore[type-arg]
    if emit_tables(tables, fmt, out, readme, main=main):
        return True
    if fmt is Format.json:
        from critmat.cli.output import emit_json

        emit_json({"readme": readme, **{k: v.to_dict("records") for k, v in tables.items()}})
        return True
    if fmt is Format.csv:
        emit_frame(tables[main], fmt)
        return True
    return False


@app.command("scenarios")
@friendly
def scenarios(fmt: FormatOpt = Format.table, out: OutOpt = None) -> None:
    """The shipped demand scenarios (write your own: docs/forecast.md)."""
    from critmat.services.forecast import scenario_list

    check_out(fmt, out)
    t = scenario_list()
    if not _emit(
        {"scenarios": t}, {"command": "critmat forecast scenarios"}, fmt, out, "scenarios"
    ):
        emit_frame(t, fmt, title="Demand scenarios")


@app.command("demand")
@friendly
def demand(
    ctx: typer.Context,
    holder: HolderOpt = None,
    scenario: Annotated[
        str, typer.Option(help="stated_policies, accelerated, or a scenario YAML file.")
    ] = "stated_policies",
    materials: MaterialsOpt = None,
    year: Annotated[int, typer.Option(help="Year of the holder's base consumption.")] = 2023,
    draws: Annotated[int, typer.Option(min=1, max=100_000, help="Draws for the band.")] = 400,
    seed: Annotated[int, typer.Option(min=0)] = 0,
    origin: Annotated[int, typer.Option(help="Backtest origin year.")] = 2018,
    html: HtmlOpt = None,
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
) -> None:
    """World (and a holder's) demand to 2040 from sector drivers x intensities, next to the
    IEA's projection, with the effect of substitution and a backtest from 2018."""
    from critmat.services.forecast import DemandRequest, demand_result, run_demand

    check_out(fmt, out)
    check_html(html)
    ds = dataset_from(ctx)
    req = DemandRequest(
        scenario=scenario,
        holder=holder,
        materials=materials or [],
        year=year,
        draws=draws,
        seed=seed,
        backtest_origin=origin,
    )
    res = run_demand(ds, req)
    from critmat.services.forecast import write_demand_report

    _page_and_notes(html, write_demand_report, res, res.projection.notes)
    if emit_outcome(demand_result(res), fmt, out):
        return
    _demand_screen(res)


def _demand_screen(res: object) -> None:
    import pandas as pd

    from critmat.services.forecast import DemandResult

    assert isinstance(res, DemandResult)
    p = res.projection
    sc = p.scenario
    marks = [y for y in (sc.base_year, 2030, 2035, sc.end_year) if sc.base_year <= y <= sc.end_year]
    w = p.world[(p.world["sector"] == "total") & p.world["year"].isin(marks)]
    view = (w.pivot_table(index=["material", "basis"], columns="year", values="demand_t",
                          sort=False) / 1e3).round(1).reset_index()  # fmt: skip
    if not p.iea.empty:
        r = p.iea[p.iea["year"] == sc.end_year].set_index("material")
        view[f"IEA {sc.end_year} kt/yr"] = view["material"].map(r["iea_t"] / 1e3).round(1)
        view["ratio"] = view["material"].map(r["ratio"]).round(2)
        view["IEA scope"] = view["material"].map(r["scope"])
    view.columns = [f"{c} kt/yr" if isinstance(c, int) else c for c in view.columns]
    emit_frame(
        view,
        Format.table,
        title=f"World demand, {sc.title} (kt/yr of the basis)",
        caption="ratio: critmat / IEA on the IEA's scope (clean technologies: critmat's EV, "
        "wind and solar only). Band, sectors, drivers: --format csv/json/xlsx --out, or --html.",
    )
    if p.holder is not None and not p.holder.empty:
        h = p.holder[p.holder["year"].isin(marks)]
        hv = h.pivot_table(
            index=["material", "basis"], columns="year", values="demand_t", sort=False
        ).reset_index()
        hv = hv.round(1)
        hv.columns = [f"{c} t/yr" if isinstance(c, int) else c for c in hv.columns]
        emit_frame(hv, Format.table, title=f"{res.holder} demand (t/yr of the simulator's basis)")
    s = p.substitution
    s = s[s["year"] == sc.end_year][
        ["material", "demand_t", "frozen_mix_t", "effect_t", "effect_pct"]
    ].round(1)
    emit_frame(
        pd.DataFrame(s).rename(
            columns={
                "demand_t": "with shift t/yr",
                "frozen_mix_t": f"mix of {sc.base_year} t/yr",
                "effect_t": "effect t/yr",
                "effect_pct": "effect %",
            }
        ),
        Format.table,
        title=f"Substitution and technology shift, {sc.end_year}",
    )
    emit_frame(
        res.backtest_summary.round(1),
        Format.table,
        title="Backtest: world demand from the origin (MAPE %, recorded world production)",
        caption="known_drivers: drivers extrapolated from the origin, mix frozen; "
        "recorded_drivers: the drivers as recorded; naive: no change.",
    )


@app.command("prices")
@friendly
def prices(
    ctx: typer.Context,
    materials: MaterialsOpt = None,
    consumption: Annotated[
        bool, typer.Option("--consumption", help="Forecast consumption series instead.")
    ] = False,
    horizon: Annotated[
        int | None, typer.Option(min=1, max=120, help="Steps ahead (default 24 months / 3 years).")
    ] = None,
    origins: Annotated[int, typer.Option(min=2, max=60, help="Backtest origins.")] = 12,
    html: HtmlOpt = None,
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
) -> None:
    """Naive, ETS and ARIMA forecasts with intervals; rolling-origin MASE and coverage; a model
    is shown as better than naive only where its backtest says so."""
    from critmat.services.forecast import PricesRequest, prices_result, run_prices

    check_out(fmt, out)
    check_html(html)
    ds = dataset_from(ctx)
    req = PricesRequest(
        materials=materials or [],
        kind="consumption" if consumption else "price",
        horizon=horizon,
        origins=origins,
    )
    from critmat.services.context import resolve

    resolve(ds, materials=req.materials or None)  # unknown names fail before any work
    typer.echo("backtesting naive, ETS and ARIMA on every series ...", err=True)
    res = run_prices(ds, req)
    from critmat.report.forecast_report import write_price_report

    _page_and_notes(html, write_price_report, res, res.notes)
    if emit_outcome(prices_result(res), fmt, out):
        return
    s = res.summary
    if not s.empty:
        emit_frame(
            s[
                [
                    "material",
                    "series",
                    "model",
                    "origins",
                    "mase",
                    "coverage80",
                    "coverage95",
                    "better_than_naive",
                ]
            ].round(2),
            Format.table,
            title="Backtest (rolling origins): MASE and interval coverage",
            caption="MASE < 1: better than a one-step naive in-sample; compare models "
            "with each other on the same series.",
        )
    f = res.forecasts
    last = f.groupby("series", sort=False).tail(1)
    emit_frame(
        last[["material", "series", "model", "period", "mean", "lo80", "hi80", "unit"]].round(1),
        Format.table,
        title="Forecast at the horizon (median, 80 % interval)",
    )


@app.command("warning")
@friendly
def warning(
    ctx: typer.Context,
    materials: MaterialsOpt = None,
    fitted: Annotated[
        bool, typer.Option("--fitted", help="Use the weights fitted to the events.")
    ] = False,
    threshold: Annotated[float, typer.Option(help="Index level counted as a warning.")] = 0.5,
    html: HtmlOpt = None,
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
) -> None:
    """The early-warning index per material, the event-rate multiplier the simulator takes,
    and the backtest against the recorded events (hits, lead, false alarms)."""
    from critmat.services.warning import WarningRequest, run_warning, warning_result

    check_out(fmt, out)
    check_html(html)
    ds = dataset_from(ctx)
    res = run_warning(
        ds, WarningRequest(materials=materials or [], fitted=fitted, threshold=threshold)
    )
    from critmat.report.forecast_report import write_warning_report

    _page_and_notes(html, write_warning_report, res, res.notes)
    if emit_outcome(warning_result(res), fmt, out):
        return
    emit_frame(
        res.current.round(2),
        Format.table,
        title=f"Early-warning index, {int(res.current['year'].max())} (data to the year before)",
        caption="multiplier: factor on the material's random disruption "
        "rates (critmat plan --forecast uses it).",
    )
    ev = res.events
    hits = int(ev["warned"].sum()) if not ev.empty else 0
    emit_frame(
        ev.round(2),
        Format.table,
        title=f"Backtest: warned before {hits} of {len(ev)} event-materials "
        f"(threshold {threshold})",
    )
    emit_frame(res.alarms, Format.table, title="Warnings and false alarms per material")
