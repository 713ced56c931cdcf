"""The tables of ``critmat forecast`` (CLI outputs, the API's JSON, the HTML pages): every
column names its unit and basis."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from critmat.services.forecast import DemandResult, PriceForecast
    from critmat.services.warning import WarningResult

__all__ = ["demand_tables", "price_tables", "warning_tables"]


def demand_tables(res: DemandResult) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """world (by sector), holder, drivers, substitution, iea, backtest, assumptions."""
    p = res.projection
    sc = p.scenario
    t: dict[str, pd.DataFrame] = {
        "world": p.world.rename(
            columns={
                "demand_t": "demand_t_per_yr",
                "low_t": "p10_t_per_yr",
                "high_t": "p90_t_per_yr",
            }
        ),
    }
    if p.holder is not None and not p.holder.empty:
        t["holder"] = p.holder.rename(
            columns={
                "demand_t": "demand_t_per_yr",
                "low_t": "p10_t_per_yr",
                "high_t": "p90_t_per_yr",
                "index": "index_vs_base",
            }
        )
    t["drivers"] = p.drivers.rename(columns={"low": "p10", "high": "p90"})
    t["substitution"] = p.substitution.rename(
        columns={
            "demand_t": "with_shift_t_per_yr",
            "frozen_mix_t": "frozen_mix_t_per_yr",
            "effect_t": "effect_t_per_yr",
        }
    )
    if not p.iea.empty:
        t["iea_comparison"] = p.iea.rename(
            columns={"critmat_t": "critmat_t_per_yr", "iea_t": "iea_t_per_yr"}
        )
    t["backtest"] = res.backtest
    t["backtest_summary"] = res.backtest_summary
    t["base"] = res.base.rename(columns={"value_t": "world_demand_t_per_yr"})
    t["assumptions"] = p.assumptions
    readme = {
        "command": "critmat forecast demand",
        "scenario": f"{sc.name}: {sc.title}",
        "years": f"{sc.base_year}-{sc.end_year}",
        "holder": res.holder or "(world only)",
        "units": "t/yr of the basis column (world: element content, IEA basis where the base is "
        "the IEA's; holder: the simulator's basis); drivers in their unit column",
        "band": "p10-p90 over draws within the labelled ranges (assumptions table)",
        "methods": "docs/forecast.md, docs/methods.md 8.1-8.2",
        "notes": " | ".join(p.notes + res.notes),
    }
    return t, readme


def price_tables(res: PriceForecast) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """forecasts, backtest (summary), backtest_detail, history."""
    t = {
        "forecasts": res.forecasts,
        "backtest": res.summary,
        "backtest_detail": res.detail,
        "history": res.history,
    }
    readme = {
        "command": "critmat forecast prices",
        "models": "naive (random walk), ets (ETS(A,Ad,N) on logs), arima (ARIMA(1,1,1) on logs)",
        "accuracy": "MASE (Hyndman & Koehler 2006) over rolling origins; coverage of the 80% and "
        "95% intervals; a model is better than naive only where its MASE is lower",
        "units": "each series' unit column (nominal USD); BACI unit values are proxies",
        "methods": "docs/forecast.md, docs/methods.md 8.3",
        "notes": " | ".join(res.notes),
    }
    return t, readme


def warning_tables(res: WarningResult) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """current, index (panel), events (backtest), false_alarms, weights, raw_signals."""
    t = {
        "current": res.current,
        "index": res.index,
        "events": res.events,
        "false_alarms": res.alarms,
        "weights": res.weights,
        "raw_signals": res.raw,
    }
    readme = {
        "command": "critmat forecast warning",
        "index": "weighted mean of robust z-scores of six signals (data up to the year before)",
        "multiplier": "clip(exp(beta * index), 0.5, 4): the factor on the disruption rates",
        "methods": "docs/methods.md 8.4-8.5",
        "notes": " | ".join(res.notes),
    }
    return t, readme
