"""Benchmark of the simulation engine (numbers for docs/performance.md).

Prints, from one run, on a synthetic market of 30 materials x 40 countries with 60 random
disruption channels (generator-style arrivals), 60 months:

- scenario-months per second (and material-cell-steps per second) on one process;
- the achieved fraction of a memory-bandwidth probe (a large float32 copy) run in this process,
  counting the engine's array passes per step (an estimate, stated below);
- the speed ratio against the straightforward per-run Python oracle (benchmarks/oracle_sim.py);
- the speed-up from 1 to 2 Dask workers (LocalCluster, one thread each), with equal results.

Usage: ``python benchmarks/bench_sim.py [--runs 100000]``.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.oracle_sim import oracle
from critmat.sim.engine import Stockpile, simulate_chunk
from critmat.sim.events import KINDS, EventTable, add_slot, build_table, new_columns
from critmat.sim.market import Market, SimParams
from critmat.sim.run import block_draws, simulate
from critmat.sim.scenario import Distribution

M, C, J, T = 30, 40, 60, 60
#: float32 arrays of shape [runs, materials] read or written per month by the engine, counted
#: from simulate_chunk (l_d, l_w, shock, dis_months, ramp, repl, ratio, high, sub, elevated, adj,
#: demand, primary, recyc, gap, shortfall, trigger, room, release, stock, unmet, consumption,
#: recyc_used, 9 accumulators, 4x sector arrays) plus the [runs, slots] event arrays (~12 passes).
PASSES_RM, PASSES_RJ = 45, 12


def synthetic_market() -> tuple[Market, EventTable]:
    rng = np.random.default_rng(0)
    f = np.float32

    def shares(n: int, k: int) -> npt.NDArray[np.float32]:
        x = rng.pareto(1.2, (n, k)) + 1e-3
        return np.asarray(x / x.sum(axis=1, keepdims=True), dtype=np.float32)

    imp = (shares(M, C) * 0.8).astype(f)
    world = np.stack([shares(M, C), shares(M, C)])
    market = Market(
        holder="BENCH",
        year=2023,
        materials=[f"m{i:02d}" for i in range(M)],
        countries=[f"C{i:02d}" for i in range(C)],
        demand0=rng.uniform(100, 10000, M).astype(f),
        price0=rng.uniform(1e3, 1e5, M).astype(f),
        recycling=rng.uniform(0, 0.3, M).astype(f),
        import_share=imp,
        world_share=world,
        export_share=shares(M, C),
        sectors=["defence", "clean energy", "industry", "other"],
        sector_share=np.tile(np.array([0.05, 0.45, 0.35, 0.15], f), (M, 1)),
    )
    cols = new_columns()
    for j in range(J):
        add_slot(
            cols,
            kind=KINDS.index("export_restriction"),
            mat=j % M,
            country=int(np.argmax(world[1, j % M])),
            lag=2,
            quota=0.3,
            fr_months=1,
            fr=0.2,
        )
    ev = build_table(
        cols,
        [("exp_start", 0.1 / 12, float(T))] * J,
        [Distribution(dist="lognormal", median=12, sigma=0.7)] * J,
        [Distribution(dist="uniform", low=0.3, high=0.9)] * J,
        [f"ch{j}" for j in range(J)],
    )
    return market, ev


def bandwidth_probe() -> float:
    """GB/s of a large float32 copy (read + write) in this process."""
    a = np.ones(64 * 2**20, np.float32)  # 256 MiB
    b = np.empty_like(a)
    best = np.inf
    for _ in range(5):
        t0 = time.perf_counter()
        np.copyto(b, a)
        best = min(best, time.perf_counter() - t0)
    return 2 * a.nbytes / best / 1e9


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=100_000)
    args = ap.parse_args()
    runs = args.runs
    market, ev = synthetic_market()
    p = SimParams()
    stock = Stockpile(
        (market.demand0 * 2).astype(np.float32),
        (market.demand0 * 0.5).astype(np.float32),
        np.zeros(M, np.float32),
    )
    print(f"model: {runs:,} runs x {M} materials x {T} months, {J} event slots")
    bw = bandwidth_probe()
    print(f"memory-bandwidth probe: {bw:.1f} GB/s (float32 copy, read+write)")

    simulate(market, ev, runs=4096, seed=1, horizon=T, stockpile=stock, keep_full_runs=0)
    t0 = time.perf_counter()
    one = simulate(market, ev, runs=runs, seed=1, horizon=T, stockpile=stock, keep_full_runs=0)
    t1 = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    cells = runs * M * T
    bytes_moved = 4 * T * runs * (PASSES_RM * M + PASSES_RJ * J)
    print(
        f"1 process: {t1:.2f} s, {runs * T / t1:,.0f} scenario-months/s, "
        f"{cells / t1 / 1e6:.1f} M material-cell-steps/s, peak RSS {rss:,.0f} MiB"
    )
    print(
        f"achieved bandwidth ~{bytes_moved / t1 / 1e9:.1f} GB/s = "
        f"{bytes_moved / t1 / 1e9 / bw:.0%} of the probe (estimate, see PASSES_*)"
    )

    small = 16
    d = block_draws(ev, 1, 0, small, T)
    t0 = time.perf_counter()
    oracle(market, p, ev, d, stock, T)
    t_or = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(20):
        simulate_chunk(market, p, ev, d, stock, T, keep_full=False)
    t_vec_small = (time.perf_counter() - t0) / 20
    per_cell_vec = t1 / cells
    per_cell_or = t_or / (small * M * T)
    print(
        f"oracle: {per_cell_or * 1e9:,.0f} ns per cell-step vs engine {per_cell_vec * 1e9:.1f} ns"
        f" -> {per_cell_or / per_cell_vec:,.0f}x faster (engine on {small} runs alone: "
        f"{t_or / t_vec_small:,.0f}x)"
    )

    for w in (1, 2):
        t0 = time.perf_counter()
        r = simulate(
            market,
            ev,
            runs=runs,
            seed=1,
            horizon=T,
            stockpile=stock,
            keep_full_runs=0,
            workers=w,
            chunk_runs=8192,
        )
        tw = time.perf_counter() - t0
        same = all(np.array_equal(r.aggregates[k], one.aggregates[k]) for k in one.aggregates)
        print(f"dask {w} worker(s): {tw:.2f} s (incl. cluster start), identical results: {same}")
        if w == 1:
            t_one_worker = tw
    print(f"speed-up 1 -> 2 workers: {t_one_worker / tw:.2f}x")


if __name__ == "__main__":
    main()
