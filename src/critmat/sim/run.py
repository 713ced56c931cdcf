"""Running many scenarios: blocks of runs, counter-based random streams, chunks, Dask workers.

Runs are numbered 0..N-1 and grouped in fixed blocks of :data:`BLOCK` runs. Block b draws its
random numbers from its own Philox stream keyed by ``SeedSequence([seed, b])``, so a run's draws
depend only on the seed and its block, never on how blocks are grouped into chunks or spread over
workers: results are identical for the same seed whatever the chunking or the worker count.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from critmat.sim.downstream import gdp_loss
from critmat.sim.engine import FULL_VARIABLES, Draws, Stockpile, simulate_chunk
from critmat.sim.events import KINDS, EventTable, draw_spec
from critmat.sim.market import Market, SimParams
from critmat.sim.store import RunSink, outage_sums
from critmat.streams import Streams

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["BLOCK", "SimResult", "block_draws", "run_blocks", "simulate"]

BLOCK = 1024
UNITS = (
    "t and t/month of each material's basis (coordinate 'basis'); price USD per t of the basis "
    "(nominal); loss USD"
)
Arrays = dict[str, npt.NDArray[np.float32] | npt.NDArray[np.int32]]


def block_draws(
    ev: EventTable,
    seed: int,
    block: int,
    n: int,
    horizon: int,
    uncertainty: dict[str, tuple[float, float]] | None = None,
) -> Draws:
    """Draws of one block (its own random stream); order: per slot start, duration, severity.

    Parameter factors (``uncertainty``: name -> (low, high)) come from a second stream of the
    block, ``SeedSequence([seed, block, 1])``, so turning them on leaves the event draws as
    they were; each is log-uniform in its range, one per run.
    """
    rng = Streams(seed).generator("events", block=block)
    start = np.zeros((n, ev.n), np.int32)
    dur = np.zeros((n, ev.n), np.int32)
    sev = np.zeros((n, ev.n), np.float32)
    demand = KINDS.index("demand_shock")
    crisis_t = (
        rng.exponential(1.0 / ev.crisis_rate, n) if ev.crisis_rate > 0 else np.full(n, np.inf)
    )
    for j in range(ev.n):
        s = draw_spec(ev.start[j], rng, n)
        if ev.crisis[j]:
            joins = rng.random(n) < ev.crisis_join
            s = np.where(joins, np.minimum(s, crisis_t + rng.uniform(0.0, 3.0, n)), s)
        start[:, j] = np.minimum(np.floor(s), horizon)
        dur[:, j] = np.maximum(1, np.rint(draw_spec(ev.duration[j], rng, n)))
        hi = 5.0 if ev.kind[j] == demand else 1.0
        sev[:, j] = np.clip(draw_spec(ev.severity[j], rng, n), 0.0, hi)
    factors: dict[str, npt.NDArray[np.float32]] = {}
    if uncertainty:
        prng = Streams(seed).generator("parameters", block=block)
        for name in sorted(uncertainty):
            lo, hi_f = uncertainty[name]
            u = prng.random(n)
            factors[name] = np.exp(np.log(lo) + u * (np.log(hi_f) - np.log(lo))).astype(np.float32)
    return Draws(start, dur, sev, factors)


def run_blocks(
    market: Market,
    params: SimParams,
    ev: EventTable,
    stockpile: Stockpile,
    horizon: int,
    seed: int,
    blocks: list[tuple[int, int]],
    keep_full_runs: int,
) -> Arrays:
    """Simulate a group of blocks as one chunk (also the Dask task); full paths for the runs
    numbered below ``keep_full_runs``."""
    unc = dict(params.uncertainty)
    draws = [block_draws(ev, seed, b, n, horizon, unc) for b, n in blocks]
    d = Draws(
        np.concatenate([x.start for x in draws]),
        np.concatenate([x.duration for x in draws]),
        np.concatenate([x.severity for x in draws]),
        {k: np.concatenate([x.factors[k] for x in draws]) for k in draws[0].factors},
    )
    first = blocks[0][0] * BLOCK
    n_keep = max(0, min(keep_full_runs - first, d.start.shape[0]))
    out = simulate_chunk(market, params, ev, d, stockpile, horizon, n_keep)
    if n_keep:
        for v in FULL_VARIABLES:
            out[f"full_{v}"] = out[f"full_{v}"][:n_keep]
    return out


@dataclass
class SimResult:
    """Per-run aggregates for every run and full monthly paths for the first runs."""

    market: Market
    scenario: str
    seed: int
    runs: int
    horizon: int
    stockpile: Stockpile
    events: EventTable
    #: NumPy arrays in memory, or Zarr arrays read on demand when the run streamed to a store
    aggregates: dict[str, Any] = field(default_factory=dict)
    paths: dict[str, npt.NDArray[np.float32]] = field(default_factory=dict)
    #: streamed means over runs (float64, critmat.sim.store); computed from the arrays if empty
    means: dict[str, npt.NDArray[np.float64]] = field(default_factory=dict)
    store: Path | None = None
    #: the price cap the run was simulated with (a numerical guard; the summary reports the
    #: share of runs that reached it)
    price_cap: float = float("inf")
    #: how ``expected_loss_usd`` is counted: ``"critmat"`` (import bill + the tonnes short and
    #: destroyed, docs/methods.md 6.7 and 6.9) or ``"usgs2024"`` (the structure of the USGS
    #: disruption model: the market clears at the price, GDP of the demand it destroys)
    loss_method: str = "critmat"

    def to_xarray(self) -> xr.Dataset:
        """Aggregates on (run, material[, sector]) and paths (``path_<variable>``) on (path,
        material, month); lazy (dask arrays over the Zarr store) when the run streamed to one."""
        import xarray as xr

        if self.store is not None:
            lazy: xr.Dataset = xr.open_zarr(self.store)
            return lazy

        mats, secs = self.market.materials, self.market.sectors
        data: dict[str, tuple[tuple[str, ...], npt.NDArray[np.float32]]] = {}
        for k, v in self.aggregates.items():
            if v.ndim == 1:
                data[k] = (("run",), v)
            elif v.ndim == 2:
                data[k] = (("run", "material"), v)
            else:
                data[k] = (("run", "material", "sector"), v)
        for k, v in self.paths.items():  # path_unmet next to the aggregate unmet
            data[f"path_{k}"] = (("path", "material", "month"), v)
        ds = xr.Dataset(
            data,
            coords={
                "material": mats,
                "basis": ("material", self.market.basis),
                "sector": secs,
                "month": np.arange(self.horizon),
                "run": np.arange(self.runs),
                "path": np.arange(next(iter(self.paths.values())).shape[0]) if self.paths else [],
            },
            attrs={
                "scenario": self.scenario,
                "holder": self.market.holder,
                "base_year": self.market.year,
                "seed": self.seed,
                "runs": self.runs,
                "units": UNITS,
            },
        )
        return ds

    def _loss_parts(self, mean: dict[str, npt.NDArray[np.float64]]) -> list[dict[str, Any]]:
        """Per material, the loss as a finance ministry counts it (docs/methods.md 6.7, 6.9):
        the extra import bill, plus the tonnes the industries did not get (unmet and destroyed
        by the price) through the holder's input-output table where it has one (GDP), else the
        unmet tonnes at value added per tonne and the use given up to the price."""

        a, m = self.aggregates, self.market
        out: list[dict[str, Any]] = []
        for i, mat in enumerate(m.materials):
            bill, use = float(mean["import_bill_usd"][i]), float(mean["use_given_up_usd"][i])
            unmet, unmet0 = float(mean["loss_usd"][i]), float(mean["loss_usd_nostock"][i])
            curve = m.downstream.get(mat)
            row: dict[str, Any] = {
                "expected_unmet_loss_usd": unmet,
                "expected_import_bill_usd": bill,
                "expected_use_given_up_usd": use,
            }
            destroyed = np.asarray(a["destroyed_t"][:, i], np.float64)
            usgs_runs = gdp_loss(destroyed, curve, self.horizon) if curve is not None else None
            usgs = float(np.mean(usgs_runs)) if usgs_runs is not None else float("nan")
            bill_runs = np.asarray(a["import_bill_usd"][:, i], np.float64)
            row["expected_gdp_usgs2024_usd"] = usgs
            if self.loss_method == "usgs2024":
                why = m.downstream_why.get(mat, "not mapped")
                runs = usgs_runs
                row |= {
                    "expected_loss_usd": usgs,
                    "expected_loss_no_stock_usd": usgs,
                    "expected_gdp_downstream_usd": usgs,
                    "loss_basis": "usgs2024: GDP through the input-output table of the demand "
                    "the price destroys (the market clears; docs/methods.md 6.9)"
                    if curve is not None
                    else f"usgs2024: not assessed: {why}",
                }
            elif curve is None:
                runs = (
                    bill_runs
                    + np.asarray(a["loss_usd"][:, i], np.float64)
                    + np.asarray(a["use_given_up_usd"][:, i], np.float64)
                )
                row |= {
                    "expected_loss_usd": bill + unmet + use,
                    "expected_loss_no_stock_usd": bill + unmet0 + use,
                    "expected_gdp_downstream_usd": float("nan"),
                    "loss_basis": "value added per tonne unmet (6.7) + use given up; "
                    f"no GDP through input-output: {m.downstream_why.get(mat, 'not mapped')}",
                }
            else:
                gdp_runs = gdp_loss(destroyed + a["unmet"][:, i], curve, self.horizon)
                gdp = float(np.mean(gdp_runs))
                runs = bill_runs + gdp_runs
                gdp0 = float(
                    np.mean(gdp_loss(destroyed + a["shortfall"][:, i], curve, self.horizon))
                )
                row |= {
                    "expected_loss_usd": bill + gdp,
                    "expected_loss_no_stock_usd": bill + gdp0,
                    "expected_gdp_downstream_usd": gdp,
                    "loss_basis": f"GDP through the input-output table ({curve.table}) of the "
                    "tonnes unmet and destroyed by the price + import bill",
                }
            # the band of the loss over the runs (the same count as expected_loss_usd)
            lo, hi = (np.quantile(runs, [0.05, 0.95]) if runs is not None and runs.size
                      else (float("nan"), float("nan")))  # fmt: skip
            row |= {"p05_loss_usd": float(lo), "p95_loss_usd": float(hi)}
            out.append(row)
        return out

    def cap_shares(self) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Per material, the share of runs whose price reached the cap (a numerical guard) and
        the share of run-months at it (NaN where the months were not counted)."""
        a = self.aggregates
        price = np.asarray(a["max_price_ratio"][:])
        runs = np.mean(price >= self.price_cap * (1.0 - 1e-6), axis=0).astype(np.float64)
        months = (
            np.asarray(a["months_at_price_cap"][:], np.float64).mean(axis=0) / max(self.horizon, 1)
            if "months_at_price_cap" in a
            else np.full(self.market.n_materials, np.nan)
        )
        return runs, months

    def summary(self) -> pd.DataFrame:
        """One row per material: shortfall statistics, outages, cover and loss avoided.

        Means come from the streamed sums (critmat.sim.store); quantiles and tail means are
        exact, from one pass over each variable (loaded one at a time from the store, if any).
        """
        a, m = self.aggregates, self.market
        mean: dict[str, npt.NDArray[np.float64]] = self.means or {
            k: np.asarray(np.sum(v, axis=0, dtype=np.float64) / self.runs) for k, v in a.items()
        }
        unmet = np.asarray(a["unmet"][:])
        q95 = np.quantile(unmet, 0.95, axis=0)
        tail = unmet >= q95[None, :]
        cvar = np.sum(np.where(tail, unmet, 0.0), axis=0, dtype=np.float64) / tail.sum(axis=0)
        del unmet, tail
        if "outage_runs" not in mean:  # built without the sink: from the in-memory arrays
            mean = {**mean, **{k: v / self.runs for k, v in outage_sums(a).items()}}
        p_out = mean["outage_runs"]
        out_mean = np.where(p_out > 0, mean["outage_total"] / np.where(p_out > 0, p_out, 1), 0)
        price = np.asarray(a["max_price_ratio"][:])
        p50, p95 = np.quantile(price, [0.5, 0.95], axis=0)
        del price
        at_cap, months_cap = self.cap_shares()
        row95 = np.quantile(np.asarray(a["max_row_price_ratio"][:]), 0.95, axis=0)
        loss_parts = self._loss_parts(mean)
        rows = []
        for i, mat in enumerate(m.materials):
            rows.append(
                {
                    "material": mat,
                    "basis": m.basis[i],
                    "unit": f"t {m.basis[i]}",
                    "simulated": True,
                    "expected_shortfall_t": float(mean["shortfall"][i]),
                    "expected_unmet_t": float(mean["unmet"][i]),
                    "p95_unmet_t": float(q95[i]),
                    "cvar95_unmet_t": float(cvar[i]),
                    "p_sector_outage": float(p_out[i]),
                    "expected_outage_months": float(out_mean[i]),
                    "days_of_cover": float(self.stockpile.stock0[i] / (m.demand0[i] / 30.4375))
                    if m.demand0[i] > 0
                    else float("nan"),
                    "p50_max_price_ratio": float(p50[i]),
                    "p95_max_price_ratio": float(p95[i]),
                    "p95_max_row_price_ratio": float(row95[i]),
                    # the cap is a numerical guard: the share of runs whose price reached it
                    "share_runs_at_price_cap": float(at_cap[i]),
                    "share_months_at_price_cap": float(months_cap[i]),
                    **loss_parts[i],
                    "loss_avoided_usd": loss_parts[i]["expected_loss_no_stock_usd"]
                    - loss_parts[i]["expected_loss_usd"],
                }
            )
        for mat, why in m.not_simulated.items():
            rows.append({"material": mat, "simulated": False, "reason": f"not simulated: {why}"})
        return pd.DataFrame(rows)


