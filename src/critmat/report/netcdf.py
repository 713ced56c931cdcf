"""Tables as one netCDF file (xarray, the scipy netCDF-3 writer: no C library needed).

A table with a ``month`` column becomes an N-D cube over its key columns (e.g. the fan table:
``material x variable x month`` with ``p05/p50/p95``; columns that depend only on the other
keys, such as ``unit`` and ``basis``, become coordinates); any other table is stored row by row
along its own dimension ``<table>_row``. Variable names are ``<table>__<column>``; units stay in
their columns or coordinates, the run's notes in the global attributes.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["tables_to_netcdf"]

KEYS = ("material", "variable", "month")


def _clean(s: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(s):
        return s.astype("int8")
    if pd.api.types.is_numeric_dtype(s):
        return s.astype(float)
    return s.astype(object).where(s.notna(), "").astype(str)


def _cube(name: str, df: pd.DataFrame) -> Any | None:
    """The table as a cube over its keys, or None when its keys do not identify rows."""
    keys = [k for k in KEYS if k in df.columns]
    if "month" not in keys or df.duplicated(keys).any():
        return None
    outer = [k for k in keys if k != "month"]
    coords = {}
    for col in df.columns:
        if col in keys or pd.api.types.is_numeric_dtype(df[col]):
            continue
        per = df.groupby(outer)[col].nunique() if outer else pd.Series([df[col].nunique()])
        if (per > 1).any():
            return None  # a text column that varies with the month: not a cube
        coords[col] = df.groupby(outer)[col].first() if outer else None
    values = df[[c for c in df.columns if c in keys or pd.api.types.is_numeric_dtype(df[c])]]
    ds = values.set_index(keys).to_xarray()
    for col, ser in coords.items():
        if ser is not None:
            ds = ds.assign_coords({col: ser.to_xarray().fillna("").astype(str)})
    ds = ds.rename({k: f"{name}__{k}" for k in [*ds.data_vars, *ds.coords]})
    return ds


def tables_to_netcdf(tables: dict[str, pd.DataFrame], attrs: dict[str, str]) -> bytes:
    """One netCDF-3 file holding every table; ``attrs`` become global attributes."""
    import xarray as xr

    parts = []
    for name, df in tables.items():
        cube = _cube(name, df)
        if cube is None:
            dim = f"{name}_row"
            cube = xr.Dataset({f"{name}__{c}": ((dim,), _clean(df[c]).to_numpy()) for c in df})
        parts.append(cube)
    out = xr.merge(parts, compat="no_conflicts", join="outer") if parts else xr.Dataset()
    out.attrs = {k: str(v) for k, v in attrs.items()}
    return bytes(out.to_netcdf(engine="scipy"))
