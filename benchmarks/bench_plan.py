"""Benchmark of the planning run's assembly (issue 29, item 6): ``critmat --help`` (commands
built when called, against building every command), ``critmat plan --holder EU27
--budget 2e9`` end to end, and the same run in process with the per-dataset views built once
(``Dataset.derived``: holder balances, tonnage tables, world production, per-material rows,
material names, supply tables) against the same run with every such view rebuilt on each call,
measured in the same run. (Before this work some views were already kept, supply tables among
them: the rebuilt path is slower than the old one.)

Run: ``.venv/bin/python benchmarks/bench_plan.py``; results are recorded in
docs/performance.md.
"""

from __future__ import annotations

import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

CLI = str(Path(sys.executable).with_name("critmat"))


def wall(cmd: list[str], repeat: int) -> float:
    """Median wall time of a command, seconds."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def in_process(cached: bool, repeat: int = 3) -> float:
    """Median seconds of the plan's service call on a fresh dataset each time (imports and the
    compiled kernel warm), with or without the per-dataset views."""
    from critmat.data.dataset import Dataset, load
    from critmat.services.plan import PlanConfig, run_plan

    original = Dataset.derived

    def uncached(self: Dataset, key: tuple[object, ...], compute: Any) -> Any:
        return compute()

    times = []
    try:
        if not cached:
            Dataset.derived = uncached  # type: ignore[method-assign]
        for _ in range(repeat):
            ds = load()
            t0 = time.perf_counter()
            run_plan(ds, "EU27", 2e9, PlanConfig())
            times.append(time.perf_counter() - t0)
    finally:
        Dataset.derived = original  # type: ignore[method-assign]
    return statistics.median(times)


def main() -> None:
    print(
        f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}"
    )
    base = wall([sys.executable, "-c", "pass"], 5)
    helps = wall([CLI, "--help"], 9)
    typer_only = wall([sys.executable, "-c", "import typer"], 9)
    every = wall([sys.executable, "-c", "import critmat.cli.main as m\n"
                  "for n in m.COMMANDS: m.build_command(n)"], 9)  # fmt: skip
    print(f"critmat --help: {helps * 1000:.0f} ms (bare interpreter {base * 1000:.0f} ms, "
          f"importing Typer alone {typer_only * 1000:.0f} ms; building every command, as "
          f"--help did before: {every * 1000:.0f} ms, {every / helps:.1f}x)")  # fmt: skip
    plan = wall([CLI, "plan", "--holder", "EU27", "--budget", "2e9"], 3)
    print(f"critmat plan --holder EU27 --budget 2e9: {plan:.2f} s end to end (target 4 s)")
    in_process(True, 1)  # warm the imports and the compiled kernel
    new, old = in_process(True), in_process(False)
    print(f"the plan's service call, views built once: {new:.2f} s; every view rebuilt on each "
          f"call: {old:.2f} s; {old / new:.2f}x")  # fmt: skip


if __name__ == "__main__":
    main()
