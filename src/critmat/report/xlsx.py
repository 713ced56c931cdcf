"""Spreadsheet output: one workbook, one sheet per table, units in the header, a README sheet
with the provenance (openpyxl)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

__all__ = ["neutralise_formulas", "unit_of", "write_workbook"]

#: first characters a spreadsheet reads as the start of a formula
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """Text cells that a spreadsheet would run as a formula get a leading apostrophe (OWASP
    CSV injection); numbers are untouched. Every CSV and xlsx export of the CLI and the HTTP API
    passes through here, whatever the column's dtype (object, pandas' ``str`` or ``category``)."""
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if isinstance(s.dtype, pd.CategoricalDtype):
            s = s.astype(object)
        elif not (pd.api.types.is_object_dtype(s.dtype) or pd.api.types.is_string_dtype(s.dtype)):
            continue
        out[col] = s.map(_neutral_cell).astype(object)
    return out


def _neutral_cell(v: object) -> object:
    return "'" + v if isinstance(v, str) and v.startswith(FORMULA_START) else v


#: column-name endings -> unit (the most specific first)
_UNITS: tuple[tuple[str, str], ...] = (
    (r"^hhi_10000$", "index 0-10,000"),
    (r"^hhi", "index 0-1"),
    (r"_kusd$", "kUSD"),
    (
        r"^(import_reliance|eol_rir|share_in_restricting|share_controlled_by_restricting)$",
        "fraction",
    ),
    (r"_usd_m_per_yr$", "USD m/yr"),
    (r"_usd_per_t$", "USD per t of the basis"),
    (r"_usd_m$", "USD m"),
    (r"_usd$", "USD"),
    (r"(^|_)usd_per_t$", "USD per t of the basis"),
    (r"_t_per_yr$", "t/yr of the basis"),
    (r"(_t|^t)$", "t of the basis"),
    (r"(^|_)t_[a-z0-9_]+$", "t of the basis"),
    (r"_pct$", "%"),
    (r"share$", "fraction"),
    (r"^share_", "fraction"),  # share_runs_at_price_cap, share_months_at_price_cap
    (r"ratio$", "ratio"),
    (r"_to_price$", "x the price"),
    (r"months$", "months"),
    (r"_months_", "months"),
    (r"days(_of_cover)?$", "days"),
    (r"_years$", "years"),
    (r"_s$", "s"),
)


def unit_of(column: str) -> str:
    """The unit a column's name states (critmat names every output column with its unit)."""
    for pattern, unit in _UNITS:
        if re.search(pattern, column):
            return unit
    return ""


def _sheet_name(name: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", "_", name)[:31] or "sheet"
    out, k = base, 1
    while out in used:
        k += 1
        out = f"{base[:28]}_{k}"
    used.add(out)
    return out


def write_workbook(
    tables: Mapping[str, pd.DataFrame], out: str | Path, readme: Mapping[str, str]
) -> Path:
    """Write ``tables`` to ``out`` (.xlsx) atomically: a README sheet (key, value) first, then
    one sheet per table whose header cells read ``column [unit]``."""
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    used = {"README"}
    try:
        with pd.ExcelWriter(tmp, engine="openpyxl") as xw:
            neutralise_formulas(
                pd.DataFrame({"key": list(readme), "value": list(readme.values())})
            ).to_excel(xw, sheet_name="README", index=False)
            for name, df in tables.items():
                head = [f"{c} [{unit_of(str(c))}]" if unit_of(str(c)) else str(c) for c in df]
                frame = neutralise_formulas(df)
                frame.columns = head
                frame.to_excel(xw, sheet_name=_sheet_name(name, used), index=False)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
