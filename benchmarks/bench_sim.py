"""Benchmark of the simulation engine (numbers for docs/performance.md).

Prints, from one run, on a synthetic market of 30 materials x 40 countries with 60 random
disruption channels (generator-style arrivals), 60 months:

- scenario-months per second (and material-cell-steps per second) on one process;
- the achieved fraction of a memory-bandwidth probe (a large float32 copy) run in this process,
  counting the array passes a step written as whole-array operations would need (an estimate,
  stated below; the compiled step keeps its state in registers, so this is the bandwidth the
  same work would need written that way);
- the cost of the world market's mechanisms (stocks, leakage, supply response; on in the
  synthetic market) against the same step with them off (``world_market=False``);
- the speed ratio against the straightforward per-run Python oracle (benchmarks/oracle_sim.py)
  and the largest difference between the two on the oracle's runs;
- the speed-up from 1 to 2 Dask workers (LocalCluster, one thread each), with equal results;
- ``--big`` runs (1,000,000) on 2 workers streamed to a Zarr store: time, summary time and the
  peak resident memory of the client and its workers together.

Usage: ``python benchmarks/bench_sim.py [--runs 100000] [--big 1000000]``.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

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
#: float32 arrays of shape [runs, materials] read or written per month by a whole-array step,
#: counted from the retired NumPy engine (l_d, l_w, shock, dis_months, ramp, repl, ratio, high,
#: sub, elevated, adj, demand, primary, recyc, gap, shortfall, trigger, room, release, stock,
#: unmet, consumption, recyc_used, 9 accumulators, 4x sector arrays) plus the [runs, slots]
#: event arrays (~12 passes).
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
    # the world market's mechanisms on (docs/methods.md 6.3): stocks, leakage, supply response
    market.response = {
        "stock_months": rng.uniform(1.0, 6.0, M).astype(f),
        "leakage": rng.uniform(0.0, 0.2, M).astype(f),
        "restrictor_export_share": np.zeros(M, f),
        "response_share": rng.uniform(0.0, 0.5, M).astype(f),
        "response_lead_months": rng.uniform(3.0, 24.0, M).astype(f),
        "response_ramp_months": rng.uniform(3.0, 12.0, M).astype(f),
    }
    market.world_exports_t = (market.demand0 * 40.0).astype(f)
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


def equiv(seconds: float, n: int, bw: float) -> str:
    """A whole-array step's traffic for ``n`` runs per second, against the probe."""
    moved = 4 * T * n * (PASSES_RM * M + PASSES_RJ * J)
    return f"{moved / seconds / 1e9:.1f} GB/s = {moved / seconds / 1e9 / bw:.0%} of the probe"


