"""Demand scenarios: the YAML files behind ``critmat forecast demand`` (docs/forecast.md).

A scenario names where each sector driver comes from (history and projection points in the
``demand_drivers`` table, the growth after the last point), the battery chemistry mix and magnet
composition paths (the substitution levers), and the growth of the other uses. Every number that
is not read from the dataset is a :class:`Param` or :class:`Rate` with a source and a status
(``assumption`` unless a source is given), and a range that the projection's band covers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from critmat.data.dataset import InputError
from critmat.data.yamlfile import load_yaml_model

__all__ = [
    "DRIVERS",
    "SOURCE_STATUSES",
    "DemandScenario",
    "DriverSpec",
    "Param",
    "Rate",
    "SeriesRef",
    "load_scenario",
    "scenario_names",
    "scenario_path",
]

#: The sector drivers a scenario projects, with their units.
DRIVERS: dict[str, str] = {
    "ev_battery_demand": "GWh/yr",
    "ev_sales": "vehicles/yr",
    "solar_added": "GW/yr",
    "wind_added": "GW/yr",
}
SOURCE_STATUSES = Literal["assumption", "secondary", "published", "derived"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class Rate(_Strict):
    """An annual growth rate (0.03 = 3 %/yr) with its range and source."""

    value: float = Field(ge=-0.5, le=1.0)
    low: float = Field(ge=-0.5, le=1.0)
    high: float = Field(ge=-0.5, le=1.0)
    source: str = Field(min_length=3)
    status: SOURCE_STATUSES = "assumption"

    @model_validator(mode="after")
    def _ordered(self) -> Rate:
        if not self.low <= self.value <= self.high:
            raise ValueError(
                f"need low <= value <= high, got {self.low}, {self.value}, {self.high}"
            )
        return self


class Param(_Strict):
    """A number or a path by year (linear between the years given, flat outside), with a
    relative range (``rel_low`` and ``rel_high`` multiply it) and its source."""

    value: float | dict[int, float]
    unit: str
    rel_low: float = Field(default=1.0, gt=0.0, le=1.0)
    rel_high: float = Field(default=1.0, ge=1.0, le=10.0)
    source: str = Field(min_length=3)
    status: SOURCE_STATUSES = "assumption"

    @field_validator("value")
    @classmethod
    def _finite(cls, v: float | dict[int, float]) -> float | dict[int, float]:
        values = v.values() if isinstance(v, dict) else [v]
        if isinstance(v, dict) and not v:
            raise ValueError("a path needs at least one year")
        if any(x < 0 for x in values):
            raise ValueError("values must be >= 0")
        if isinstance(v, dict) and any(not 1990 <= y <= 2100 for y in v):
            raise ValueError("path years must be between 1990 and 2100")
        return v


class SeriesRef(_Strict):
    """Rows of the ``demand_drivers`` table: one driver, scenario and edition."""

    scenario: str
    edition: str
    driver: str | None = Field(default=None, description="another driver (scale and follow only)")


class ScaleRef(SeriesRef):
    """Multiply the projected values by ``scenario`` / ``relative_to`` of another series."""

    relative_to: str


class DriverSpec(_Strict):
    """Where a driver's path comes from (docs/forecast.md, "Driver paths")."""

    history: str = Field(description="edition of the historical rows (scenario 'historical')")
    points: list[SeriesRef] = Field(default_factory=list)
    scale: ScaleRef | None = None
    follow: SeriesRef | None = None
    growth_after: Rate


class Chemistry(_Strict):
    """Shares of EV battery GWh by chemistry (names of the ``battery pack ...`` rows of the
    intensities table, or ``sodium-ion``), by year; each year's shares sum to 1."""

    shares: dict[int, dict[str, float]]
    intensity_range: tuple[float, float] = (0.9, 1.1)
    source: str = Field(min_length=3)
    status: SOURCE_STATUSES = "assumption"

    @field_validator("shares")
    @classmethod
    def _sum_to_one(cls, v: dict[int, dict[str, float]]) -> dict[int, dict[str, float]]:
        if not v:
            raise ValueError("give the mix of at least one year")
        for year, mix in v.items():
            if any(s < 0 for s in mix.values()):
                raise ValueError(f"{year}: shares must be >= 0")
            total = sum(mix.values())
            if abs(total - 1.0) > 1e-6:
                raise ValueError(f"{year}: shares sum to {total:.6g}, not 1")
        return v


class Magnets(_Strict):
    """NdFeB magnets in EV traction motors and permanent-magnet wind generators."""

    ev_magnet_kg_per_vehicle: Param
    wind_pm_share: Param
    wind_magnet_kg_per_mw: Param
    rare_earth_share: Param
    neodymium_share: Param
    dysprosium_share: Param
    terbium_share: Param


class OtherUses(_Strict):
    """Growth of the uses no driver covers: the IEA's own 'Other uses' growth where it
    publishes one (``iea: true``), else ``rates`` per material, else ``default``."""

    default: Rate
    iea: bool = True
    rates: dict[str, Rate] = Field(default_factory=dict)


class DemandScenario(_Strict):
    """A named demand scenario (see the shipped ``stated_policies`` and ``accelerated``)."""

    name: str = Field(pattern=r"^[a-z0-9_]+$")
    title: str
    description: str = ""
    iea_scenario: Literal["STEPS", "APS", "NZE"] | None = Field(
        default=None, description="the IEA scenario the projection is compared with"
    )
    base_year: int = Field(default=2024, ge=2015, le=2035)
    end_year: int = Field(default=2040, ge=2020, le=2060)
    drivers: dict[Literal["ev_battery_demand", "ev_sales", "solar_added", "wind_added"], DriverSpec]
    chemistry: Chemistry
    magnets: Magnets
    pv_silicon_g_per_w: Param
    other_uses: OtherUses

    @model_validator(mode="after")
    def _years(self) -> DemandScenario:
        if self.end_year <= self.base_year:
            raise ValueError(f"end_year {self.end_year} must be after base_year {self.base_year}")
        missing = sorted(set(DRIVERS) - set(self.drivers))
        if missing:
            raise ValueError(f"drivers missing: {', '.join(missing)}")
        return self


def scenario_names() -> list[str]:
    """Names of the shipped scenarios."""
    from importlib import resources

    root = resources.files("critmat.forecast") / "scenarios"
    return sorted(p.name[:-5] for p in root.iterdir() if p.name.endswith(".yaml"))


def scenario_path(ref: str | Path) -> Path:
    """A scenario file, or the shipped scenario of that name."""
    from importlib import resources

    if str(ref) in scenario_names():
        return Path(str(resources.files("critmat.forecast") / "scenarios" / f"{ref}.yaml"))
    return Path(ref)


def load_scenario(ref: str | Path) -> DemandScenario:
    """Read and validate a scenario (a file or a shipped name); errors name the key path."""

    p = scenario_path(ref)
    if not p.exists():
        raise InputError(
            f"demand scenario {str(ref)!r}: no such file or shipped scenario "
            f"(shipped: {', '.join(scenario_names())})"
        )
    return load_yaml_model(p, DemandScenario, "demand scenario")
