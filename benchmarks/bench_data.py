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

    def validated_load() -> None:
        ds = cd.load(use_env=False)
        for name in SPECS:
            ds.table(name)

    rawt, _ = best_of(raw_read)
    loadt, _ = best_of(validated_load)
    print(f"read all tables       {rawt * 1e3:8.1f} ms   (pandas only)")
    print(f"load + validate all   {loadt * 1e3:8.1f} ms   ({loadt / rawt:.1f}x plain read)")

    ds = cd.load(use_env=False)
    for name in SPECS:
        ds.table(name)
    checkt, _ = best_of(lambda: run_checks(ds, strict=True), repeat=3)
    rows = sum(len(ds.table(n)) for n in SPECS)
    print(f"consistency pass      {checkt * 1e3:8.1f} ms   ({rows:,} rows; tables already loaded)")

    from critmat.risk.assess import assess

    n_rows = len(assess(ds, "EU27", 2022))
    asst, _ = best_of(lambda: assess(ds, "EU27", 2022), repeat=3)
    print(
        f"assess EU27 2022      {asst * 1e3:8.1f} ms   ({n_rows} result rows, "
        f"{asst / n_rows * 1e3:.1f} ms/row; 3 methods, tables loaded)"
    )


if __name__ == "__main__":
    main()