def _groups(runs: int, chunk_runs: int) -> list[list[tuple[int, int]]]:
    blocks = [(b, min(BLOCK, runs - b * BLOCK)) for b in range(math.ceil(runs / BLOCK))]
    per = max(1, chunk_runs // BLOCK)
    return [blocks[i : i + per] for i in range(0, len(blocks), per)]


def simulate(
    market: Market,
    events: EventTable,
    *,
    runs: int,
    seed: int,
    horizon: int = 60,
    scenario: str = "",
    stockpile: Stockpile | None = None,
    params: SimParams | None = None,
    chunk_runs: int = 4 * BLOCK,
    keep_full_runs: int = 2000,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Callable[[int], None] | None = None,
    store: str | Path | None = None,
) -> SimResult:
    """Simulate ``runs`` draws of the events over ``horizon`` months.

    ``chunk_runs`` is rounded to whole blocks; ``workers`` starts a Dask LocalCluster of that many
    single-threaded processes, ``scheduler`` uses an existing Dask cluster; neither changes results.
    ``store`` streams the per-run aggregates to a Zarr store as chunks finish (memory stays
    bounded whatever ``runs``; critmat.sim.store).
    """
    if runs < 1:
        raise ValueError("runs must be at least 1")
    p = params or SimParams()
    sp = stockpile or Stockpile.empty(market.n_materials)
    groups = _groups(runs, chunk_runs)
    args = (market, p, events, sp, horizon, seed)
    sink = RunSink(
        runs,
        Path(store) if store is not None else None,
        {"scenario": scenario, "holder": market.holder, "base_year": market.year, "seed": seed,
         "runs": runs, "units": UNITS},
        {"material": market.materials, "basis": ("material", market.basis),
         "sector": market.sectors, "month": np.arange(horizon)},
    )  # fmt: skip
    try:
        if workers is None and scheduler is None:
            for g in groups:
                sink.add(g[0][0] * BLOCK, run_blocks(*args, g, keep_full_runs))
                if progress:
                    progress(sum(n for _, n in g))
        else:
            _run_dask(args, groups, keep_full_runs, workers, scheduler, progress, sink)
        paths = sink.paths()
        sink.finish(paths)
    except BaseException:
        sink.discard()
        raise
    return SimResult(
        market,
        scenario,
        seed,
        runs,
        horizon,
        sp,
        events,
        sink.aggregates(),
        {k: np.asarray(v, np.float32) for k, v in paths.items()},
        sink.means(),
        sink.store,
        p.price_cap,
    )


def _run_dask(
    args: tuple[Market, SimParams, EventTable, Stockpile, int, int],
    groups: list[list[tuple[int, int]]],
    keep_full_runs: int,
    workers: int | None,
    scheduler: str | None,
    progress: Callable[[int], None] | None,
    sink: RunSink,
) -> None:
    import dask
    from distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler is None:
        # Dask's nanny sets MALLOC_TRIM_THRESHOLD_, which slowed NumPy work here (stack notes)
        dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None})
        # one thread per worker process: BLAS must not start its own threads next to it
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            dask.config.set({f"distributed.nanny.pre-spawn-environ.{var}": 1})
        cluster = LocalCluster(
            n_workers=workers or 1, threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = Client(cluster)
    else:
        client = Client(scheduler)
    try:
        shared = client.scatter(list(args), broadcast=True)
        futures = [
            client.submit(run_blocks, *shared, g, keep_full_runs, pure=False) for g in groups
        ]
        index = {f.key: i for i, f in enumerate(futures)}
        pending = as_completed(futures)
        futures.clear()  # a chunk's memory on the workers is freed once it has been received
        for fut in pending:
            i = index[fut.key]
            sink.add(groups[i][0][0] * BLOCK, fut.result())
            fut.release()
            if progress:
                progress(sum(n for _, n in groups[i]))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
