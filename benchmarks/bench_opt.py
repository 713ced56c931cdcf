"""Benchmark of the stockpile-sizing solvers (numbers for docs/performance.md).

Prints, from one run:
- the extensive-form LP for 30 materials x 10,000 scenarios: model build time, HiGHS's own solve
  time, and the whole call relative to the solve (targets: build < 5% of the solve, whole call
  within 1.2x of it), for the simplex and the interior-point solver;
- marginal analysis against the LP at 100,000 scenarios: relative objective difference (target
  1e-6) and speed ratio (target 100x);
- the CVaR objective (alpha 0.95): cutting planes (critmat.optimize.cvar) against the extensive
  LP (HiGHS interior point) at each ``--cvar`` size: objective difference (target 1e-6) and speed
  ratio (target 20x at 30 x 100,000; the LP then takes about 25 minutes and 4 GiB).

Usage: ``python benchmarks/bench_opt.py [--big 100000] [--cvar 10000 100000]``.
"""

from __future__ import annotations

import argparse
import dataclasses
import resource
import time

import numpy as np

from critmat.optimize.cvar import solve_cvar_cuts
from critmat.optimize.lp import solve_lp
from critmat.optimize.marginal import solve_marginal
from critmat.optimize.problem import Problem

M = 30


def problem(s_n: int, seed: int = 0) -> Problem:
    """Scenario shortfalls like the simulator's: mostly zero, heavy-tailed when disrupted."""
    rng = np.random.default_rng(seed)
    hit = rng.random((s_n, M)) < rng.uniform(0.05, 0.4, M)[None, :]
    q = rng.lognormal(np.log(rng.uniform(50, 5000, M)), 1.0, (s_n, M)) * hit
    price = rng.uniform(1e3, 5e4, M)
    return Problem(
        materials=[f"m{i:02d}" for i in range(M)],
        shortfall=q,
        price=price,
        value_lost=10 * price,
        holding=price * 0.055 * 5,
        budget=float(0.3 * (np.quantile(q, 0.9, axis=0) @ price)),
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--big", type=int, default=100_000)
    ap.add_argument("--cvar", type=int, nargs="*", default=[10_000, 100_000])
    ap.add_argument("--skip-expectation", action="store_true")
    args = ap.parse_args()
    big = args.big
    if not args.skip_expectation:
        expectation(big)
    for s_n in args.cvar:
        cvar(s_n)


def cvar(s_n: int) -> None:
    """Cutting planes against the extensive LP on the same CVaR problem."""
    pb = dataclasses.replace(problem(s_n, seed=2), risk="cvar", alpha=0.95)
    t0 = time.perf_counter()
    cu = solve_cvar_cuts(pb)
    t_cu = time.perf_counter() - t0
    t0 = time.perf_counter()
    lp = solve_lp(pb, solver="ipm" if s_n > 2000 else "simplex")
    t_lp = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rel = abs(cu.objective - lp.objective) / abs(lp.objective)
    print(
        f"CVaR 30 x {s_n:,}: cutting planes {t_cu:.2f} s ({cu.iterations} cuts), LP "
        f"({lp.n_cols:,} columns) {t_lp:.1f} s -> {t_lp / t_cu:,.1f}x faster; objective "
        f"difference {rel:.2e} (relative); peak RSS so far {rss:,.0f} MiB",
        flush=True,
    )


def expectation(big: int) -> None:
    p = problem(10_000)
    for solver in ("simplex", "ipm"):
        t0 = time.perf_counter()
        r = solve_lp(p, solver=solver)
        total = time.perf_counter() - t0
        print(
            f"LP 30 x 10,000 ({r.n_cols:,} columns, {r.n_rows:,} rows), {solver}: build "
            f"{r.build_seconds:.3f} s = {r.build_seconds / r.solve_seconds:.1%} of HiGHS solve "
            f"{r.solve_seconds:.2f} s; whole call {total:.2f} s = "
            f"{total / r.solve_seconds:.3f}x the solve"
        )
    pb = problem(big, seed=1)
    t0 = time.perf_counter()
    mg = solve_marginal(pb)
    t_mg = time.perf_counter() - t0
    t0 = time.perf_counter()
    lp = solve_lp(pb, solver="ipm")
    t_lp = time.perf_counter() - t0
    rel = abs(mg.objective - lp.objective) / abs(lp.objective)
    print(
        f"30 x {big:,}: marginal analysis {t_mg:.3f} s, LP (ipm) {t_lp:.1f} s "
        f"(build {lp.build_seconds:.2f} s) -> {t_lp / t_mg:,.0f}x faster; "
        f"objective difference {rel:.2e} (relative)"
    )


if __name__ == "__main__":
    main()
