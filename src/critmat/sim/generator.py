"""Stochastic generator: random disruptions for probabilistic runs.

One *channel* per (country, material, stage) whose world supply share is at least ``min_share``.
Each channel restricts exports at the first arrival of a Poisson process with annual rate::

    rate = base_rate * g_c * s_c,m,stage * (1 + h_c) * w_m

with g_c the country's instability (WGI PV, 0..1), s its world share at that stage and h_c the
number of export restrictions or embargoes it imposed in the events table, per decade of the
table's span, times the material's early-warning multiplier ``rate_multiplier`` if given
(critmat.forecast.warning, ``critmat forecast warning``; default 1). A geopolitical crisis
(rate ``crisis_rate`` per year) can start the channels of
``crisis_country`` together (each joins with probability ``crisis_join``), so one crisis hits
several materials at once. Every default below is a labelled assumption (docs/methods.md).
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from critmat.data.dataset import Dataset
from critmat.risk.governance import instability
from critmat.sim.events import KINDS, EventTable, Spec, add_slot, build_table, new_columns
from critmat.sim.market import STAGES, Market
from critmat.sim.scenario import Distribution

__all__ = ["StochasticSpec", "stochastic_events"]


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
        from critmat.data.countries import iso3_codes

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


def stochastic_events(
    ds: Dataset, market: Market, spec: StochasticSpec, horizon: int
) -> EventTable:
    """Channels for ``market`` with their arrival rates; see the module docstring."""
    ev = ds.events
    kinds = {"export_restriction", "embargo", "withholding"}
    parents = ev[(ev["parent_event"] == "") & ev["event_type"].isin(kinds)]
    years = [int(str(s)[:4]) for s in ev["start"] if str(s)[:4].isdigit()]
    decades = max(1.0, (max(years) - min(years) + 1) / 10.0) if years else 1.0
    hist = parents["actor"].value_counts() / decades
    g, _ = instability(ds.governance, market.year, market.countries)
    chans = []
    for k, _stage in enumerate(STAGES):
        for i in range(market.n_materials):
            for c, country in enumerate(market.countries):
                share = float(market.world_share[k, i, c])
                if share < spec.min_share:
                    continue
                rate = (
                    spec.base_rate
                    * float(g[country])
                    * share
                    * (1.0 + float(hist.get(country, 0.0)))
                    * float(spec.rate_multiplier.get(market.materials[i], 1.0))
                )
                chans.append((rate, k, i, c, country))
    chans.sort(reverse=True)
    chans = chans[: spec.max_channels]
    cols = new_columns()
    starts: list[Spec] = []
    labels: list[str] = []
    for rate, k, i, c, country in chans:
        add_slot(cols, kind=KINDS.index("export_restriction"), mat=i, country=c, stage=k)
        starts.append(("exp_start", rate / 12.0, float(horizon)))
        labels.append(
            f"random restriction {country} {market.materials[i]} {STAGES[k]} ({rate:.3f}/yr)"
        )
    n = len(chans)
    table = build_table(cols, starts, [spec.duration] * n, [spec.severity] * n, labels)
    table.crisis = np.array([ch[4] == spec.crisis_country for ch in chans], bool)
    table.crisis_rate = spec.crisis_rate / 12.0
    table.crisis_join = spec.crisis_join
    return table
