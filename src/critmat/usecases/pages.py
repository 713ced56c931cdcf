"""What the report pages show, computed by the services (critmat.report renders these and
imports no service; docs/architecture.md). No maths here."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import BaseModel, ConfigDict

__all__ = [
    "AssessResult",
    "DataOverview",
    "DemandPage",
    "PlanPage",
    "PriceForecast",
    "SimPage",
    "WarningResult",
]


@dataclass
class AssessResult:
    """The tidy assessment table and what its page shows beside it."""

    holder: str
    year: int
    table: pd.DataFrame
    trend: pd.DataFrame = field(default_factory=pd.DataFrame)
    sourcing: dict[str, pd.DataFrame] = field(default_factory=dict)
    ei_threshold: float = 2.8
    sr_threshold: float = 1.0

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table of the result, by sheet name (for csv/json/xlsx output)."""
        out = {"assessment": self.table}
        if not self.trend.empty:
            out["hhi_trend"] = self.trend
        if self.sourcing:
            out["import_sourcing"] = pd.concat(
                [m.assign(material=k) for k, m in self.sourcing.items()], ignore_index=True
            )
        return out


@dataclass
class DataOverview:
    """The tables of the data report, computed."""

    coverage: pd.DataFrame
    ranking: pd.DataFrame
    spread: pd.DataFrame
    #: the shown material's price series in USD/t of the quoted form, and those not converted
    prices: pd.DataFrame = field(default_factory=pd.DataFrame)
    prices_skipped: list[str] = field(default_factory=list)


class SimPage(BaseModel):
    """What the simulation page shows, computed: summary table and fan table."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    scenario: str
    holder: str
    year: int
    runs: int
    seed: int
    paths_kept: int
    notes: list[str]
    summary: pd.DataFrame
    fans: pd.DataFrame
    has_stock: bool


@dataclass
class PriceForecast:
    """Forecasts, backtest detail and summary for every series requested."""

    forecasts: pd.DataFrame  # material, series, model, step, period, mean, lo80..hi95, unit
    summary: pd.DataFrame  # material, series, model, mase, coverage80/95, better_than_naive
    detail: pd.DataFrame  # backtest rows
    history: pd.DataFrame  # material, series, period, value
    notes: list[str] = field(default_factory=list)


@dataclass
class WarningResult:
    """Index panel, event backtest, false alarms, fitted weights and current multipliers."""

    index: pd.DataFrame  # material, year, z signals, index, multiplier
    raw: pd.DataFrame  # material, year, raw signals
    events: pd.DataFrame  # per event and material: index at start, warned, lead
    alarms: pd.DataFrame  # per material: warnings, false alarms
    weights: pd.DataFrame  # signal, default, fitted, used
    current: pd.DataFrame  # material, year, index, multiplier (the latest year)
    notes: list[str] = field(default_factory=list)


@dataclass
class PlanPage:
    """What the planning page shows (critmat.report.plan_report), taken from a finished plan
    by critmat.services.plan.plan_page: tables, the materials' bases and prices, the unmet
    demand paths without a reserve, the re-simulated losses and the optimality bounds."""

    holder: str
    budget: float  # USD
    alpha: float  # the CVaR level
    max_release_share: float  # of monthly base demand
    materials: list[str]
    basis: list[str]  # each material's reference basis (element, oxide ...)
    price0: npt.NDArray[np.float64]  # USD/t of the basis
    assessment: pd.DataFrame
    composition: pd.DataFrame
    comparison: pd.DataFrame
    frontier: pd.DataFrame
    plan_stocks: pd.DataFrame
    #: runs x materials x months, t of the basis per month (None: paths not kept)
    unmet_paths: npt.NDArray[np.float64] | None
    expected_loss_usd: float  # the recommended reserve re-simulated
    expected_loss_nostock_usd: float  # the same runs without a reserve
    #: SAA bounds (USD): lower, lower_halfwidth, upper, upper_halfwidth, gap, gap_bound95,
    #: batches, eval_scenarios; None for objectives other than the expectation
    gap: dict[str, float] | None
    provenance: dict[str, str]
    notes: list[str]
    timings: dict[str, float]
    summary: list[str]
    sensitivity: pd.DataFrame | None
    tonnes_ranges: pd.DataFrame | None
    extras: dict[str, tuple[dict[str, pd.DataFrame], list[str]]]
    #: the evaluation runs' total loss (USD per run, all materials) with the recommended
    #: reserve and without one (the brief's band; None: not kept)
    loss_runs_usd: npt.NDArray[np.float64] | None = None
    loss_runs_nostock_usd: npt.NDArray[np.float64] | None = None


@dataclass
class DemandPage:
    """What the demand page shows (critmat.report.forecast_report), taken from a projection
    and its backtest by critmat.services.forecast.demand_page. Tonnes are of each material's
    basis (column ``basis``)."""

    name: str  # the scenario's name
    title: str
    description: str
    base_year: int
    end_year: int
    iea_scenario: str | None  # STEPS, APS or NZE (None: none compared)
    world: pd.DataFrame  # material, sector, year, demand_t, low_t, high_t, basis
    holder: str | None
    holder_table: pd.DataFrame | None  # the holder's projection (None: no holder asked)
    iea: pd.DataFrame
    substitution: pd.DataFrame
    assumptions: pd.DataFrame
    projection_notes: list[str]
    backtest: pd.DataFrame
    backtest_summary: pd.DataFrame
