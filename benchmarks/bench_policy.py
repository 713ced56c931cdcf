"""Benchmark of the Markov-regime policy solvers (a benchmark, not a unit test).

1. 1,000 levels x 10 states (price view, builds and draws of up to 50 levels a period):
   policy iteration (exact) and value iteration, against a straightforward implementation in
   the same run (Python loops over levels and states, value iteration, the textbook version) on
   a 100-level cut of the same problem, scaled per Bellman update.
2. The LP route on 200 levels x 5 states, every move allowed: matrix build time against the
   HiGHS solve time (goal: build under 5% of the solve), and agreement with policy iteration.

    python benchmarks/bench_policy.py
"""

from __future__ import annotations

import time

import numpy as np

from critmat.optimize.policy import PolicyProblem, policy_iteration, policy_lp, value_iteration
from critmat.optimize.policy_spec import PolicySpec, build_problem


def problem(levels: int, states: int, max_steps: int | None, seed: int = 1) -> PolicyProblem:
    rng = np.random.default_rng(seed)
    t = rng.random((states, states)) + np.eye(states) * states  # persistent regimes
    t /= t.sum(axis=1, keepdims=True)
    prices = np.sort(rng.uniform(1_000, 20_000, states))
    spec = PolicySpec.model_validate({
        "name": "bench", "states": [f"s{i}" for i in range(states)], "transition": t.tolist(),
        "levels": {"min": 0, "max": levels - 1, "step": 1}, "discount": 0.95,
        "holding_cost": 150.0, "max_build_steps": max_steps, "max_draw_steps": max_steps,
        "reward": {"kind": "price", "prices": {f"s{i}": float(p) for i, p in enumerate(prices)},
                   "buy_premium": 0.02},
    })  # fmt: skip
    return build_problem(spec)


def naive_bellman(p: PolicyProblem, v: np.ndarray) -> np.ndarray:
    """The textbook update, loops over states, levels and moves (the in-run baseline)."""
    s_n, l_n = p.shape
    out = np.empty_like(v)
    for s in range(s_n):
        for x in range(l_n):
            best = -np.inf
            for y in range(l_n):
                r = p.reward[s, x, y]
                if r == -np.inf:
                    continue
                q = r + p.discount * sum(p.transition[s, j] * v[j, y] for j in range(s_n))
                best = max(best, q)
            out[s, x] = best
    return out


def main() -> None:
    big = problem(1_000, 10, 50)
    t0 = time.perf_counter()
    pi = policy_iteration(big)
    t_pi = time.perf_counter() - t0
    t0 = time.perf_counter()
    vi = value_iteration(big, tol=1e-9)
    t_vi = time.perf_counter() - t0
    rel = float(np.abs(vi.value - pi.value).max() / np.abs(pi.value).max())
    print(f"1,000 levels x 10 states, moves up to 50 levels: policy iteration {t_pi:.3f} s "
          f"({pi.iterations} improvements, exact); value iteration {t_vi:.2f} s "
          f"({vi.iterations} updates); relative difference {rel:.1e}")  # fmt: skip
    small = problem(100, 10, 50)
    v = np.zeros((10, 100))
    t0 = time.perf_counter()
    naive_bellman(small, v)
    t_naive = time.perf_counter() - t0
    from critmat.optimize.policy import bellman

    t0 = time.perf_counter()
    for _ in range(20):
        bellman(small, v)
    t_vec = (time.perf_counter() - t0) / 20
    print(f"one Bellman update, 100 levels x 10 states: loops {t_naive * 1e3:.1f} ms, "
          f"vectorised {t_vec * 1e3:.3f} ms ({t_naive / t_vec:,.0f}x)")  # fmt: skip
    lp_case = problem(200, 5, None)
    lp = policy_lp(lp_case)
    ref = policy_iteration(lp_case)
    rel = float(np.abs(lp.value - ref.value).max() / np.abs(ref.value).max())
    b, s = lp.timings["build_s"], lp.timings["solve_s"]
    rows = int(np.isfinite(lp_case.reward).sum())
    print(
        f"LP, 200 levels x 5 states, every move allowed ({rows:,} rows): build {b:.3f} s, "
        f"HiGHS solve {s:.2f} s, build/solve {b / s:.1%}; agrees with policy iteration to "
        f"{rel:.1e}"
    )


if __name__ == "__main__":
    main()
