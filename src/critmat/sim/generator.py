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

from critmat.data.dataset import Dataset
from critmat.risk.governance import instability
from critmat.sim.events import KINDS, EventTable, Spec, add_slot, build_table, new_columns
from critmat.sim.market import STAGES, Market
from critmat.sim.scenario import StochasticSpec

__all__ = ["stochastic_events"]


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
