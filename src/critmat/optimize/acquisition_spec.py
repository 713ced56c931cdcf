"""The acquisition-schedule YAML spec (docs/acquisition.md); refusals name the field and why."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["AcquisitionSpec", "Origin", "Release"]

NonNeg = Annotated[float, Field(ge=0)]
Pos = Annotated[float, Field(gt=0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class Origin(_Strict):
    """Where a purchase comes from: its premium over the market price, footprint and ESG."""

    name: str = Field(min_length=1, max_length=80)
    country: str = Field("", max_length=3, description="ISO3, for the record")
    share: Annotated[float, Field(gt=0, le=1)] = Field(
        description="share of the yearly market-impact cap this origin can supply"
    )
    premium: Annotated[float, Field(ge=-0.5, le=5)] = 0.0
    co2e_t_per_t: NonNeg | None = Field(None, description="t CO2e per t of the basis")
    footprint_route: str | None = Field(
        None, max_length=120, description="text of a route in the dataset's footprint table"
    )
    esg_score: Annotated[float, Field(ge=0, le=100)] = Field(
        description="the agency's rating of the origin's standard (0-100; an input)"
    )

    @model_validator(mode="after")
    def _one_footprint(self) -> Origin:
        if (self.co2e_t_per_t is None) == (self.footprint_route is None):
            raise ValueError("give exactly one of co2e_t_per_t and footprint_route")
        return self


class Release(_Strict):
    """A release at the start of a year (1-based)."""

    year: Annotated[int, Field(ge=1)]
    t: Pos


class AcquisitionSpec(_Strict):
    """A multi-year acquisition of one material for a holder."""

    name: str = Field(max_length=120)
    holder: str = Field("EU27", max_length=20)
    material: str = Field(max_length=40)
    year: Annotated[int, Field(ge=2015, le=2024)] = 2023
    years: Annotated[int, Field(ge=1, le=50)]
    target_t: Pos
    start_t: NonNeg = 0.0
    deadline_year: Annotated[int, Field(ge=1)] | None = None
    budget_usd_per_year: NonNeg | list[NonNeg]
    market_impact_share: Annotated[float, Field(gt=0, le=1)] = 0.02
    world_supply_t: Pos | None = None
    prices: Literal["base", "simulated", "forecast"] | list[Pos] = "base"
    price_runs: Annotated[int, Field(ge=50, le=20_000)] = 500
    seed: Annotated[int, Field(ge=0)] = 0
    releases: list[Release] = Field(default_factory=list)
    rebuild_years: Annotated[int, Field(ge=1, le=50)] = 2
    holding_share_per_year: Annotated[float, Field(ge=0, le=1)] = 0.015
    discount_rate: Annotated[float, Field(ge=0, le=1)] = 0.04
    carbon_price_usd_per_t: NonNeg = 0.0
    co2_cap_t: NonNeg | None = None
    min_esg_score: Annotated[float, Field(ge=0, le=100)] = 0.0
    origins: list[Origin] = Field(min_length=1, max_length=50)

    @model_validator(mode="after")
    def _consistent(self) -> AcquisitionSpec:
        if (
            isinstance(self.budget_usd_per_year, list)
            and len(self.budget_usd_per_year) != self.years
        ):
            raise ValueError(
                f"budget_usd_per_year lists {len(self.budget_usd_per_year)} years, not {self.years}"
            )
        if isinstance(self.prices, list) and len(self.prices) != self.years:
            raise ValueError(f"prices lists {len(self.prices)} years, not {self.years}")
        if self.deadline_year is not None and self.deadline_year > self.years:
            raise ValueError(
                f"deadline_year {self.deadline_year} is after the last year {self.years}"
            )
        late = [r.year for r in self.releases if r.year > self.years]
        if late:
            raise ValueError(f"releases in year(s) {late}, after the last year {self.years}")
        names = [o.name for o in self.origins]
        if len(set(names)) != len(names):
            raise ValueError(
                f"origins named twice: {sorted({n for n in names if names.count(n) > 1})}"
            )
        return self
