"""Stockpiling rules used in practice, as stock vectors to compare with the optimum.

- Japan (JOGMEC): 60 days of domestic consumption, up to 180 days for high-risk metals (METI
  International Resource Strategy 2020).
- South Korea (PPS/KOMIR): 100 days of supply for rare metals (2023/24 plan).
- IEA oil rule applied to metals: 90 days of net imports (IEA emergency-stock obligation).
- US National Defense Stockpile: stock to cover the shortfall of a planning scenario (2013
  Requirements Report); here the 90th percentile of the scenario shortfalls per material.

Each rule is scaled down uniformly when it costs more than the budget ("the same budget").
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from critmat.optimize.problem import F64
from critmat.sim.market import Market

__all__ = ["RULES", "rule_stock"]

DAYS_PER_YEAR = 365.25

#: rule id -> description (source in the module docstring and the stockpile_policies table)
RULES: dict[str, str] = {
    "jogmec_60d": "60 days of consumption (Japan, JOGMEC)",
    "jogmec_180d": "180 days of consumption (Japan, high-risk metals)",
    "korea_100d": "100 days of consumption (South Korea, rare metals)",
    "iea_90d_net_imports": "90 days of net imports (IEA oil rule)",
    "nds_p90_shortfall": "cover the P90 scenario shortfall (US NDS method)",
}


def rule_scope(shortfall: F64) -> npt.NDArray[np.bool_]:
    """The materials a practice rule is applied to when compared with the optimum: those the
    scenario set leaves short in some run (like with like: a rule that stocks 60 days of every
    material would otherwise spend the budget on materials the scenario never touches)."""
    touched = np.asarray(shortfall > 0).any(axis=0)
    return np.asarray(touched if touched.any() else np.ones(shortfall.shape[1], np.bool_))


def rule_stock(
    rule: str,
    market: Market,
    shortfall: F64,
    budget: float,
    scope: npt.NDArray[np.bool_] | None = None,
) -> tuple[F64, float]:
    """Stock (t) a rule prescribes for the materials in ``scope`` (default: all), scaled to fit
    ``budget``; returns (stock, scale factor)."""
    annual = market.demand0.astype(np.float64) * 12.0
    imports = annual * market.import_share.sum(axis=1)
    if rule == "jogmec_60d":
        x = annual * 60 / DAYS_PER_YEAR
    elif rule == "jogmec_180d":
        x = annual * 180 / DAYS_PER_YEAR
    elif rule == "korea_100d":
        x = annual * 100 / DAYS_PER_YEAR
    elif rule == "iea_90d_net_imports":
        x = imports * 90 / DAYS_PER_YEAR
    elif rule == "nds_p90_shortfall":
        x = np.quantile(shortfall, 0.9, axis=0)
    else:
        raise KeyError(f"unknown rule {rule!r}; known: {', '.join(RULES)}")
    if scope is not None:
        x = np.where(scope, x, 0.0)
    cost = float(market.price0.astype(np.float64) @ x)
    scale = min(1.0, budget / cost) if cost > 0 else 1.0
    return x * scale, scale
