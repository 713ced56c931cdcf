"""Scale: streamed results equal in-memory results; a real Dask cluster (separate scheduler and
worker processes on loopback) gives the single-process result bit for bit."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from critmat.sim.engine import Stockpile
from critmat.sim.events import compile_events
from critmat.sim.run import BLOCK, SimResult, simulate
from critmat.sim.scenario import Scenario
from tests.test_sim import ALL_EVENTS, P, toy_market


def _run(runs: int, **kw: object) -> SimResult:
    m = toy_market()
    ev = compile_events(Scenario.model_validate(ALL_EVENTS), m, P)
    sp = Stockpile(
        (m.demand0 * 2).astype(np.float32),
        (0.5 * m.demand0).astype(np.float32),
        np.zeros(m.n_materials, np.float32),
    )
    return simulate(m, ev, runs=runs, seed=11, horizon=36, stockpile=sp, params=P,
                    keep_full_runs=50, **kw)  # type: ignore[arg-type]  # fmt: skip


def test_streamed_summaries_equal_in_memory(tmp_path: Path) -> None:
    runs = 3 * BLOCK + 123
    mem = _run(runs, chunk_runs=BLOCK)
    disk = _run(runs, chunk_runs=2 * BLOCK, store=tmp_path / "runs.zarr")
    # the same per-run numbers, now on disk
    for k, v in mem.aggregates.items():
        np.testing.assert_array_equal(np.asarray(disk.aggregates[k][:]), v, err_msg=k)
    # means streamed chunk by chunk (float64 sums in run order) equal the in-memory means; the
    # quantiles and CVaR, exact on a second pass, equal them bit for bit
    a, b = mem.summary(), disk.summary()
    pd.testing.assert_frame_equal(a, b, rtol=1e-12)
    for k, v in mem.aggregates.items():
        assert disk.means[k] == pytest.approx(np.mean(v.astype(np.float64), axis=0), rel=1e-12)
    # the store opens with xarray, with its units and the kept paths
    ds = disk.to_xarray()
    assert ds["unmet"].dims == ("run", "material")
    assert ds.sizes["run"] == runs and ds.sizes["path"] == 50
    assert "basis" in ds.attrs["units"] and ds["basis"].dims == ("material",)
    np.testing.assert_array_equal(ds["path_price"].values, mem.paths["price"])
    # writing again replaces the store
    again = _run(100, store=tmp_path / "runs.zarr")
    assert again.to_xarray().sizes["run"] == 100


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def loopback_cluster(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """`dask scheduler` and two `dask worker` processes on 127.0.0.1 (Dask's own commands)."""
    dask_cmd = shutil.which("dask", path=str(Path(sys.executable).parent))
    assert dask_cmd, "the dask command comes with dask[distributed]"
    port = _free_port()
    addr = f"tcp://127.0.0.1:{port}"
    logs = tmp_path_factory.mktemp("dask")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    procs = [
        subprocess.Popen(
            [dask_cmd, "scheduler", "--host", "127.0.0.1", "--port", str(port),
             "--no-dashboard"],
            stdout=(logs / "scheduler.log").open("w"), stderr=subprocess.STDOUT, env=env,
        )
    ]  # fmt: skip
    from distributed import Client

    deadline = time.monotonic() + 60
    while True:
        try:
            Client(addr, timeout=2).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    for i in range(2):
        procs.append(
            subprocess.Popen(
                [dask_cmd, "worker", addr, "--nthreads", "1", "--nworkers", "1",
                 "--no-dashboard", "--name", f"w{i}", "--local-directory", str(logs)],
                stdout=(logs / f"worker{i}.log").open("w"), stderr=subprocess.STDOUT, env=env,
            )
        )  # fmt: skip
    with Client(addr) as c:
        c.wait_for_workers(2, timeout=120)
    yield addr
    for p in procs[::-1]:
        p.terminate()
    for p in procs:
        try:
            p.wait(20)
        except subprocess.TimeoutExpired:
            p.kill()


@pytest.mark.slow
def test_loopback_cluster_is_bit_for_bit(loopback_cluster: str, tmp_path: Path) -> None:
    runs = 4 * BLOCK + 7
    one = _run(runs, chunk_runs=BLOCK)
    from distributed import Client

    with Client(loopback_cluster) as c:
        assert len(c.scheduler_info()["workers"]) == 2
    dist = _run(runs, chunk_runs=BLOCK, scheduler=loopback_cluster, store=tmp_path / "d.zarr")
    for k, v in one.aggregates.items():
        np.testing.assert_array_equal(np.asarray(dist.aggregates[k][:]), v, err_msg=k)
    for k, v in one.paths.items():
        np.testing.assert_array_equal(dist.paths[k], v, err_msg=k)
    pd.testing.assert_frame_equal(one.summary(), dist.summary(), rtol=1e-12)


@pytest.mark.slow
def test_cli_streams_to_a_zarr_store(tmp_path: Path) -> None:
    import json

    import xarray as xr
    from typer.testing import CliRunner

    from critmat.cli.main import app

    runner = CliRunner()
    store = tmp_path / "runs.zarr"
    args = ["simulate", "GR-2023", "--holder", "EU27", "--runs", "300", "-f", "json"]
    r = runner.invoke(app, [*args, "--out", str(store)])
    assert r.exit_code == 0, r.stderr
    streamed = json.loads(r.stdout)["summary"]
    r = runner.invoke(app, args)
    assert json.loads(r.stdout)["summary"] == streamed  # same numbers as in memory
    with xr.open_zarr(store) as ds:
        assert ds.attrs["scenario"] == "GR-2023" and ds.sizes["run"] == 300
        gr = float(ds["unmet"].sel(material="graphite").mean().compute())
    row = next(x for x in streamed if x["material"] == "graphite")
    assert gr == pytest.approx(row["expected_unmet_t"], rel=1e-5)
    assert not (tmp_path / "runs.zarr.partial").exists()
    # a directory that is not a store is never replaced
    (tmp_path / "keep.zarr").mkdir()
    (tmp_path / "keep.zarr" / "mine.txt").write_text("x")
    r = runner.invoke(app, [*args, "--out", str(tmp_path / "keep.zarr")])
    assert r.exit_code != 0 and "not a Zarr store" in r.stderr
    assert (tmp_path / "keep.zarr" / "mine.txt").exists()
