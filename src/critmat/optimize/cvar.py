"""The CVaR sizing problem by a cutting-plane (L-shaped) method instead of the extensive LP.

The risk-averse objective of critmat.optimize.problem is::

    min_x  u'x + F(x),   F(x) = CVaR_alpha( L_s(x) )                      (Rockafellar & Uryasev
    L_s(x) = sum_m [ w_sm (Q_sm - x_m)^+ - e_sm x_m + e_sm Q_sm ],            2000, eq. 17)
    w_sm = v_m - e'_sm >= 0,  e = e' (residual value capped at v)

subject to the budget row, storage-capacity rows, floors and caps. The extensive form needs
``S x M`` shortfall columns and ``S`` tail columns (3.1 million columns at 30 x 100,000). ``F`` is
convex and piecewise linear in the ``M`` stocks alone, so Kelley's cutting-plane method (the
single-cut L-shaped method of Van Slyke & Wets 1969 applied to the Rockafellar-Uryasev form) works
on a master LP with ``M + 1`` columns::

    min u'x + theta   s.t.  theta >= F(x_k) + g_k'(x - x_k)   for every iterate k,
                            budget, capacity, floor <= x <= cap

Each iterate costs one vectorised pass over the scenarios: ``F(x_k)`` is the mean of the
``(1 - alpha) S`` largest scenario losses (the last one fractionally) and its subgradient is
``g_k = (1 / ((1 - alpha) S)) sum_s lambda_s grad L_s(x_k)`` with the same weights ``lambda_s``
(1 in the tail, the fraction at its edge, 0 below; they sum to ``(1 - alpha) S``, which makes
``g_k`` a subgradient of ``F`` itself, not only of the RU function at a fixed ``eta``). The gap
between the best evaluated objective (upper bound) and the master's optimum (lower bound) closes
to ``tol``; for a polyhedral ``F`` the method terminates finitely.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from critmat.optimize.lp import quiet_stdout
from critmat.optimize.problem import F64, InfeasibleError, Problem, check_feasible

__all__ = ["CutResult", "cvar_value", "solve_cvar_cuts"]


@dataclass
class CutResult:
    """Optimal stock, objective, the bounds' gap and the work done."""

    x: F64
    objective: float
    gap: float  # (upper - lower) / max(1, |upper|) at the end
    iterations: int
    seconds: float


def _losses(p: Problem, x: F64, w: F64, e: F64, const: F64) -> tuple[F64, npt.NDArray[np.bool_]]:
    """Scenario losses L_s(x) [S] and the mask of materials still short [S, M]."""
    short = p.shortfall > x[None, :]
    gap = np.where(short, p.shortfall - x[None, :], 0.0)
    loss = np.einsum("sm,sm->s", w, gap) - e @ x + const
    return loss, short


def _tail_weights(loss: F64, alpha: float) -> F64:
    """lambda_s in [0, 1] summing to (1 - alpha) S: the tail of the loss distribution."""
    s_n = loss.size
    k = (1.0 - alpha) * s_n
    whole = int(np.floor(k))
    lam = np.zeros(s_n)
    if whole >= s_n:
        lam[:] = 1.0
        return lam
    order = np.argpartition(-loss, whole)  # the `whole` largest first, then the next one
    lam[order[:whole]] = 1.0
    lam[order[whole]] = k - whole
    return lam


def cvar_value(loss: F64, alpha: float) -> float:
    """CVaR_alpha of equally likely losses, exactly as the RU minimum over eta."""
    lam = _tail_weights(loss, alpha)
    return float(lam @ loss / ((1.0 - alpha) * loss.size))


def solve_cvar_cuts(p: Problem, *, tol: float = 1e-9, max_iter: int = 5000) -> CutResult:
    """Solve the CVaR sizing problem by cutting planes (module docstring).

    Raises
    ------
    ValueError
        If the problem's risk is not CVaR.
    InfeasibleError
        As :func:`critmat.optimize.problem.check_feasible`, or an unbounded stock.
    """
    if p.risk != "cvar":
        raise ValueError("the cutting-plane method solves the CVaR objective; use marginal/LP")
    check_feasible(p)
    t0 = time.perf_counter()
    s_n, m_n = p.n_scenarios, p.n_materials
    e = p.residual
    w = p.value_lost[None, :] - e
    const = np.sum(e * p.shortfall, axis=1)
    scale = 1.0 / ((1.0 - p.alpha) * s_n)
    u = p.unit_cost
    # beyond the largest shortfall a tonne only earns its residual value: when that never beats
    # its cost, holding more than the largest shortfall cannot help (a bound for the master)
    upper = p.cap.astype(np.float64).copy()
    never = u >= e.max(axis=0, initial=0.0)
    qmax = p.shortfall.max(axis=0, initial=0.0)
    upper[never] = np.minimum(upper[never], np.maximum(p.floor[never], qmax[never]))
    if np.any(~np.isfinite(upper)) and not (np.isfinite(p.budget) and np.all(p.price > 0)):
        raise InfeasibleError(
            "unbounded: a tonne held is worth more at the end than it costs and neither a "
            "market-impact cap nor the budget limits the purchase"
        )
    with quiet_stdout():
        import highspy

        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    inf = highspy.kHighsInf
    lo = np.append(p.floor.astype(np.float64), -inf)
    hi = np.append(np.where(np.isfinite(upper), upper, inf), inf)
    h.addVars(m_n + 1, lo, hi)
    h.changeColsCost(m_n + 1, np.arange(m_n + 1, dtype=np.int32), np.append(u, 1.0))
    if np.isfinite(p.budget):
        h.addRow(-inf, p.budget, m_n, np.arange(m_n, dtype=np.int32), p.price.astype(np.float64))
    for cls, cap in p.capacity.items():
        idx = np.array([i for i, c in enumerate(p.storage_class) if c == cls], dtype=np.int32)
        if idx.size:
            h.addRow(-inf, cap, idx.size, idx, np.ones(idx.size))
    x = p.floor.astype(np.float64).copy()
    best_x, best = x.copy(), np.inf
    lower = -np.inf
    cols = np.arange(m_n + 1, dtype=np.int32)
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 - the count is reported
        loss, short = _losses(p, x, w, e, const)
        lam = _tail_weights(loss, p.alpha) * scale
        f = float(lam @ loss)
        total = float(u @ x) + f
        if total < best:
            best, best_x = total, x.copy()
        # grad L_s = -w_s * short_s - e_s; the cut theta - g'x >= f - g'x_k
        g = -(lam @ (w * short)) - lam @ e
        h.addRow(f - float(g @ x), inf, m_n + 1, cols, np.append(-g, 1.0))
        h.run()
        status = h.modelStatusToString(h.getModelStatus())
        if status != "Optimal":
            raise InfeasibleError(f"HiGHS could not solve the CVaR master problem: {status}")
        sol = np.asarray(h.getSolution().col_value, float)
        lower = float(h.getInfo().objective_function_value)
        x = np.clip(sol[:m_n], p.floor, upper)
        if best - lower <= tol * max(1.0, abs(best)):
            break
    gap = (best - lower) / max(1.0, abs(best))
    return CutResult(best_x, best, gap, it, time.perf_counter() - t0)
