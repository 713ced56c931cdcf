"""The policy YAML spec (docs/policy.md): validated, then compiled to the arrays of
:mod:`critmat.optimize.policy`. Every refusal names the field and the reason."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from critmat.data.yamlfile import load_yaml_model
from critmat.optimize.policy import PolicyProblem

__all__ = ["PolicySpec", "build_problem", "load_policy_spec"]

Pos = Annotated[float, Field(gt=0)]
NonNeg = Annotated[float, Field(ge=0)]
MAX_LEVELS = 5_000
MAX_STATES = 50
#: states x levels x levels: the reward tensor's cells (8 bytes each; 20 million = 160 MB)
MAX_CELLS = 20_000_000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class Levels(_Strict):
    """The stock grid: ``min, min + step, ..., max`` (units of the spec)."""

    min: NonNeg = 0.0
    max: Pos
    step: Pos

    @model_validator(mode="after")
    def _grid(self) -> Levels:
        n = (self.max - self.min) / self.step
        if self.max <= self.min:
            raise ValueError(f"max ({self.max:g}) must exceed min ({self.min:g})")
        if abs(n - round(n)) > 1e-9 * max(1.0, n):
            raise ValueError(f"(max - min) / step = {n:g} is not a whole number of steps")
        if round(n) + 1 > MAX_LEVELS:
            raise ValueError(f"{round(n) + 1:,} levels; at most {MAX_LEVELS:,}")
        return self

    def values(self) -> np.ndarray:
        n = round((self.max - self.min) / self.step)
        return self.min + self.step * np.arange(n + 1, dtype=float)


class PriceReward(_Strict):
    """The holder trades at given prices per state (USD per unit)."""

    kind: Literal["price"]
    prices: dict[str, NonNeg]
    buy_premium: Annotated[float, Field(ge=0, le=1)] = 0.0


class Demand(_Strict):
    """World demand ``D(p) = shift + k p^-elasticity`` (units per period; ``shift = 0`` is
    constant elasticity)."""

    k: Pos
    elasticity: Annotated[float, Field(gt=0, le=5)]
    shift: float = 0.0


class StructuralReward(_Strict):
    """World supply per state, world demand, the holder's share of it and the normal price."""

    kind: Literal["structural"]
    world_supply: dict[str, Pos]
    demand: Demand
    holder_share: Annotated[float, Field(gt=0, le=1)]
    normal_price: Pos


class PolicySpec(_Strict):
    """A Markov-regime stockpile problem (docs/policy.md)."""

    name: str = Field(max_length=120)
    description: str = ""
    source: str = ""
    unit: str = Field("t", max_length=20)
    period: str = Field("year", max_length=20)
    currency: str = Field("USD", max_length=20)
    states: list[Annotated[str, Field(min_length=1, max_length=40)]] = Field(
        min_length=1, max_length=MAX_STATES
    )
    transition: list[list[NonNeg]]
    levels: Levels
    discount: Annotated[float, Field(gt=0, lt=1)]
    holding_cost: NonNeg = 0.0
    max_build_steps: Annotated[int, Field(ge=0)] | None = None
    max_draw_steps: Annotated[int, Field(ge=0)] | None = None
    no_build_in: list[str] = Field(default_factory=list)
    no_draw_in: list[str] = Field(default_factory=list)
    reward: PriceReward | StructuralReward = Field(discriminator="kind")

    @model_validator(mode="after")
    def _consistent(self) -> PolicySpec:
        st = self.states
        if len(set(st)) != len(st):
            raise ValueError(
                f"states are named twice: {sorted({s for s in st if st.count(s) > 1})}"
            )
        if len(self.transition) != len(st):
            raise ValueError(f"transition has {len(self.transition)} rows for {len(st)} states")
        for i, row in enumerate(self.transition):
            if len(row) != len(st):
                raise ValueError(
                    f"transition row {i} ({st[i]}) has {len(row)} entries, not {len(st)}"
                )
            if abs(sum(row) - 1.0) > 1e-9:
                raise ValueError(f"transition row {i} ({st[i]}) sums to {sum(row):.6g}, not 1")
        for what, names in (("no_build_in", self.no_build_in), ("no_draw_in", self.no_draw_in)):
            unknown = sorted(set(names) - set(st))
            if unknown:
                raise ValueError(f"{what}: unknown state(s) {unknown}; states: {st}")
        cells = len(st) * (round((self.levels.max - self.levels.min) / self.levels.step) + 1) ** 2
        if cells > MAX_CELLS:
            raise ValueError(
                f"states x levels x levels = {cells:,} cells; at most {MAX_CELLS:,} (use a coarser "
                "grid or fewer states)"
            )
        per_state = (
            self.reward.prices if isinstance(self.reward, PriceReward) else self.reward.world_supply
        )
        what = "prices" if isinstance(self.reward, PriceReward) else "world_supply"
        if set(per_state) != set(st):
            missing, extra = sorted(set(st) - set(per_state)), sorted(set(per_state) - set(st))
            raise ValueError(
                f"reward.{what} must name every state once: missing {missing}, unknown {extra}"
            )
        return self


