"""Stockpile files: holdings per material and the release policy.

Example (all keys optional)::

    trigger_shortfall: 0.05     # release when the shortfall exceeds 5% of demand ...
    trigger_price: 1.5          # ... or the price exceeds 1.5x its base
    days_of_cover: 60           # default holding for every material: 60 days of base demand
    max_release_share: 0.5      # default max release per month, share of monthly base demand
    materials:
      cobalt: {stock_t: 2000, max_release_t_per_month: 300, floor_t: 200}
    policy:                     # optional: one material released by a solved Markov policy
      material: gallium
      spec: gallium_policy.yaml # critmat optimize policy spec, levels in t of the basis
      thresholds: [0.02, 0.2]   # shortfall share of demand: 2% disrupted, 20% severe
      months_per_period: 12     # the policy's period
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from critmat.data.loader import DatasetError
from critmat.data.yamlfile import load_yaml_model
from critmat.sim.engine import DrawRule, Stockpile
from critmat.sim.market import Market

__all__ = ["MaterialHolding", "PolicyRelease", "StockpileSpec", "load_stockpile"]

#: the largest tonnage a stockpile file may state: 1e9 t, above the world's yearly output of any
#: material critmat covers (the engine computes in float32, whose range ends near 3.4e38)
MAX_T = 1e9
NonNeg = Annotated[float, Field(ge=0.0)]
Tonnes = Annotated[float, Field(ge=0.0, le=MAX_T)]
#: a share of monthly base demand (a release can cover at most the whole month's demand)
Share = Annotated[float, Field(ge=0.0, le=1.0)]
DAYS_PER_MONTH = 30.4375


class MaterialHolding(BaseModel):
    """Holding of one material (tonnes of the traded forms, as the market's demand)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    stock_t: Tonnes | None = None
    days_of_cover: Annotated[float, Field(ge=0.0, le=36_500.0)] | None = None
    max_release_t_per_month: Tonnes | None = None
    floor_t: Tonnes = 0.0

    @model_validator(mode="after")
    def _floor_below_stock(self) -> MaterialHolding:
        if self.stock_t is not None and self.floor_t > self.stock_t:
            raise ValueError(
                f"floor_t {self.floor_t:g} is above stock_t {self.stock_t:g}: the floor is the "
                "part of the stock never released"
            )
        return self


class PolicyRelease(BaseModel):
    """One material released by a solved Markov policy (docs/policy.md) instead of the
    triggers. ``levels``/``next_level`` are filled by the service layer, which solves ``spec``."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    material: str
    spec: str = Field(description="policy spec file (or shipped example name)")
    thresholds: list[Annotated[float, Field(gt=0.0, le=1.0)]] = Field(min_length=1)
    months_per_period: Annotated[float, Field(gt=0.0, le=120.0)] = 12.0
    levels: list[float] | None = None
    next_level: list[list[float]] | None = None

    def rule(self, market: Market) -> DrawRule:
        """The engine's draw rule (the policy must be solved, with one state per bin)."""
        if self.levels is None or self.next_level is None:
            raise DatasetError("the stockpile's policy was not solved (critmat.services)")
        if self.thresholds != sorted(self.thresholds):
            raise DatasetError("stockpile policy: thresholds must be ascending")
        if len(self.next_level) != len(self.thresholds) + 1:
            raise DatasetError(
                f"stockpile policy: {len(self.thresholds)} thresholds make "
                f"{len(self.thresholds) + 1} states, the policy has {len(self.next_level)}"
            )
        if self.material not in market.materials:
            raise DatasetError(
                f"stockpile policy material {self.material!r} is not in the {market.holder} market"
            )
        return DrawRule(
            market.index(self.material),
            np.asarray(self.levels, np.float32),
            np.asarray(self.thresholds, np.float32),
            np.asarray(self.next_level, np.float32),
            self.months_per_period,
        )


class StockpileSpec(BaseModel):
    """A reserve and its release policy."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    trigger_shortfall: Annotated[float, Field(ge=0.0, le=1.0)] = 0.05
    trigger_price: Annotated[float, Field(ge=1.0)] = 1.5
    days_of_cover: Annotated[float, Field(ge=0.0, le=36_500.0)] = 0.0
    max_release_share: Share = 0.5
    materials: dict[str, MaterialHolding] = Field(default_factory=dict)
    policy: PolicyRelease | None = None
    own_supply: dict[str, list[Tonnes]] = Field(
        default_factory=dict,
        description="the holder's own added supply per month (t/month of the basis), e.g. from "
        "mitigation options (critmat.optimize.options)",
    )

    def arrays(self, market: Market) -> Stockpile:
        """Stock, maximum release and floor per market material (t, t/month)."""
        unknown = sorted(set(self.materials) - set(market.materials))
        if unknown:
            raise DatasetError(
                f"stockpile names materials outside the {market.holder} market: "
                f"{', '.join(unknown)}; market materials: {', '.join(market.materials)}"
            )
        daily = market.demand0 / DAYS_PER_MONTH
        stock = (self.days_of_cover * daily).astype(np.float32)
        max_rel = (self.max_release_share * market.demand0).astype(np.float32)
        floor = np.zeros(market.n_materials, np.float32)
        for name, h in self.materials.items():
            i = market.index(name)
            if h.stock_t is not None:
                stock[i] = h.stock_t
            elif h.days_of_cover is not None:
                stock[i] = h.days_of_cover * daily[i]
            if h.max_release_t_per_month is not None:
                max_rel[i] = h.max_release_t_per_month
            floor[i] = h.floor_t
        draw = self.policy.rule(market) if self.policy is not None else None
        own = None
        if self.own_supply:
            unknown_own = sorted(set(self.own_supply) - set(market.materials))
            if unknown_own:
                raise DatasetError(f"own_supply names materials outside the market: {unknown_own}")
            months = max(len(v) for v in self.own_supply.values())
            own = np.zeros((market.n_materials, max(months, 1)), np.float32)
            for name, v in self.own_supply.items():
                own[market.index(name), : len(v)] = v
                if v:
                    own[market.index(name), len(v) :] = v[-1]
        return Stockpile(
            stock, max_rel, floor, self.trigger_shortfall, self.trigger_price, draw, own
        )


def load_stockpile(path: str | Path | None) -> StockpileSpec:
    """Read a stockpile YAML file (``None``: no reserve)."""
    if path is None:
        return StockpileSpec()
    return load_yaml_model(path, StockpileSpec, "stockpile", empty_ok=True)
