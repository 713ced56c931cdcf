"""The extensive-form LP, built in bulk with NumPy/SciPy and solved by HiGHS (highspy)."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from critmat.optimize.problem import F64, InfeasibleError, Problem, check_feasible


@contextlib.contextmanager
def quiet_stdout() -> Iterator[None]:
    """Silence writes to file descriptor 1 (C-level output) for the duration."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


__all__ = ["LPArrays", "LPResult", "build_lp", "solve_arrays", "solve_lp"]


@dataclass
class LPResult:
    """Optimal stock and timings."""

    x: F64
    objective: float
    status: str
    build_seconds: float
    solve_seconds: float
    n_cols: int
    n_rows: int


@dataclass
class LPArrays:
    """The LP in arrays: min c'v s.t. row_lo <= A v <= row_hi, col_lo <= v <= col_hi."""

    c: F64
    a: sp.csc_matrix
    row_lo: F64
    row_hi: F64
    col_lo: F64
    col_hi: F64


def build_lp(p: Problem) -> LPArrays:
    """Assemble the extensive form (see critmat.optimize.problem) without Python loops over
    scenarios: every block is an index arithmetic on NumPy arrays."""
    s_n, m_n = p.n_scenarios, p.n_materials
    cvar = p.risk == "cvar"
    n_u = s_n * m_n
    n_cols = m_n + n_u + (1 + s_n if cvar else 0)
    u0 = m_n
    # rows 0..n_u-1: U_sm + x_m >= Q_sm
    r_u = np.arange(n_u)
    rows = [r_u, r_u]
    cols = [u0 + r_u, np.tile(np.arange(m_n), s_n)]
    vals = [np.ones(n_u), np.ones(n_u)]
    row_lo = [p.shortfall.reshape(-1)]
    row_hi = [np.full(n_u, np.inf)]
    nxt = n_u
    # budget row
    rows.append(np.full(m_n, nxt))
    cols.append(np.arange(m_n))
    vals.append(p.price.astype(np.float64))
    row_lo.append(np.array([-np.inf]))
    row_hi.append(np.array([p.budget]))
    nxt += 1
    # storage capacity rows
    for cls, cap in p.capacity.items():
        idx = np.array([i for i, c in enumerate(p.storage_class) if c == cls], dtype=np.int64)
        if idx.size == 0:
            continue
        rows.append(np.full(idx.size, nxt))
        cols.append(idx)
        vals.append(np.ones(idx.size))
        row_lo.append(np.array([-np.inf]))
        row_hi.append(np.array([cap]))
        nxt += 1
    e = p.residual  # [S, M] worth of a tonne left at the end
    w = p.value_lost[None, :] - e  # [S, M] >= 0: loss saved per tonne of U
    if cvar:
        # z_s + eta - sum_m (v_m - e_sm) U_sm + sum_m e_sm x_m >= sum_m e_sm Q_sm
        eta = m_n + n_u
        z0 = eta + 1
        r_s = nxt + np.arange(s_n)
        rows += [r_s, r_s, np.repeat(r_s, m_n), np.repeat(r_s, m_n)]
        cols += [
            z0 + np.arange(s_n),
            np.full(s_n, eta),
            u0 + np.arange(n_u),
            np.tile(np.arange(m_n), s_n),
        ]
        vals += [np.ones(s_n), np.ones(s_n), -w.reshape(-1), e.reshape(-1)]
        row_lo.append(np.sum(e * p.shortfall, axis=1))
        row_hi.append(np.full(s_n, np.inf))
        nxt += s_n
    a = sp.csc_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(nxt, n_cols)
    )
    c = np.zeros(n_cols)
    if cvar:
        c[:m_n] = p.unit_cost
        c[m_n + n_u] = 1.0
        c[m_n + n_u + 1 :] = 1.0 / ((1.0 - p.alpha) * s_n)
    else:
        c[:m_n] = p.unit_cost - e.mean(axis=0)
        c[u0 : u0 + n_u] = w.reshape(-1) / s_n
    col_lo = np.zeros(n_cols)
    col_hi = np.full(n_cols, np.inf)
    col_lo[:m_n] = p.floor
    col_hi[:m_n] = p.cap
    if cvar:
        col_lo[m_n + n_u] = -np.inf
    return LPArrays(c, a, np.concatenate(row_lo), np.concatenate(row_hi), col_lo, col_hi)


@dataclass
class HighsSolution:
    """What HiGHS returned: the columns' values, the objective, the status, simplex iterations."""

    x: F64
    objective: float
    status: str
    iterations: int


def solve_arrays(arr: LPArrays, solver: str = "simplex") -> HighsSolution:
    """Pass an LP in arrays to HiGHS (highspy, column-wise matrix) and solve it, quietly."""
    with quiet_stdout():  # highspy prints a banner on stdout when loaded
        import highspy

    lp = highspy.HighsLp()
    lp.num_col_ = arr.c.size
    lp.num_row_ = arr.row_lo.size
    lp.col_cost_ = arr.c
    lp.col_lower_ = arr.col_lo
    lp.col_upper_ = arr.col_hi
    lp.row_lower_ = arr.row_lo
    lp.row_upper_ = arr.row_hi
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = arr.a.indptr
    lp.a_matrix_.index_ = arr.a.indices
    lp.a_matrix_.value_ = arr.a.data
    with quiet_stdout():  # HiGHS prints a banner on stdout when created
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("solver", solver)
    h.passModel(lp)
    h.run()
    status = h.modelStatusToString(h.getModelStatus())
    x = np.asarray(h.getSolution().col_value, float) if status == "Optimal" else np.zeros(0)
    info = h.getInfo()
    return HighsSolution(
        x, float(info.objective_function_value), status, int(info.simplex_iteration_count)
    )


def solve_lp(p: Problem, *, solver: str = "auto") -> LPResult:
    """Solve the sizing LP with HiGHS.

    Raises
    ------
    InfeasibleError
        With the binding constraint named (checked before solving), or HiGHS's status otherwise.
    """
    check_feasible(p)
    t0 = time.perf_counter()
    arr = build_lp(p)
    if solver == "auto":  # measured: simplex for small models, interior point from ~50k columns
        solver = "simplex" if arr.c.size < 50_000 else "ipm"
    t1 = time.perf_counter()
    sol = solve_arrays(arr, solver)
    t2 = time.perf_counter()
    status = sol.status
    if status != "Optimal":
        raise InfeasibleError(f"HiGHS could not solve the sizing LP: {status}")
    x: npt.NDArray[np.float64] = sol.x[: p.n_materials]
    obj = sol.objective
    if p.risk != "cvar":  # the expectation LP leaves out the constant mean_s sum_m e'_sm Q_sm
        obj += float(np.sum(p.residual * p.shortfall, axis=1).mean())
    return LPResult(
        np.maximum(x, p.floor), obj, status, t1 - t0, t2 - t1, arr.c.size, arr.row_lo.size
    )