def load_policy_spec(path: str | Path) -> PolicySpec:
    """Read and validate a policy YAML file (errors name the file, the key path and why)."""

    return load_yaml_model(path, PolicySpec, "policy spec")


def _allowed(spec: PolicySpec, lv: np.ndarray) -> np.ndarray:
    """``[S, L, L']``: which moves the limits allow (steps per period, no build/draw states)."""
    steps = np.rint((lv[None, :] - lv[:, None]) / spec.levels.step)  # [L, L'], + = build
    ok = np.ones((len(spec.states), lv.size, lv.size), bool)
    if spec.max_build_steps is not None:
        ok &= (steps <= spec.max_build_steps)[None]
    if spec.max_draw_steps is not None:
        ok &= (steps >= -spec.max_draw_steps)[None]
    for i, s in enumerate(spec.states):
        if s in spec.no_build_in:
            ok[i] &= steps <= 0
        if s in spec.no_draw_in:
            ok[i] &= steps >= 0
    return ok


def build_problem(spec: PolicySpec) -> PolicyProblem:
    """The reward tensor ``R[s, x, x']`` of the spec (-inf where a move is not allowed or
    would leave the market without supply)."""
    lv = spec.levels.values()
    x, y = lv[:, None], lv[None, :]  # level now, next level
    h = spec.holding_cost
    r = spec.reward
    if isinstance(r, PriceReward):
        p = np.array([r.prices[s] for s in spec.states])[:, None, None]
        sold, bought = np.maximum(x - y, 0.0)[None], np.maximum(y - x, 0.0)[None]
        reward = p * sold - p * (1.0 + r.buy_premium) * bought - h * y[None]
    else:
        supply = np.array([r.world_supply[s] for s in spec.states])[:, None, None]
        d = r.demand
        q = supply + (x - y)[None]  # world consumption after the release (or purchase)
        room = q - d.shift
        with np.errstate(divide="ignore", invalid="ignore"):
            price = np.where(
                room > 0, (d.k / np.where(room > 0, room, 1.0)) ** (1.0 / d.elasticity), np.inf
            )
            p0, e = r.normal_price, d.elasticity
            if abs(e - 1.0) < 1e-12:
                area = d.shift * (price - p0) + d.k * np.log(price / p0)
            else:
                area = d.shift * (price - p0) + d.k * (price ** (1 - e) - p0 ** (1 - e)) / (1 - e)
            reward = -(r.holder_share * area + price * (y - x)[None] + h * y[None])
        reward = np.where(np.isfinite(reward), reward, -np.inf)
    reward = np.where(_allowed(spec, lv), reward, -np.inf)
    if not np.isfinite(reward).any(axis=2).all():
        s, i = np.argwhere(~np.isfinite(reward).any(axis=2))[0]
        raise ValueError(
            f"no move is possible from level {lv[i]:g} in state {spec.states[s]}: the market "
            "would be left without supply (raise world_supply or lower the levels)"
        )
    t = np.array(spec.transition, float)
    return PolicyProblem(lv, list(spec.states), t, reward.astype(float), spec.discount)
