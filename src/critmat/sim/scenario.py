"""Scenario files: disruption events, validated at the boundary (docs/scenarios.md).

A scenario is a list of events. Each event has a start month (0 = first simulated month), a
duration (fixed months or a distribution drawn per simulated run) and a severity (the fraction of
the affected flow that is lost, fixed or a distribution). Example::

    name: gallium licensing
    horizon_months: 60
    events:
      - type: export_restriction
        country: CHN
        material: gallium
        stage: refining
        start: 3
        duration: {dist: lognormal, median: 18, sigma: 0.5}
        severity: 0.8
        licensing_lag_months: 2
        quota: 0.4              # share of normal exports still licensed after the lag
        frontrun_months: 2      # exports surge before it bites
        frontrun: 0.3
        targets: [USA]          # optional: a targeted ban
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from critmat.data.catalogue import MATERIALS
from critmat.data.countries import holder_members, iso3_codes
from critmat.data.yamlfile import load_yaml_model

__all__ = [
    "ROUTES",
    "Chokepoint",
    "DemandShock",
    "Distribution",
    "Embargo",
    "Event",
    "ExportRestriction",
    "Outage",
    "Scenario",
    "StochasticSpec",
    "Withholding",
    "load_scenario",
]

Fraction = Annotated[float, Field(ge=0.0, le=1.0)]
Months = Annotated[int, Field(ge=0, le=600)]


class Distribution(BaseModel):
    """A random quantity drawn once per simulated run."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    dist: Literal["uniform", "lognormal", "triangular"]
    low: float | None = Field(default=None, ge=0.0)
    high: float | None = Field(default=None, ge=0.0)
    mode: float | None = Field(default=None, ge=0.0)
    median: float | None = Field(default=None, gt=0.0)
    sigma: float | None = Field(default=None, gt=0.0, le=5.0)

    @model_validator(mode="after")
    def _parameters(self) -> Distribution:
        need = {
            "uniform": ("low", "high"),
            "lognormal": ("median", "sigma"),
            "triangular": ("low", "mode", "high"),
        }[self.dist]
        missing = [k for k in need if getattr(self, k) is None]
        if missing:
            raise ValueError(f"{self.dist} needs {', '.join(need)}; missing {', '.join(missing)}")
        if self.dist in ("uniform", "triangular") and self.low is not None:
            hi = self.high if self.high is not None else 0.0
            if self.low > hi:
                raise ValueError("low must not exceed high")
            if self.dist == "triangular" and not (self.low <= (self.mode or 0.0) <= hi):
                raise ValueError("mode must lie between low and high")
        return self


DurationSpec = Annotated[int, Field(ge=1, le=600)] | Distribution
SeveritySpec = Fraction | Distribution


#: Maritime chokepoints a ``chokepoint`` event may name (names only; the share of the holder's
#: imports on the route is the event's ``route_share``). After the US EIA's "World Oil Transit
#: Chokepoints" and Chatham House, "Chokepoints and Vulnerabilities in Global Food Trade"
#: (Bailey and Wellesley 2017). A route of the user's own is written ``other:<name>``.
ROUTES: Final[tuple[str, ...]] = (
    "malacca",
    "suez",
    "bab_el_mandeb",
    "hormuz",
    "panama",
    "cape_of_good_hope",
    "gibraltar",
    "turkish_straits",
    "dover",
    "danish_straits",
    "taiwan_strait",
    "lombok",
    "sunda",
    "korea_strait",
    "english_channel",
)
OTHER_ROUTE = "other:"


def _holder(v: str, what: str) -> str:
    """A holder code critmat simulates, or a refusal listing them."""

    if v not in holder_members():
        raise ValueError(
            f"{what} {v!r} is not a holder critmat simulates; holders: "
            + ", ".join(sorted(holder_members()))
        )
    return v


def _within(spec: Distribution | float, cap: float, what: str) -> None:
    """A distribution whose range (uniform, triangular) or median (lognormal: draws above the cap
    are clipped to it) lies within ``[0, cap]``, like a fixed value."""
    if not isinstance(spec, Distribution):
        return
    top = spec.median if spec.dist == "lognormal" else spec.high
    if top is not None and top > cap:
        key = "median" if spec.dist == "lognormal" else "high"
        raise ValueError(
            f"{what} is at most {cap:g} (a fixed {what} above it is refused too); the "
            f"distribution's {key} is {top:g}"
        )


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    material: str
    start: Months = 0
    duration: DurationSpec = 12
    severity: SeveritySpec = 1.0
    label: str = ""

    @model_validator(mode="after")
    def _severity_range(self) -> _Event:
        cap = 5.0 if self.type == "demand_shock" else 1.0  # type: ignore[attr-defined]
        _within(self.severity, cap, "severity")
        return self

    @field_validator("material")
    @classmethod
    def _known_material(cls, v: str) -> str:

        ids = {m.id for m in MATERIALS}
        if v not in ids:
            import difflib

            close = difflib.get_close_matches(v.lower(), sorted(ids), n=3)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise ValueError(f"unknown material {v!r}{hint}; use a critmat material id")
        return v

    @field_validator("country", check_fields=False)
    @classmethod
    def _known_country(cls, v: str) -> str:

        if v not in iso3_codes():
            raise ValueError(f"{v!r} is not an ISO 3166 alpha-3 country code (e.g. CHN, COD)")
        return v