class PeakRSS:
    """Peak resident memory of this process and its children (Dask workers), sampled."""

    def __init__(self) -> None:
        import psutil

        self.proc = psutil.Process()
        self.peak = 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            total = 0
            for p in [self.proc, *self.proc.children(recursive=True)]:
                with contextlib.suppress(Exception):  # a worker that just exited
                    total += p.memory_info().rss
            self.peak = max(self.peak, total)
            time.sleep(0.05)

    def __enter__(self) -> PeakRSS:
        self._t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._t.join()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=100_000)
    ap.add_argument("--big", type=int, default=1_000_000, help="runs of the 2-worker Zarr run")
    ap.add_argument("--big-only", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.big_only:
        big_run(args.big)
        return
    runs = args.runs
    market, ev = synthetic_market()
    p = SimParams()
    stock = Stockpile(
        (market.demand0 * 2).astype(np.float32),
        (market.demand0 * 0.5).astype(np.float32),
        np.zeros(M, np.float32),
    )
    print(f"model: {runs:,} runs x {M} materials x {T} months, {J} event slots", flush=True)
    bw = bandwidth_probe()
    print(f"memory-bandwidth probe: {bw:.1f} GB/s (float32 copy, read+write)")
    kw: dict[str, Any] = {"seed": 1, "horizon": T, "stockpile": stock, "keep_full_runs": 0}

    simulate(market, ev, runs=4096, **kw)  # warm-up (and compile)
    t0 = time.perf_counter()
    res = simulate(market, ev, runs=runs, **kw)
    t1 = time.perf_counter() - t0
    print(
        f"compiled step, 1 process: {t1:.2f} s, {runs * T / t1:,.0f} scenario-months/s,"
        f" {runs * M * T / t1 / 1e6:.1f} M cell-steps/s; array-pass equivalent "
        f"{equiv(t1, runs, bw)}",
        flush=True,
    )
    cells = runs * M * T
    first = dataclasses.replace(p, world_market=False)
    simulate(market, ev, runs=4096, params=first, **kw)
    t0 = time.perf_counter()
    simulate(market, ev, runs=runs, params=first, **kw)
    t_first = time.perf_counter() - t0
    print(
        f"the first version's market (world_market=False), same step: {t_first:.2f} s; the world "
        f"market costs {t1 / t_first:.2f}x per cell-step (target at most 1.5x)",
        flush=True,
    )

    small = 16
    d = block_draws(ev, 1, 0, small, T)
    t0 = time.perf_counter()
    slow = oracle(market, p, ev, d, stock, T)
    t_or = time.perf_counter() - t0
    fast = simulate_chunk(market, p, ev, d, stock, T, False)
    same = max(
        float(np.max(np.abs(fast[k] - slow[k]))) / max(float(np.max(np.abs(slow[k]))), 1e-30)
        for k in ("unmet", "shortfall", "release", "loss_usd", "max_price_ratio", "final_stock")
    )
    per_cell_or = t_or / (small * M * T)
    print(
        f"oracle: {per_cell_or * 1e9:,.0f} ns per cell-step vs compiled {t1 / cells * 1e9:.1f} ns "
        f"-> {per_cell_or / (t1 / cells):,.0f}x faster; largest difference on the oracle's "
        f"{small} runs {same:.1e} of each variable's largest value",
        flush=True,
    )

    for w in (1, 2):
        t0 = time.perf_counter()
        r = simulate(market, ev, runs=runs, workers=w, chunk_runs=8192, **kw)
        tw = time.perf_counter() - t0
        ok = all(np.array_equal(r.aggregates[k], res.aggregates[k]) for k in res.aggregates)
        print(f"dask {w} worker(s): {tw:.2f} s (incl. cluster start), identical results: {ok}")
        if w == 1:
            t_one_worker = tw
    print(f"speed-up 1 -> 2 workers: {t_one_worker / tw:.2f}x", flush=True)

    # the big run in a fresh process, so its peak memory is its own (not this run's arrays)
    out = subprocess.run(
        [sys.executable, __file__, "--big-only", "--big", str(args.big)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    print(out.stdout.strip())


def big_run(big: int) -> None:
    """``big`` runs on 2 workers streamed to a Zarr store: time, summary, peak memory."""
    market, ev = synthetic_market()
    stock = Stockpile(
        (market.demand0 * 2).astype(np.float32),
        (market.demand0 * 0.5).astype(np.float32),
        np.zeros(M, np.float32),
    )
    bw = bandwidth_probe()
    kw: dict[str, Any] = {"seed": 1, "horizon": T, "stockpile": stock, "keep_full_runs": 0}

    with tempfile.TemporaryDirectory() as tmp, PeakRSS() as mem:
        t0 = time.perf_counter()
        r = simulate(
            market, ev, runs=big, workers=2, chunk_runs=16384, store=Path(tmp) / "big.zarr", **kw
        )
        t_run = time.perf_counter() - t0
        t0 = time.perf_counter()
        r.summary()
        t_sum = time.perf_counter() - t0
    print(
        f"{big:,} runs x {M} x {T} on 2 workers, streamed to Zarr: {t_run:.1f} s "
        f"({big * T / t_run:,.0f} scenario-months/s, array-pass equivalent "
        f"{equiv(t_run, big, bw)}); "
        f"summary (exact quantiles, second pass) {t_sum:.1f} s; peak RSS of client + workers "
        f"{mem.peak / 2**30:.2f} GiB"
    )


if __name__ == "__main__":
    main()
