"""Markov-regime stockpile policy: the optimal build/draw rule over discrete stock levels and
market states, by value iteration, policy iteration and the equivalent linear program (HiGHS).

The model (Teisberg 1981, Bell J. Econ. 12(2):526-546; the LP form as in the GAMS model library's
MARKOV): a stock level ``x`` on a grid, a market state ``s`` following a Markov chain with
transition matrix ``T``; each period the holder picks the next level ``x'`` and earns

- *price* view: ``R = p_s (x - x')^+ - p_s (1 + premium) (x' - x)^+ - h x'`` (a reserve that also
  trades, as China's reserve bureau does);
- *structural* view (the strategic-reserve welfare of an importer): the release ``x - x'`` adds to
  world supply ``S_s``, the world price clears demand ``D(p) = a + k p^-e``, and
  ``R = -[g (a (P - P0) + k (P^(1-e) - P0^(1-e)) / (1-e)) + P (x' - x) + h x']``: the holder's
  share ``g`` of the consumer-surplus loss against the normal price ``P0``, what it pays for
  stock (receives for releases) at that price, and holding.

``V(x, s) = max_{x' in A(x, s)} R(x, s, x') + beta sum_s' T[s, s'] V(x', s')``; the LP is
``min sum V`` s.t. ``V(x, s) - beta sum_s' T[s, s'] V(x', s') >= R(x, s, x')`` for every
allowed ``(x, s, x')`` (Puterman 1994, section 6.9). Arrays only; the YAML spec is read by
:mod:`critmat.optimize.policy_spec`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from critmat.optimize.lp import LPArrays, solve_arrays

__all__ = [
    "PolicyProblem",
    "PolicySolution",
    "bellman",
    "evaluate_policy",
    "policy_iteration",
    "policy_lp",
    "solution_tables",
    "value_iteration",
]

Arr = npt.NDArray[np.float64]


@dataclass
class PolicyProblem:
    """A discrete problem: ``reward[s, x, x']`` (-inf where the move is not allowed),
    transition ``T[s, s']`` and the discount factor (per period)."""

    levels: Arr  # [L], stock on the grid (units of the spec)
    states: list[str]
    transition: Arr  # [S, S], rows sum to 1
    reward: Arr  # [S, L, L]
    discount: float

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.states), self.levels.size


@dataclass
class PolicySolution:
    """The value function ``value[s, x]``, the policy ``next_index[s, x]`` (index of x') and
    how they were found."""

    method: str
    value: Arr
    next_index: npt.NDArray[np.int64]
    iterations: int
    seconds: float
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def objective(self) -> float:
        """The sum of the value function over all (level, state) pairs (the LP's objective)."""
        return float(self.value.sum())


def _continuation(p: PolicyProblem, value: Arr) -> Arr:
    """``beta sum_s' T[s, s'] V(x', s')`` as ``[S, L']``."""
    out: Arr = p.discount * (p.transition @ value)
    return out


def bellman(p: PolicyProblem, value: Arr) -> tuple[Arr, npt.NDArray[np.int64]]:
    """One Bellman update: the new value ``[S, L]`` and the greedy next-level index."""
    q = p.reward + _continuation(p, value)[:, None, :]  # [S, L, L']
    idx = np.argmax(q, axis=2)
    return np.take_along_axis(q, idx[:, :, None], axis=2)[:, :, 0], idx


def value_iteration(
    p: PolicyProblem, *, tol: float = 1e-10, max_iter: int = 100_000
) -> PolicySolution:
    """Value iteration until ``||V_k+1 - V_k|| < tol (1 - beta) / (2 beta) max(1, ||V||)``, the
    bound under which the greedy policy is ``tol``-optimal relative to ``V`` (Puterman 1994,
    theorem 6.3.1)."""
    t0 = time.perf_counter()
    s, n = p.shape
    v = np.zeros((s, n))
    beta = p.discount
    k = 0
    while k < max_iter:  # iterations of the fixed point, not scenarios
        k += 1
        new, idx = bellman(p, v)
        gap = float(np.max(np.abs(new - v)))
        v = new
        if gap < tol * (1 - beta) / (2 * beta) * max(1.0, float(np.max(np.abs(v)))):
            break
    return PolicySolution("value iteration", v, idx, k, time.perf_counter() - t0)


def _policy_matrix(p: PolicyProblem, idx: npt.NDArray[np.int64]) -> object:
    """The sparse matrix ``I - beta P_pi`` over the flat (s, x) index ``s * L + x``."""
    import scipy.sparse as sp

    s, n = p.shape
    rows = np.repeat(np.arange(s * n), s)  # each (s, x) goes to (s', idx[s, x]) for every s'
    nxt = np.repeat(idx.ravel(), s)
    to_state = np.tile(np.arange(s), s * n)
    from_state = np.repeat(np.arange(s), n * s)
    cols = to_state * n + nxt
    vals = -p.discount * p.transition[from_state, to_state]
    m = sp.coo_matrix((vals, (rows, cols)), shape=(s * n, s * n)).tocsr()
    return sp.identity(s * n, format="csr") + m


def evaluate_policy(p: PolicyProblem, idx: npt.NDArray[np.int64]) -> Arr:
    """The exact value of a policy: solve ``(I - beta P_pi) V = r_pi`` (sparse LU)."""
    from scipy.sparse.linalg import spsolve

    s, n = p.shape
    r = np.take_along_axis(p.reward, idx[:, :, None], axis=2)[:, :, 0]
    if not np.all(np.isfinite(r)):
        raise ValueError("the policy takes a move that is not allowed")
    v: Arr = np.asarray(spsolve(_policy_matrix(p, idx), r.ravel()), float)
    return v.reshape(s, n)


def policy_iteration(p: PolicyProblem, *, max_iter: int = 1_000) -> PolicySolution:
    """Howard's policy iteration (Puterman 1994, section 6.4): exact evaluation, greedy
    improvement keeping the current move unless another is better by more than 1e-12
    relative; stops when the policy is stable (then it is optimal)."""
    t0 = time.perf_counter()
    idx = np.argmax(p.reward, axis=2)  # the myopic policy: always allowed
    k = 0
    while k < max_iter:  # improvement steps, not scenarios
        k += 1
        v = evaluate_policy(p, idx)
        q = p.reward + _continuation(p, v)[:, None, :]
        best = np.argmax(q, axis=2)
        q_best = np.take_along_axis(q, best[:, :, None], axis=2)[:, :, 0]
        q_now = np.take_along_axis(q, idx[:, :, None], axis=2)[:, :, 0]
        better = q_best - q_now > 1e-12 * np.maximum(1.0, np.abs(q_best))
        if not better.any():
            break
        idx = np.where(better, best, idx)
    return PolicySolution("policy iteration", v, idx, k, time.perf_counter() - t0)


def policy_lp(p: PolicyProblem) -> PolicySolution:
    """The equivalent LP solved by HiGHS: ``min sum V`` subject to one row per allowed move.
    The matrix is built in bulk (COO -> CSC); the timings separate build and solve."""
    import scipy.sparse as sp

    t0 = time.perf_counter()
    s, n = p.shape
    ss, xx, yy = np.nonzero(np.isfinite(p.reward))  # allowed moves (s, x -> x')
    k = ss.size
    rows = np.concatenate([np.arange(k), np.repeat(np.arange(k), s)])
    to_state = np.tile(np.arange(s), k)
    cols = np.concatenate([ss * n + xx, to_state * n + np.repeat(yy, s)])
    vals = np.concatenate([np.ones(k), -p.discount * p.transition[np.repeat(ss, s), to_state]])
    a = sp.coo_matrix((vals, (rows, cols)), shape=(k, s * n)).tocsc()  # duplicates summed
    arr = LPArrays(np.ones(s * n), a, p.reward[ss, xx, yy], np.full(k, np.inf),
                   np.full(s * n, -np.inf), np.full(s * n, np.inf))  # fmt: skip
    t1 = time.perf_counter()
    sol = solve_arrays(arr)
    t2 = time.perf_counter()
    if sol.status != "Optimal":
        raise ValueError(f"HiGHS could not solve the policy LP: {sol.status}")
    v = sol.x.reshape(s, n)
    _, idx = bellman(p, v)
    times = {"build_s": t1 - t0, "solve_s": t2 - t1}
    return PolicySolution("linear program (HiGHS)", v, idx, sol.iterations, t2 - t0, times)


def solution_tables(p: PolicyProblem, sol: PolicySolution, unit: str) -> pd.DataFrame:
    """Tidy: one row per (state, level): the next level, the move and the value."""
    s, n = p.shape
    lev = np.tile(p.levels, s)
    nxt = p.levels[sol.next_index.ravel()]
    change = nxt - lev
    move = np.where(change > 0, "build", np.where(change < 0, "draw", "hold"))
    return pd.DataFrame(
        {
            "state": np.repeat(p.states, n),
            f"level_{unit}": lev,
            f"next_level_{unit}": nxt,
            f"change_{unit}": change,
            "move": move,
            "value": sol.value.ravel(),
        }
    )
