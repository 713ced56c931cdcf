"""Exact stockpile sizing by marginal analysis when only the budget couples the materials.

For one material the expected cost ``(c + h) x + v E[(Q - x)^+]`` is convex and piecewise linear
in ``x`` with breakpoints at the sorted scenario shortfalls ``q_(1) <= ... <= q_(S)``: on
``[q_(k), q_(k+1)]`` its slope is ``(c + h) - v (S - k) / S``. With one budget row
``sum_m p_m x_m <= B`` (plus floors and caps as bounds) the problem is a fractional knapsack
over these segments: buy the segments of negative slope in order of benefit per dollar
``-slope / p`` (the Lagrange multiplier of the budget is the benefit per dollar of the last,
possibly partial, segment). This reaches the LP optimum exactly; the LP (critmat.optimize.lp)
stays as the oracle and for coupled models (storage capacity, CVaR).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from critmat.optimize.problem import F64, Problem, check_feasible

__all__ = ["MarginalResult", "solve_marginal"]


@dataclass
class MarginalResult:
    """Optimal stock, the budget's shadow price and the objective."""

    x: F64
    multiplier: float  # expected loss avoided per extra USD of budget at the optimum
    objective: float
    spent: float


def solve_marginal(p: Problem) -> MarginalResult:
    """Solve the expectation problem with budget, floors and caps (no capacity rows).

    Raises
    ------
    ValueError
        For a CVaR objective or storage-capacity rows (they couple materials: use the LP).
    InfeasibleError
        As :func:`critmat.optimize.problem.check_feasible`.
    """
    if p.risk != "expectation" or p.capacity:
        raise ValueError("marginal analysis covers the expectation with a budget only; use the LP")
    check_feasible(p)
    s_n, m_n = p.n_scenarios, p.n_materials
    qs = np.sort(p.shortfall, axis=0)  # [S, M]
    lo = np.vstack([np.zeros((1, m_n)), qs[:-1]])
    hi = qs
    k = np.arange(s_n)[:, None]
    slope = (p.price + p.holding)[None, :] - p.value_lost[None, :] * (s_n - k) / s_n
    lo_eff = np.clip(lo, p.floor[None, :], p.cap[None, :])
    hi_eff = np.clip(hi, p.floor[None, :], p.cap[None, :])
    length = np.maximum(hi_eff - lo_eff, 0.0)
    take = (slope < 0) & (length > 0)
    seg_m = np.broadcast_to(np.arange(m_n)[None, :], (s_n, m_n))[take]
    seg_len = length[take]
    seg_slope = slope[take]
    seg_price = p.price[seg_m]
    with np.errstate(divide="ignore"):
        eff = np.where(seg_price > 0, -seg_slope / seg_price, np.inf)
    order = np.lexsort((seg_m, -eff))  # best benefit per dollar first; stable by material
    cost = seg_len[order] * seg_price[order]
    remaining = p.budget - float(p.price @ p.floor)
    cum = np.cumsum(cost)
    full = cum <= remaining * (1 + 1e-15)
    amount = np.where(full, seg_len[order], 0.0)
    multiplier = 0.0
    first_partial = int(np.argmin(full)) if not full.all() else -1
    if first_partial >= 0:
        left = remaining - (cum[first_partial - 1] if first_partial > 0 else 0.0)
        price = seg_price[order][first_partial]
        amount[first_partial] = min(seg_len[order][first_partial], left / price) if price > 0 else 0
        multiplier = float(eff[order][first_partial])
    x = p.floor.astype(np.float64).copy()
    np.add.at(x, seg_m[order], amount)
    terms = p.objective(x)
    obj = terms["acquisition"] + terms["holding"] + terms["expected_loss"]
    return MarginalResult(x, multiplier, obj, float(p.price @ x))
