"""``critmat plan``: assess -> simulate -> optimise -> evaluate, one HTML report."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from critmat.cli.output import (
    Format,
    FormatOpt,
    HolderOpt,
    HtmlOpt,
    OutOpt,
    check_html,
    check_out,
    dataset_from,
    emit_frame,
    emit_outcome,
    friendly,
)

if TYPE_CHECKING:
    import pandas as pd


def _short(source: str) -> str:
    """The publisher part of a source string (before the first comma or semicolon)."""
    head = source.split(";")[0].split(",")[0]
    return head.replace("Mineral Commodity Summaries", "MCS")[:32]


BudgetOpt = Annotated[float, typer.Option(min=0.0, help="Acquisition budget, USD (e.g. 2e9).")]
ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        help="Plan YAML (scenario, runs, costs, caps, floors), or a shipped example by name: "
        "plan_gallium_germanium."
    ),
]
StockpileOpt = Annotated[
    Path | None, typer.Option(help="Current holdings (stockpile YAML) to compare.")
]
PolicyOpt = Annotated[
    Path | None, typer.Option(help="Also solve this build/draw policy (docs/policy.md).")
]
ScheduleOpt = Annotated[
    Path | None, typer.Option(help="Also plan this acquisition schedule (docs/acquisition.md).")
]
CoalitionOpt = Annotated[
    Path | None, typer.Option(help="Also weigh this coalition exchange file (docs/coalition.md).")
]
OptionsOpt = Annotated[
    Path | None, typer.Option(help="Also weigh these options beyond stock (docs/options.md).")
]
ForecastOpt = Annotated[
    str | None,
    typer.Option(
        help="Use a demand scenario (stated_policies, accelerated or a file): projected "
        "demand, price forecasts that beat naive, warning-adjusted event rates "
        "(docs/forecast.md).",
    ),
]
BriefOpt = Annotated[
    Path | None,
    typer.Option(
        help="Also write a printable 1-2 page brief (the decision, the money, the band, one "
        "chart, the sources) as PATH.pdf and PATH.html.",
    ),
]
SensitivityOpt = Annotated[
    bool,
    typer.Option(
        "--sensitivity",
        help="Also re-plan under each major assumption's low and high value (tornado) and "
        "give ranges on the tonnes (bootstrap with parameter draws).",
    ),
]


@friendly
def plan(
    ctx: typer.Context,
    holder: HolderOpt,
    budget: BudgetOpt,
    config: ConfigOpt = None,
    stockpile: StockpileOpt = None,
    html: HtmlOpt = None,
    brief: BriefOpt = None,
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
    policy: PolicyOpt = None,
    schedule: ScheduleOpt = None,
    coalition: CoalitionOpt = None,
    options: OptionsOpt = None,
    forecast: ForecastOpt = None,
    sensitivity: SensitivityOpt = False,
) -> None:
    """With this budget: which materials to hold, how much, and the loss that avoids vs practice."""
    from critmat.cli.output import stage_reporter
    from critmat.services.plan import (
        check_brief,
        load_plan_config,
        plan_result,
        run_plan,
        write_plan_brief,
        write_plan_report,
    )

    check_out(fmt, out)
    check_html(html)
    check_brief(brief)
    ds = dataset_from(ctx)
    cfg = load_plan_config(config)
    stages = ["assess", "simulate", "optimise", "evaluate"] + (
        ["sensitivity"] if sensitivity else []
    )
    with stage_reporter("planning", stages) as stage:
        res = run_plan(
            ds, holder, budget, cfg, stockpile=stockpile, stage=stage, sensitivity=sensitivity,
            policy=policy, schedule=schedule, coalition=coalition, options=options,
            forecast=forecast,
        )  # fmt: skip
    if html is not None:
        path = write_plan_report(res, html)
        typer.echo(f"wrote {path.resolve()}", err=True)
    if brief is not None:
        for path in write_plan_brief(res, brief):
            typer.echo(f"wrote {path.resolve()}", err=True)
    for n in res.notes:
        typer.secho(f"note: {n}", err=True, fg=typer.colors.YELLOW)
    if emit_outcome(plan_result(res), fmt, out):
        return
    _screen(res, budget, fmt)


def _screen(res: Any, budget: float, fmt: Format) -> None:
    """The plan on the terminal: the summary, the stock, the comparison with practice."""
    import pandas as pd
    from rich.console import Console

    comp = res.composition
    Console().print(
        f"[bold]Plan for {res.holder}, budget {budget / 1e6:,.0f} m USD[/bold]\n"
        + "\n".join(f"- {line}" for line in res.summary)
        + "\n"
    )
    held = comp[comp["optimal_t"].fillna(0) > 0]
    total = float(held["optimal_usd"].sum())
    skipped = comp[comp["reason"].astype(str) != ""]
    emit_frame(
        _stock_view(held),
        fmt,
        title=f"Recommended stockpile: {res.holder}, budget {budget / 1e6:,.0f} USD m "
        f"(total {total / 1e6:,.1f} USD m)",
        caption="stock in t of each material's basis; price in USD per t of that basis"
        + "".join(f"\n{r.material}: {r.reason}" for r in skipped.itertuples()),
    )
    c = res.comparison
    view = pd.DataFrame(
        {
            "plan": c["plan"],
            "spent": (c["spent_usd"] / 1e6).round(1),
            "holding": ((c["holding_usd"] + c["transaction_usd"]) / 1e6).round(1),
            "worth at end": (c["residual_value_usd"] / 1e6).round(1),
            "E loss": (c["expected_loss_usd"] / 1e6).round(1),
            "total cost": (c["total_cost_usd"] / 1e6).round(1),
        }
    )
    emit_frame(
        view,
        fmt,
        title="Against practice (same budget), USD m on the evaluation scenarios",
        caption="total cost = spent + holding (storage, insurance, financing, purchase spread) "
        "- worth at end (the stock left at the end of the horizon, valued as under 'stock left "
        "at the end') + E loss (expected loss of unmet demand); "
        + "; ".join(f"{k}: {v}" for k, v in res.provenance.items()),
    )
    if res.sensitivity is not None and res.tonnes_ranges is not None:
        _emit_sensitivity(res.sensitivity, res.tonnes_ranges, fmt)


def _stock_view(held: pd.DataFrame) -> pd.DataFrame:
    """The recommended stock per material as the terminal shows it (units in the cells)."""
    import pandas as pd

    return pd.DataFrame(
        {
            "material": held["material"],
            "stock": [
                f"{q:,.1f} t {b}" for q, b in zip(held["optimal_t"], held["basis"], strict=True)
            ],
            "USD m": (held["optimal_usd"] / 1e6).round(1),
            "days": held["days_of_cover"].round(0),
            "price": [
                f"{v:,.0f} {u}"
                for v, u in zip(held["price_usd_per_t"], held["price_unit"], strict=True)
            ],
            "price source": [
                f"{_short(src)}: {int(y)}, {st}"
                for src, y, st in zip(
                    held["price_source"], held["price_year"], held["price_status"], strict=True
                )
            ],
        }
    )


def _emit_sensitivity(sens: pd.DataFrame, ranges: pd.DataFrame, fmt: Format) -> None:
    """The tornado and the tonnes' ranges as terminal tables."""
    import pandas as pd

    ok = sens[sens["total_cost_usd"].notna()] if "total_cost_usd" in sens else sens.iloc[:0]
    emit_frame(
        pd.DataFrame(
            {
                "assumption": ok["assumption"],
                "setting": ok["setting"] + " " + ok["value"].map("{:g}".format) + " " + ok["unit"],
                "total cost": (ok["total_cost_usd"] / 1e6).round(1),
                "vs base": (ok["delta_total_cost_usd"] / 1e6).round(1),
                "spent": (ok["spent_usd"] / 1e6).round(1),
            }
        ),
        fmt,
        title="How sure: re-planned under each assumption's low and high value, USD m",
        caption="\n".join(
            f"{a}: {n}"
            for a, n, st in zip(sens["assumption"], sens["note"], sens["setting"], strict=True)
            if st == "low"
        ),
    )
    held = ranges[ranges["recommended_t"] > 0]
    emit_frame(
        pd.DataFrame(
            {
                "material": held["material"],
                "recommended": [
                    f"{v:,.1f} t {b}"
                    for v, b in zip(held["recommended_t"], held["basis"], strict=True)
                ],
                "P5": held["p05_t"].round(1),
                "P50": held["p50_t"].round(1),
                "P95": held["p95_t"].round(1),
            }
        ),
        fmt,
        title="Ranges on the tonnes (t of the basis)",
        caption=f"{int(ranges['replicates'].iloc[0])} bootstrap resamples of the scenarios, each "
        "with the loss per tonne scaled over its dependency range (0.01-0.10, log-uniform) and "
        "the holding cost x U(0.5, 1.5)",
    )
