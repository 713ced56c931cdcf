"""Benchmark of the data layer and the assessment: start-up, loading, checks, assess.

Each figure is printed next to a baseline measured in the same run, so the ratio means something
on any machine:

- ``critmat --help`` against a bare ``python -c pass`` start (the interpreter's own cost);
- loading + schema validation of every table against reading the same files with pandas alone;
- the full consistency pass (``critmat data check``) and a full assessment (EU27, 2022, three
  methods), in absolute time.

Run: ``make bench`` (or ``.venv/bin/python benchmarks/bench_data.py``); results are recorded in
docs/performance.md.
"""

from __future__ import annotations

import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd


def best_of(fn: Callable[[], object], repeat: int = 5) -> tuple[float, float]:
    """Median and minimum wall time of ``fn`` over ``repeat`` runs, seconds."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times)


def run(cmd: list[str]) -> None:
    subprocess.run(cmd, check=True, capture_output=True)


def main() -> None:
    import critmat.data as cd
    from critmat.data.checks import run_checks
    from critmat.data.loader import _tables_dir, manifest
    from critmat.data.schemas import SPECS

    exe = Path(sys.executable).parent / "critmat"
    cpu = platform.processor() or "cpu"
    print(f"machine: {platform.machine()}, {cpu}, python {platform.python_version()}")

    bare, _ = best_of(lambda: run([sys.executable, "-c", "pass"]))
    helpt, _ = best_of(lambda: run([str(exe), "--help"]))
    print(f"python -c pass        {bare * 1e3:8.1f} ms")
    print(f"critmat --help        {helpt * 1e3:8.1f} ms   ({helpt / bare:.1f}x bare interpreter)")

    files = {name: _tables_dir() / str(entry["file"]) for name, entry in manifest().items()}

    def raw_read() -> None:
        for path in files.values():
            if path.suffix == ".parquet":
                pd.read_parquet(path)
            else:
                pd.read_csv(path, dtype=str, keep_default_na=False)

    def validated_load() -> cd.Dataset:
        ds = cd.Dataset()  # a fresh one: cd.load() keeps one shipped dataset per process
        for name in SPECS:
            ds.table(name)
        return ds

    rawt, _ = best_of(raw_read)
    loadt, _ = best_of(validated_load)
    print(f"read all tables       {rawt * 1e3:8.1f} ms   (pandas only)")
    print(f"load + validate all   {loadt * 1e3:8.1f} ms   ({loadt / rawt:.1f}x plain read)")

    ds = validated_load()
    checkt, _ = best_of(lambda: run_checks(ds, strict=True), repeat=3)
    rows = sum(len(ds.table(n)) for n in SPECS)
    print(f"consistency pass      {checkt * 1e3:8.1f} ms   ({rows:,} rows; tables already loaded)")

    from critmat.risk.assess import assess

    def timed(fn: Callable[[], object]) -> float:
        t0 = time.perf_counter()
        fn()
        return time.perf_counter() - t0

    def cold_assess() -> float:  # tables loaded, no view derived yet
        fresh = validated_load()
        return timed(lambda: assess(fresh, "EU27", 2022))

    n_rows = len(assess(ds, "EU27", 2022))
    cold = statistics.median(cold_assess() for _ in range(3))
    warm, _ = best_of(lambda: assess(ds, "EU27", 2022), repeat=3)
    print(
        f"assess EU27 2022      {cold * 1e3:8.1f} ms   ({n_rows} result rows, "
        f"{cold / n_rows * 1e3:.1f} ms/row; 3 methods, tables loaded, no view derived yet)"
    )
    print(f"  again, same dataset {warm * 1e3:8.1f} ms   ({cold / warm:.1f}x faster: views kept)")

    holders = list(ds.holders["holder"])
    fresh_sets = [validated_load() for _ in holders]  # the tables read before the clock starts
    alone = timed(lambda: [assess(f, h, 2023) for f, h in zip(fresh_sets, holders, strict=True)])
    shared_ds = validated_load()
    shared = timed(lambda: [assess(shared_ds, h, 2023) for h in holders])
    print(
        f"assess {len(holders)} holders 2023 {shared:6.2f} s    one dataset, views shared; "
        f"{alone:.2f} s with a dataset each ({alone / shared:.1f}x)"
    )


if __name__ == "__main__":
    main()
