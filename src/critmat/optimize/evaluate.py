"""Out-of-sample evaluation and SAA optimality-gap bounds (Mak, Morton & Wood 1999)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from critmat.optimize.problem import F64, Problem

__all__ = ["GapEstimate", "saa_gap", "total_cost"]

Z95 = 1.959963984540054


def total_cost(p: Problem, x: F64) -> F64:
    """Per-scenario total cost of a stock, USD [S]: purchase + transaction + holding - residual
    value of the stock left at the end + loss of unmet demand (the full accounting)."""
    return p.scenario_costs(x)["total"]


@dataclass
class GapEstimate:
    """Lower and upper bounds of the true optimum and the gap's one-sided 95% bound (USD)."""

    lower: float
    lower_halfwidth: float
    upper: float
    upper_halfwidth: float
    gap: float
    gap_bound95: float
    batches: int
    eval_scenarios: int


def saa_gap(
    batches: list[Problem],
    solve: Callable[[Problem], F64],
    x_hat: F64,
    evaluation: Problem,
) -> GapEstimate:
    """SAA bounds for the expectation objective.

    Each batch is an independent sample problem: the mean of its optimal values is a
    statistical lower bound of the true optimum; the cost of ``x_hat`` on fresh scenarios is an
    upper bound. The gap bound adds both half-widths (normal approximation).
    """
    vals = np.array([float(total_cost(b, solve(b)).mean()) for b in batches])
    k = len(vals)
    lo = float(vals.mean())
    lo_hw = float(Z95 * vals.std(ddof=1) / np.sqrt(k)) if k > 1 else float("nan")
    costs = total_cost(evaluation, x_hat)
    up = float(costs.mean())
    up_hw = float(Z95 * costs.std(ddof=1) / np.sqrt(costs.size))
    gap = up - lo
    return GapEstimate(lo, lo_hw, up, up_hw, gap, gap + lo_hw + up_hw, k, costs.size)
