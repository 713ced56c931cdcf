"""What the report pages show, computed by the services (critmat.report renders these and
imports no service; docs/architecture.md). No maths here."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from pydantic import BaseModel, ConfigDict

__all__ = ["AssessResult", "DataOverview", "PriceForecast", "SimPage", "WarningResult"]


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