class ExportRestriction(_Event):
    """A controlling country restricts exports of a material at a stage."""

    type: Literal["export_restriction"] = "export_restriction"
    country: str
    stage: Literal["mining", "refining"] = "refining"
    targets: list[str] = Field(default_factory=list, description="holders; empty = everyone")
    licensing_lag_months: Months = 0
    quota: Fraction = 0.0
    frontrun_months: Months = 0
    frontrun: Fraction = 0.0

    @model_validator(mode="after")
    def _targets(self) -> ExportRestriction:

        for t in self.targets:
            _holder(t, "target")
            if self.country in holder_members()[t]:
                raise ValueError(f"{self.country} cannot restrict its exports to itself ({t})")
        return self


class Embargo(_Event):
    """A country stops all exports of a material to one holder."""

    type: Literal["embargo"] = "embargo"
    country: str
    target: str

    @model_validator(mode="after")
    def _target(self) -> Embargo:

        _holder(self.target, "target")
        if self.country in holder_members()[self.target]:
            raise ValueError(f"{self.country} cannot embargo itself ({self.target})")
        return self


class Chokepoint(_Event):
    """A logistics route carrying a share of the holder's imports is blocked."""

    type: Literal["chokepoint"] = "chokepoint"
    route: str
    route_share: Fraction

    @field_validator("route")
    @classmethod
    def _known_route(cls, v: str) -> str:
        if v.startswith(OTHER_ROUTE) and v[len(OTHER_ROUTE) :].strip():
            return v
        key = "_".join(v.strip().lower().replace("-", " ").split())  # "Bab-el-Mandeb" too
        if key in ROUTES:
            return key
        raise ValueError(
            f"unknown route {v!r}; routes: {', '.join(ROUTES)}, or other:<name> for a route of "
            "your own"
        )

    delay_months: Months = 1
    loss: Fraction = 0.1


class Outage(_Event):
    """A mine or refinery accident in one country."""

    type: Literal["outage"] = "outage"
    country: str
    stage: Literal["mining", "refining"] = "mining"


class DemandShock(_Event):
    """A demand surge (severity = relative increase, e.g. 0.3 = +30%)."""

    type: Literal["demand_shock"] = "demand_shock"
    sector: str = "all"
    severity: Annotated[float, Field(ge=0.0, le=5.0)] | Distribution = 0.2


class Withholding(_Event):
    """A producer cuts exports to lift prices (a share of its world supply withheld)."""

    type: Literal["withholding"] = "withholding"
    country: str
    stage: Literal["mining", "refining"] = "refining"


Event = Annotated[
    ExportRestriction | Embargo | Chokepoint | Outage | DemandShock | Withholding,
    Field(discriminator="type"),
]


class StochasticSpec(BaseModel):
    """Parameters of the generator (all overridable in a scenario file under ``stochastic``)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    base_rate: float = Field(0.05, ge=0.0, le=10.0)
    min_share: float = Field(0.10, ge=0.0, le=1.0)
    crisis_rate: float = Field(0.05, ge=0.0, le=10.0)
    crisis_join: float = Field(0.5, ge=0.0, le=1.0)
    crisis_country: str = "CHN"
    duration: Distribution = Distribution(dist="lognormal", median=12, sigma=0.7)
    severity: Distribution = Distribution(dist="uniform", low=0.3, high=0.9)
    max_channels: int = Field(120, ge=1, le=2000)
    #: per material: the early-warning multiplier w_m of its channels' rates (docs/methods.md 8.4)
    rate_multiplier: dict[str, float] = Field(default_factory=dict)

    @field_validator("crisis_country")
    @classmethod
    def _known_country(cls, v: str) -> str:
        if v not in iso3_codes():
            raise ValueError(f"crisis_country {v!r} is not an ISO 3166 alpha-3 code (e.g. CHN)")
        return v

    @field_validator("rate_multiplier")
    @classmethod
    def _positive(cls, v: dict[str, float]) -> dict[str, float]:
        bad = {k: x for k, x in v.items() if not 0.0 <= x <= 100.0}
        if bad:
            raise ValueError(f"rate multipliers must be between 0 and 100: {bad}")
        return v


class Scenario(BaseModel):
    """A named set of events over a horizon."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    name: str
    description: str = ""
    horizon_months: Annotated[int, Field(ge=1, le=600)] = 60
    events: list[Event] = Field(default_factory=list)
    stochastic: dict[str, object] | None = Field(
        default=None,
        description="Add random disruptions (critmat.sim.scenario.StochasticSpec); {} = defaults",
    )
    source: str = ""

    @model_validator(mode="after")
    def _inside_horizon(self) -> Scenario:
        for i, e in enumerate(self.events):
            if isinstance(e.start, int) and e.start >= self.horizon_months:
                raise ValueError(
                    f"events.{i} starts at month {e.start}, after the {self.horizon_months}-month "
                    "horizon"
                )
        if self.stochastic is not None:
            StochasticSpec.model_validate(self.stochastic)
        return self


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario YAML file.

    Raises
    ------
    DatasetError
        With the file, the path inside it (e.g. ``events.0.duration.sigma``) and the reason.
    """
    return load_yaml_model(path, Scenario, "scenario")
