"""Exact stockpile sizing by marginal analysis when only the budget couples the materials.

For one material the expected cost ``(u - E[e']) x + E[(v - e') (Q - x)^+]`` (the full accounting
of critmat.optimize.problem: purchase, transaction and holding ``u``, residual value ``e'`` of the
stock left at the end) is convex and piecewise linear in ``x`` with breakpoints at the sorted
scenario shortfalls ``q_(1) <= ... <= q_(S)``: on ``[q_(k), q_(k+1)]`` its slope is ``u - mean(e')
- (1/S) sum_{j >= k} (v - e'_(j))`` (``u - v (S - k) / S`` without residual value). With one budget
row ``sum_m p_m x_m <= B`` (plus floors and caps as bounds) the problem is a fractional knapsack
over these segments: buy the segments of negative slope in order of benefit per dollar ``-slope /
p`` (the Lagrange multiplier of the budget is the benefit per dollar of the last, possibly partial,
segment). This reaches the LP optimum exactly; the LP (critmat.optimize.lp) stays as the oracle and
for coupled models (storage capacity, CVaR).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from critmat.optimize.problem import F64, InfeasibleError, Problem, check_feasible

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
    order_q = np.argsort(p.shortfall, axis=0, kind="stable")
    qs = np.take_along_axis(p.shortfall, order_q, axis=0)  # [S, M] ascending
    # segments [q_(k), q_(k+1)] for k = 0..S-1 (q_(0) = 0) and a last one above the largest
    # shortfall, where only the residual value and the unit cost remain
    lo = np.vstack([np.zeros((1, m_n)), qs])
    hi = np.vstack([qs, np.full((1, m_n), np.inf)])
    # on [q_(k), q_(k+1)] the scenarios still short are the sorted ones from k on; each saves
    # (v - e') per extra tonne, and every scenario's stock is worth e' more at the end:
    # slope = u - mean(e') - (1/S) sum_{j >= k} (v - e'_(j))
    e = p.residual
    w = p.value_lost[None, :] - np.take_along_axis(e, order_q, axis=0)
    tail = np.vstack([np.cumsum(w[::-1], axis=0)[::-1], np.zeros((1, m_n))])
    slope = (p.unit_cost - e.mean(axis=0))[None, :] - tail / s_n
    lo_eff = np.clip(lo, p.floor[None, :], p.cap[None, :])
    hi_eff = np.clip(hi, p.floor[None, :], p.cap[None, :])
    length = np.maximum(hi_eff - lo_eff, 0.0)
    # a slope within rounding of zero is flat, not a reason to buy (e.g. residual = cost)
    tol = 1e-12 * (p.unit_cost + p.value_lost)[None, :]
    take = (slope < -tol) & (length > 0)
    if np.any(take & ~np.isfinite(length)) and not np.isfinite(p.budget):
        raise InfeasibleError(
            "unbounded: a tonne held is worth more at the end than it costs and neither a "
            "market-impact cap nor the budget limits the purchase"
        )
    seg_m = np.broadcast_to(np.arange(m_n)[None, :], (s_n + 1, m_n))[take]
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
    obj = p.objective(x)["total_cost"]
    return MarginalResult(x, multiplier, obj, float(p.price @ x))
