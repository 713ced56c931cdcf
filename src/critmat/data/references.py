"""What the dataset's tables refer to, and the row-level checks a user's overlay file passes
before anything is loaded from it.

The consistency pass (:mod:`critmat.data.checks`) runs the same reference and unit checks over
the whole loaded dataset; here they run on one overlay file, row by row, so a refusal names the
file, the line, the column and the reason (docs/data.md, "Overlays").
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

import numpy as np
import pandas as pd

from critmat.data.schemas_base import Issue, TableSpec
from critmat.data.units import is_known_unit

__all__ = [
    "COUNTRY_COLUMNS",
    "HOLDER_COLUMNS",
    "MATERIAL_TABLES",
    "MAX_ABS_VALUE",
    "UNIT_TABLES",
    "overlay_issues",
]

#: tables whose ``unit`` column must name a unit of critmat.data.units
UNIT_TABLES: Final = (
    "production",
    "holder_indicators",
    "intensities",
    "footprints",
    "prices",
    "governance",
    "nds_requirements",
)
#: tables whose ``material`` column names a catalogue material
MATERIAL_TABLES: Final = (
    "production",
    "supply_shares",
    "prices",
    "end_uses",
    "holder_indicators",
    "import_sources",
    "control",
    "storage",
    "trade",
    "hs_codes",
    "content_factors",
    "element_shares",
    "eu_crm_inputs",
    "eu_crm_shares",
    "eu_end_uses",
    "elasticity_estimates",
    "material_industries",
    "event_prices",
)
#: table -> its columns naming a country (ISO 3166 alpha-3 or an aggregate such as WLD)
COUNTRY_COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "production": ("country",),
    "supply_shares": ("country",),
    "trade": ("exporter", "importer"),
    "governance": ("country",),
    "control": ("country", "controller"),
    "import_sources": ("partner",),
    "eu_crm_shares": ("country",),
}
#: table -> its columns naming a holder
HOLDER_COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "holder_indicators": ("holder",),
    "import_sources": ("holder",),
}
#: the largest magnitude any number in a table may have: above every tonnage, price (USD per t)
#: and trade value (USD) in the dataset by orders of magnitude; a larger one is a typo or an
#: attack on the float arithmetic downstream
MAX_ABS_VALUE: Final = 1e15


def overlay_issues(
    frame: pd.DataFrame,
    spec: TableSpec,
    file: str,
    *,
    materials: Iterable[str],
    countries: Iterable[str],
    holders: Iterable[str],
    line_offset: int = 2,
) -> list[Issue]:
    """Row-level problems of one overlay file: numbers not finite or beyond
    :data:`MAX_ABS_VALUE`, unknown units, materials, countries and holders.

    ``line_offset`` turns a row index into the line a person sees (2 for a CSV file with its
    header, 1 for Parquet rows)."""

    issues: list[Issue] = []

    def add(rows: np.ndarray, column: str, why: str) -> None:
        for i in rows[:20]:
            v = frame[column].iloc[int(i)]
            value = f"{float(v):g}" if isinstance(v, int | float | np.number) else repr(str(v))
            issues.append(
                Issue(
                    check="overlay",
                    table=spec.name,
                    file=file,
                    line=int(i) + line_offset,
                    column=column,
                    message=f"{value}: {why}",
                )
            )

    for col in spec.columns:
        if col.kind in ("float", "int") and col.name in frame:
            x = pd.to_numeric(frame[col.name], errors="coerce").to_numpy(float)
            add(np.flatnonzero(np.isinf(x)), col.name, "not a finite number")
            big = np.flatnonzero(np.isfinite(x) & (np.abs(x) > MAX_ABS_VALUE))
            add(big, col.name, f"out of range (at most {MAX_ABS_VALUE:g} in absolute value)")

    def unknown(column: str, valid: set[str], kind: str, split: bool = False) -> None:
        if column not in frame:
            return
        vals = frame[column].astype(str).where(frame[column].notna(), "")
        if split:
            bad = [i for i, v in enumerate(vals) if set(filter(None, v.split(";"))) - valid]
        else:
            bad = [i for i, v in enumerate(vals) if v and v not in valid]
        add(np.asarray(bad, np.int64), column, f"unknown {kind}")

    if spec.name in UNIT_TABLES and "unit" in frame:
        units = frame["unit"].astype(str)
        add(np.flatnonzero(~units.map(is_known_unit).to_numpy(bool)), "unit", "unknown unit")
    mats = set(materials)
    if spec.name in MATERIAL_TABLES:
        unknown("material", mats, "material (use a critmat material id)")
    if spec.name == "events":
        unknown("materials", mats, "material (use critmat material ids, ';'-separated)", True)
    if spec.name == "market_response":  # 'default': every material without its own row
        unknown("material", mats | {"default"}, "material (a critmat material id or 'default')")
        unknown("country", set(countries), "country (use an ISO 3166 alpha-3 code)")
    for column in COUNTRY_COLUMNS.get(spec.name, ()):
        unknown(column, set(countries), "country (use an ISO 3166 alpha-3 code)")
    for column in HOLDER_COLUMNS.get(spec.name, ()):
        unknown(column, set(holders), "holder")
    return issues
