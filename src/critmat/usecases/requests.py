"""The request of every use case in the registry (pydantic; validated at the door by the CLI
and the API alike). No maths here. Numbers and booleans are strict:
JSON ``0`` is not ``false``, ``"2023"`` not a year."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "AssessRequest",
    "CalibrateRequest",
    "CoalitionRequest",
    "DemandRequest",
    "LossRequest",
    "OptionsRequest",
    "PlanRequest",
    "PolicyRequest",
    "PricesRequest",
    "ReleaseRequest",
    "ScheduleRequest",
    "SimulateRequest",
    "SupplyRequest",
    "WarningRequest",
]


class AssessRequest(BaseModel):
    """What to assess."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    holder: str
    year: int = Field(strict=True)
    methods: list[str] | None = None  # eu-crm, usgs, geopolrisk (default: all)
    materials: list[str] | None = None
    sources: Literal["auto", "usgs", "wmd", "all"] = "auto"
    inputs: Path | None = None
    eu_shares: Literal["auto", "eu2023", "dataset"] = "auto"
    #: GeoPolRisk on its publications' basis (gross traded t) or on the content basis
    gpr_basis: Literal["as_traded", "content"] = "as_traded"


class SimulateRequest(BaseModel):
    """A simulation: a scenario (library id, YAML path or ``stochastic``, or the YAML text itself
    in ``scenario_yaml``) in a holder's market."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    scenario: str = ""
    scenario_yaml: str | None = Field(default=None, max_length=200_000)
    holder: str
    year: int = Field(2023, strict=True)
    runs: int = Field(1000, ge=1, le=10_000_000, strict=True)
    seed: int = Field(0, ge=0, strict=True)
    stockpile: Path | None = None
    workers: int | None = Field(None, ge=1, strict=True)
    scheduler: str | None = None
    #: draw the uncertain parameters per run from their ranges (docs/methods.md 6.3, 6.6)
    parameter_uncertainty: bool = Field(True, strict=True)
    #: how expected_loss_usd is counted (docs/methods.md 6.7, 6.9)
    loss_method: Literal["critmat", "usgs2024"] = "critmat"

    @model_validator(mode="after")
    def _one_scenario(self) -> SimulateRequest:
        if bool(self.scenario) == (self.scenario_yaml is not None):
            raise ValueError("give exactly one of scenario (an id or a file) and scenario_yaml")
        return self


class PlanRequest(BaseModel):
    """A planning run (the CLI's ``critmat plan``; ``config`` as its YAML file's content)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    holder: str = Field(max_length=20)
    budget: float = Field(ge=0, le=1e13, strict=True)
    config: dict[str, Any] = Field(default_factory=dict)
    sensitivity: bool = Field(
        False, strict=True, description="add the tornado and ranges on the tonnes"
    )
    decisions: dict[str, str] = Field(
        default_factory=dict,
        description="specs of the decisions beyond the sizing, as text: policy, schedule, options "
        "(YAML), coalition (exchange JSON)",
    )


class PolicyRequest(BaseModel):
    """A Markov-regime policy: the spec as YAML text (docs/policy.md)."""

    model_config = ConfigDict(extra="forbid")

    yaml: str = Field(max_length=200_000)
    method: str = Field("all", pattern="^(all|value|policy|lp)$")


class ScheduleRequest(BaseModel):
    """An acquisition schedule: the spec as YAML text (docs/acquisition.md)."""

    model_config = ConfigDict(extra="forbid")

    yaml: str = Field(max_length=200_000)


class CoalitionRequest(BaseModel):
    """A coalition: the exchange file's content (its JSON schema: critmat optimize coalition
    --schema) and optionally the sharing rule."""

    model_config = ConfigDict(extra="forbid")

    exchange: dict[str, Any]
    rule: str | None = Field(None, pattern="^(need|contribution)$")


class CalibrateRequest(BaseModel):
    """A calibration: all recorded events, or one shown (the fit still uses all)."""

    model_config = ConfigDict(extra="forbid")

    holder: str | None = Field(None, max_length=20)
    event: str | None = Field(None, max_length=40)


class LossRequest(BaseModel):
    """The loss of a tonne short per material (docs/methods.md 6.7), or with ``industries`` the
    industries using each material in the holder's input-output table (6.8)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    holder: str = Field("EU27", max_length=20)
    year: int = Field(2023, strict=True)
    dependency: float = Field(0.03, ge=0.0, le=1.0, strict=True)
    industries: bool = Field(False, strict=True)
    materials: list[str] | None = Field(None, max_length=50)


class OptionsRequest(BaseModel):
    """Mitigation options beyond stock: the catalogue as YAML text (docs/options.md)."""

    model_config = ConfigDict(extra="forbid")

    yaml: str = Field(max_length=200_000)


class ReleaseRequest(BaseModel):
    """A solved release policy inside the simulator next to the simple triggers: the policy
    spec as YAML text (levels in t of the basis; docs/policy.md)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    yaml: str = Field(max_length=200_000)
    material: str = Field(max_length=40)
    stock_t: float = Field(ge=0.0, le=1e9, strict=True)
    thresholds: list[float] = Field(default_factory=lambda: [0.02, 0.2], max_length=20)
    holder: str = Field("EU27", max_length=20)
    scenario: str = Field("stochastic", max_length=40)
    runs: int = Field(1000, ge=10, le=1_000_000, strict=True)
    seed: int = Field(0, ge=0, strict=True)
    months_per_period: float = Field(12.0, ge=0.1, le=120.0, strict=True)


class DemandRequest(BaseModel):
    """A demand projection: scenario (shipped name or file), optional holder and materials."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    scenario: str = Field(default="stated_policies", max_length=400)
    holder: str | None = Field(default=None, max_length=40)
    materials: list[str] = Field(default_factory=list, max_length=40)
    year: int = Field(default=2023, strict=True, description="year of the holder's base demand")
    draws: int = Field(default=400, ge=1, le=100_000, strict=True)
    seed: int = Field(default=0, ge=0, strict=True)
    backtest_origin: int = Field(default=2018, ge=2000, le=2023, strict=True)
    backtest: bool = Field(default=True, strict=True, description="also backtest the method")


class PricesRequest(BaseModel):
    """Statistical forecasts of price (or consumption) series with their backtests."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    materials: list[str] = Field(default_factory=list, max_length=40)
    kind: Literal["price", "consumption"] = "price"
    horizon: int | None = Field(
        default=None, ge=1, le=120, strict=True, description="steps (default 24 M / 3 A)"
    )
    origins: int = Field(default=12, ge=2, le=60, strict=True)


class WarningRequest(BaseModel):
    """The index over ``years`` for ``materials`` (default: the seed list)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    materials: list[str] = Field(default_factory=list, max_length=40)
    first_year: int = Field(default=2000, ge=1997, le=2025, strict=True)
    last_year: int = Field(default=2026, ge=1998, le=2030, strict=True)
    threshold: float = Field(default=0.5, ge=-3.0, le=3.0, strict=True)
    weights: dict[str, Annotated[float, Field(strict=True)]] = Field(
        default_factory=dict, max_length=20
    )
    fitted: bool = Field(default=False, strict=True, description="the weights fitted to events")


class SupplyRequest(BaseModel):
    """Supply of a material by country at a stage (the dataset's view, with its HHI)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    material: str = Field(max_length=40)
    stage: Literal["mining", "refining", "global_supply"] | None = None
    year: int | None = Field(default=None, ge=1900, le=2100, strict=True)
    source: str | None = Field(default=None, max_length=40, description="dataset id")
