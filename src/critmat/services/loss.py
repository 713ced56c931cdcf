"""Loss per tonne short from downstream value added (docs/methods.md 6.7)."""

from __future__ import annotations

import pandas as pd

from critmat.data.dataset import Dataset

__all__ = ["loss_per_tonne_table"]


def loss_per_tonne_table(
    ds: Dataset, holder: str = "EU27", year: int = 2023, dependency: float = 0.03
) -> tuple[pd.DataFrame, str, float, float]:
    """The loss table, the holder's code, the outage threshold and the line-stop factor."""
    from critmat.services.context import resolve
    from critmat.sim.loss import loss_table
    from critmat.sim.market import SimParams, build_market

    r = resolve(ds, holder=holder, year=year)
    assert r.holder is not None
    params = SimParams(loss_dependency=dependency)
    market = build_market(ds, r.holder, year, params=params)
    return (
        loss_table(market, params),
        market.holder,
        params.outage_threshold,
        params.loss_line_stop,
    )
