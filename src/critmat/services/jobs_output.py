"""A finished job's result as a file: JSON, one table as CSV, an xlsx workbook (one sheet per
table, units in the headers, a README sheet) — the same writers as the CLI's ``--format`` — or
netCDF (the fan table as a material x variable x month cube; critmat.report.netcdf)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from critmat.errors import CritmatError
from critmat.report.netcdf import tables_to_netcdf
from critmat.report.xlsx import neutralise_formulas, write_workbook

__all__ = ["result_file"]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NETCDF = "application/x-netcdf"


def _tables(result: dict[str, Any]) -> dict[str, pd.DataFrame]:
    return {
        k: pd.DataFrame(v)
        for k, v in result.items()
        if isinstance(v, list) and v and isinstance(v[0], dict)
    }


def result_file(job: dict[str, Any], fmt: str, table: str | None) -> tuple[bytes, str, str]:
    """(body, media type, file name) of a job's result; refused unless the job is done."""
    if job["status"] != "done" or job["result"] is None:
        raise CritmatError(f"job {job['id']} is {job['status']}: no result yet")
    result = job["result"]
    if fmt == "json":
        return json.dumps(result, allow_nan=False).encode(), "application/json", ""
    tables = _tables(result)
    if fmt == "csv":
        key = table or next(iter(tables), "")
        if key not in tables:
            raise CritmatError(f"unknown table {key!r}; tables: {', '.join(tables)}")

        body = neutralise_formulas(tables[key]).to_csv(index=False).encode()
        return body, "text/csv", f"{job['kind']}-{job['id'][:8]}-{key}.csv"
    readme = {"job": job["id"], "kind": job["kind"], "user": job["user"],
              "created_at": job["created_at"]}  # fmt: skip
    readme |= {k: str(v) for k, v in (result.get("readme") or {}).items()}
    readme |= {f"note {i + 1}": str(n) for i, n in enumerate(result.get("notes") or [])}
    if fmt == "netcdf":
        body = tables_to_netcdf(tables, {k.replace(" ", "_"): v for k, v in readme.items()})
        return body, NETCDF, f"{job['kind']}-{job['id'][:8]}.nc"
    if fmt != "xlsx":
        raise CritmatError(f"unknown format {fmt!r}; formats: json, csv, xlsx, netcdf")

    with tempfile.TemporaryDirectory() as d:
        path = write_workbook(tables, Path(d) / "result.xlsx", readme)
        return path.read_bytes(), XLSX, f"{job['kind']}-{job['id'][:8]}.xlsx"
