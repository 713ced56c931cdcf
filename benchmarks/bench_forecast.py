"""Benchmark of the predictive layer (a benchmark, not a unit test).

1. The demand projection over a draw axis (all materials, 2,000 draws of the labelled ranges)
   against the straightforward version in the same run: one projection per draw (a Python loop
   over draws), on 100 draws, scaled per draw. Both give the same central line (checked).
2. The rolling-origin backtest of naive, ETS and ARIMA on one monthly World Bank series (12
   origins x 12 months) and on every shipped price series: seconds, and fits per second.
3. The early-warning panel (23 materials x 27 years): signals, scaling, index, backtest.

    python benchmarks/bench_forecast.py
"""

from __future__ import annotations

import time

import numpy as np

from critmat.data import load
from critmat.forecast.demand import project
from critmat.forecast.scenario_spec import load_scenario
from critmat.services.forecast import DEMAND_MATERIALS, PricesRequest, run_prices, world_base
from critmat.services.warning import WarningRequest, run_warning


def main() -> None:
    ds = load()
    sc = load_scenario("stated_policies")
    tables = (ds.table("demand_drivers"), ds.intensities, ds.table("demand_projections"))
    base = world_base(ds, DEMAND_MATERIALS, sc.base_year)
    project(sc, *tables, base, draws=10)  # warm-up (imports, caches)
    t0 = time.perf_counter()
    vec = project(sc, *tables, base, draws=2000, seed=1)
    t_vec = time.perf_counter() - t0
    n_loop = 100
    t0 = time.perf_counter()
    for k in range(n_loop):
        one = project(sc, *tables, base, draws=1, seed=k)
    t_loop = (time.perf_counter() - t0) / n_loop * 2000
    a = vec.world.set_index(["material", "sector", "year"])["demand_t"]
    b = one.world.set_index(["material", "sector", "year"])["demand_t"]
    assert np.allclose(a.to_numpy(), b.reindex(a.index).to_numpy())  # same central line
    print(
        f"demand projection, {len(DEMAND_MATERIALS)} materials x 17 years x 2,000 draws: "
        f"{t_vec:.2f} s vectorised; one projection per draw {t_loop:.1f} s (scaled from "
        f"{n_loop}); ratio {t_loop / t_vec:.0f}x"
    )

    t0 = time.perf_counter()
    r = run_prices(ds, PricesRequest(materials=["nickel"], origins=12))
    t_one = time.perf_counter() - t0
    fits = int(r.summary["origins"].sum()) + 1
    print(
        f"backtest, WB nickel monthly (3 models x 12 origins): {t_one:.2f} s, "
        f"{fits / t_one:.0f} fits/s"
    )
    t0 = time.perf_counter()
    r = run_prices(ds, PricesRequest())
    t_all = time.perf_counter() - t0
    fits = int(r.summary["origins"].sum()) + len(r.forecasts.groupby("series"))
    print(
        f"backtest, every shipped price series ({r.forecasts['series'].nunique()}): "
        f"{t_all:.1f} s, {fits / t_all:.0f} fits/s"
    )

    t0 = time.perf_counter()
    w = run_warning(ds, WarningRequest())
    t_w = time.perf_counter() - t0
    print(
        f"early-warning panel ({w.index['material'].nunique()} materials x "
        f"{w.index['year'].nunique()} years) with backtest and fitted weights: {t_w:.2f} s"
    )


if __name__ == "__main__":
    main()
