"""Where finished chunks of runs go: memory, or a chunked Zarr store on disk, with streamed sums.

A simulation hands each finished chunk (a contiguous range of runs, in any order when Dask
workers finish out of order) to a :class:`RunSink`:

- **means** are streamed and mergeable: each chunk contributes its float64 sums over runs, kept
  per chunk and added in run order at the end, so the result is identical whatever the order in
  which chunks finish, the chunking of the store, or the worker count, and identical in memory
  and on disk;
- **per-run aggregates** are either concatenated in memory (the default) or written into a Zarr
  store (``store=PATH``) as each chunk arrives, so memory stays bounded by a few chunks whatever
  the run count; the store (Zarr format 2) opens with ``xarray.open_zarr``: aggregates on
  (run, material[, sector]), the kept monthly paths as ``path_<variable>`` on (path, material,
  month);
- **quantiles and tail means** (CVaR) are exact, computed on a second pass over one variable at
  a time (critmat.sim.run.SimResult.summary): a variable at 1,000,000 runs x 30 materials is
  120 MB of float32.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["RunSink", "check_store"]

Arrays = dict[str, Any]


def outage_sums(aggs: Arrays) -> dict[str, npt.NDArray[np.float64]]:
    """Per material: runs with any sector outage (``outage_runs``) and outage months summed
    over sectors (``outage_total``); their means over runs give the outage probability and, as
    a ratio, the expected outage months of the runs with one (mergeable, no second pass)."""
    if "outage_months" not in aggs:
        return {}
    total = np.asarray(aggs["outage_months"]).sum(axis=2)
    return {
        "outage_runs": np.sum(total > 0, axis=0, dtype=np.float64),
        "outage_total": np.sum(total, axis=0, dtype=np.float64),
    }


def _is_zarr(path: Path) -> bool:
    return path.is_dir() and any((path / f).exists() for f in (".zgroup", "zarr.json"))


def check_store(path: Path) -> None:
    """Refuse, before any run, a store path that exists and is not a Zarr store (it would be
    replaced) or whose parent cannot be created.

    Raises
    ------
    ValueError
        With the path and the reason.
    """
    if path.exists() and not _is_zarr(path):
        raise ValueError(
            f"{path} exists and is not a Zarr store: remove it or choose another name "
            "(an existing store is replaced)"
        )
    if path.parent.exists() and not path.parent.is_dir():
        raise ValueError(f"{path.parent} is not a directory")


class RunSink:
    """Collects finished chunks of a simulation of ``runs`` runs (module docstring)."""

    def __init__(
        self,
        runs: int,
        store: Path | None = None,
        attrs: dict[str, Any] | None = None,
        coords: dict[str, Any] | None = None,
    ):
        """``attrs`` and ``coords`` (material, basis, sector, month) describe the store."""
        self.runs = runs
        #: chunks go to ``<store>.partial``, renamed to ``store`` once every run is written, so
        #: an interrupted run never leaves a half-written store under the final name
        self.final = store
        self.store = None if store is None else store.with_name(store.name + ".partial")
        self.attrs = attrs or {}
        self._sums: dict[int, dict[str, npt.NDArray[np.float64]]] = {}
        self._parts: dict[int, Arrays] = {}
        self._paths: dict[int, Arrays] = {}
        self._dims: dict[str, tuple[str, ...]] = {}
        self._coords = coords or {}
        self._root: Any = None  # the open Zarr group, once the skeleton is written

    def add(self, first: int, part: Arrays) -> None:
        """A finished chunk whose first run is ``first``: its sums, its runs, its kept paths."""
        aggs = {k: v for k, v in part.items() if not k.startswith("full_")}
        self._sums[first] = {k: np.sum(v, axis=0, dtype=np.float64) for k, v in aggs.items()}
        self._sums[first].update(outage_sums(aggs))
        paths = {k[5:]: v for k, v in part.items() if k.startswith("full_")}
        if paths:
            self._paths[first] = paths
        if self.store is None:
            self._parts[first] = aggs
            return
        if self._root is None:
            self._create(aggs)
        self._write(first, aggs)

    def means(self) -> dict[str, npt.NDArray[np.float64]]:
        """Mean over all runs of every aggregate (float64 sums added in run order)."""
        order = sorted(self._sums)
        keys = self._sums[order[0]]
        return {k: sum(self._sums[i][k] for i in order) / self.runs for k in keys}  # type: ignore[misc]

    def paths(self) -> dict[str, npt.NDArray[np.float32]]:
        order = sorted(self._paths)
        if not order:
            return {}
        keys = self._paths[order[0]]
        return {k: np.concatenate([self._paths[i][k] for i in order]) for k in keys}

    def aggregates(self) -> dict[str, Any]:
        """Per-run aggregates: NumPy arrays in memory, Zarr arrays (read on demand) on disk."""
        if self.store is None:
            order = sorted(self._parts)
            keys = self._parts[order[0]]
            out = {k: np.concatenate([self._parts[i][k] for i in order]) for k in keys}
            self._parts.clear()
            return {k: np.asarray(v, np.float32) for k, v in out.items()}
        import zarr

        root = zarr.open_group(str(self.store), mode="r")
        return {k: root[k] for k in self._dims}

    def finish(self, paths: dict[str, npt.NDArray[np.float32]]) -> None:
        """Write the kept paths and consolidate the store's metadata (on disk only)."""
        if self.store is None:
            return
        import xarray as xr
        import zarr

        if paths:
            n = next(iter(paths.values())).shape[0]
            xr.Dataset(
                {f"path_{k}": (("path", "material", "month"), v) for k, v in paths.items()},
                coords={"path": np.arange(n)},
            ).to_zarr(self.store, mode="a", consolidated=False, zarr_format=2)
        zarr.open_group(str(self.store), mode="r+").attrs.update(self.attrs)
        zarr.consolidate_metadata(str(self.store))
        assert self.final is not None
        if self.final.exists():
            check_store(self.final)
            shutil.rmtree(self.final)
        self.store.rename(self.final)
        self.store = self.final

    def discard(self) -> None:
        """Remove a partial store after a failure."""
        if self.store is not None and self.store != self.final and self.store.exists():
            shutil.rmtree(self.store, ignore_errors=True)

    def _create(self, aggs: Arrays) -> None:
        """The store's skeleton: every aggregate as an empty chunked array over all runs."""
        import dask.array as da
        import xarray as xr

        assert self.store is not None
        if self.store.exists():
            shutil.rmtree(self.store) if self.store.is_dir() else self.store.unlink()
        self.store.parent.mkdir(parents=True, exist_ok=True)
        chunk = max(next(iter(aggs.values())).shape[0], 1)
        data = {}
        for k, v in aggs.items():
            dims = ("run", "material", "sector")[: v.ndim]
            self._dims[k] = dims
            shape = (self.runs, *v.shape[1:])
            data[k] = (dims, da.zeros(shape, dtype=np.float32, chunks=(chunk, *v.shape[1:])))
        ds = xr.Dataset(data, coords={"run": np.arange(self.runs), **self._coords})
        ds.attrs.update(self.attrs)
        enc = {k: {"chunks": (chunk, *aggs[k].shape[1:]), "dtype": "float32"} for k in aggs}
        ds.to_zarr(
            self.store, mode="w", compute=False, encoding=enc, consolidated=False, zarr_format=2
        )
        import zarr

        self._root = zarr.open_group(str(self.store), mode="r+")

    def _write(self, first: int, aggs: Arrays) -> None:
        n = next(iter(aggs.values())).shape[0]
        for k, v in aggs.items():
            self._root[k][first : first + n] = np.asarray(v, np.float32)
