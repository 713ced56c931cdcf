"""Table schemas of the reference dataset and the vectorised row validation against them.

Each table is described by a :class:`TableSpec` (a pydantic model): its columns with kind, whether a
value is required, allowed values or bounds, and the key columns that identify a row (used when a
user's overlay replaces shipped rows). :func:`validate_frame` checks a whole DataFrame at once and
returns one :class:`Issue` per bad cell, with the file, the 1-based line in that file, the column
and the reason, so a malformed user file can be refused precisely.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = [
    "SPECS",
    "STAGES",
    "STATUSES",
    "Column",
    "Issue",
    "TableSpec",
    "coerce_frame",
    "validate_frame",
]

from critmat.data.schemas_base import STAGES, STATUSES, Column, Issue, Kind, TableSpec
from critmat.data.schemas_basis import BASIS_SPECS
from critmat.data.schemas_forecast import FORECAST_SPECS
from critmat.data.schemas_io import IO_SPECS
from critmat.data.schemas_market import MARKET_SPECS


def _c(name: str, kind: Kind = "str", *, required: bool = True, **kw: object) -> Column:
    return Column(name=name, kind=kind, required=required, **kw)  # type: ignore[arg-type]


_SOURCE = (_c("source"), _c("status", choices=STATUSES))
_NOTES = _c("notes", required=False)


def _spec(name: str, description: str, key: tuple[str, ...], *cols: Column) -> TableSpec:
    return TableSpec(name=name, description=description, key=key, columns=cols)


SPECS: dict[str, TableSpec] = {
    s.name: s
    for s in (
        _spec(
            "materials",
            "Material catalogue: group, HS codes, end-of-life recycling input rate, storage class.",
            ("material",),
            _c("material"),
            _c("name"),
            _c("symbol"),
            _c("group"),
            _c("parent", required=False),
            _c("seed", "bool"),
            _c("reference_basis"),
            _c("hs_codes", required=False),
            _c("eol_rir", "float", required=False, minimum=0.0, maximum=1.0),
            _c("eol_rir_year", "int", required=False, minimum=1900.0, maximum=2100.0),
            _c("eol_rir_source", required=False),
            _c("eol_rir_status", required=False, choices=STATUSES | {""}),
            _c("storage_class", required=False),
            *_SOURCE,
            _NOTES,
        ),
        _spec(
            "countries",
            "ISO 3166-1 alpha-3 economies plus the aggregates WLD, ROW and OTH.",
            ("country",),
            _c("country"),
            _c("name"),
            _c("kind", choices=frozenset({"economy", "aggregate"})),
            *_SOURCE,
        ),
        _spec(
            "hs_codes",
            "HS six-digit headings per material.",
            ("hs6", "material"),
            _c("hs6"),
            _c("material"),
            _c("description", required=False),
            _c("in_trade_table", "bool"),
            *_SOURCE,
            _NOTES,
        ),
        _spec(
            "production",
            "Production by country, stage and year (mine, refinery), as published, with unit and "
            "chemical basis.",
            ("material", "stage", "country", "year", "dataset"),
            _c("material"),
            _c("stage", choices=STAGES),
            _c("country"),
            _c("year", "int", minimum=1900.0, maximum=2100.0),
            _c("value", "float", required=False, minimum=0.0),
            _c("unit"),
            _c("basis"),
            _c("dataset"),
            *_SOURCE,
            _c("flag", required=False),
            _NOTES,
        ),
        _spec(
            "supply_shares",
            "Share-only supply figures (no tonnage published) and derived element-level shares.",
            ("material", "stage", "country", "year", "dataset"),
            _c("material"),
            _c("stage", choices=STAGES),
            _c("country"),
            _c("year", "int", minimum=1900.0, maximum=2100.0),
            _c("share", "float", minimum=0.0, maximum=1.0),
            _c("share_bound", required=False, choices=frozenset({"", "lower", "upper"})),
            _c("dataset"),
            *_SOURCE,
            _NOTES,
        ),
        _spec(
            "trade",
            "Bilateral trade flows (CEPII BACI): value in thousand nominal USD, quantity in t.",
            ("year", "hs6", "exporter", "importer"),
            _c("year", "int", minimum=1900.0, maximum=2100.0),
            _c("hs6"),
            _c("material"),
            _c("exporter"),
            _c("importer"),
            _c("value_kusd", "float", minimum=0.0),
            _c("quantity_t", "float", required=False, minimum=0.0),
            *_SOURCE,
        ),
        _spec(
            "governance",
            "World Bank WGI Political Stability (PV) estimate per country and year.",
            ("country", "year", "indicator"),
            _c("country"),
            _c("year", "int", minimum=1900.0, maximum=2100.0),
            _c("indicator"),
            _c("value", "float", minimum=-3.5, maximum=3.5),
            _c("stderr", "float", required=False, minimum=0.0),
            _c("num_sources", "float", required=False, minimum=0.0),
            _c("percentile_rank", "float", required=False, minimum=0.0, maximum=100.0),
            _c("unit"),
            *_SOURCE,
        ),
        _spec(
            "prices",
            "Annual prices (nominal USD) per material and form; BACI unit values as a proxy.",
            ("material", "form", "market", "year", "edition"),
            _c("material"),
            _c("form"),
            _c("market"),
            _c("year", "int", minimum=1900.0, maximum=2100.0),
            _c("value", "float", required=False, minimum=0.0),
            _c("unit"),
            _c("basis"),
            _c("currency_basis", choices=frozenset({"nominal", "real"})),
            _c("edition"),
            *_SOURCE,
            _NOTES,
        ),
        _spec(
            "holders",
            "Stockpile holders: countries and blocs (members as ISO3 list).",
            ("holder",),
            _c("holder"),
            _c("name"),
            _c("kind", choices=frozenset({"country", "bloc"})),
            _c("members"),
            *_SOURCE,
        ),
        _spec(
            "holder_indicators",
            "Holder statistics: production, trade, apparent consumption, net import reliance.",
            ("holder", "material", "year", "indicator"),
            _c("holder"),
            _c("material"),
            _c("year", "int", minimum=1900.0, maximum=2100.0),
            _c("indicator"),
            _c("value", "float", required=False),
            _c("raw_value", required=False),
            _c("unit"),
            _c("basis", required=False),
            _c("flag", required=False),
            *_SOURCE,
            _NOTES,
        ),
        _spec(
            "import_sources",
            "Holder import sources: share of imports by partner country.",
            ("holder", "material", "import_category", "partner", "period"),
            _c("holder"),
            _c("material"),
            _c("import_category"),
            _c("partner"),
            _c("share", "float", minimum=0.0, maximum=1.0),
            _c("period"),
            *_SOURCE,
            _NOTES,
        ),
        _spec(
            "end_uses",
            "End-use shares per material, region (WLD or holder) and year.",
            ("material", "sector", "year", "region", "source"),
            _c("material"),
            _c("sector"),
            _c("parent_sector", required=False),
            _c("share", "float", minimum=0.0, maximum=1.0),
            _c("year", "int", minimum=1900.0, maximum=2100.0),
            _c("region"),
            *_SOURCE,
            _NOTES,
        ),
        _spec(
            "stockpile_policies",
            "Existing national stockpile programmes and targets.",
            ("holder", "programme", "metric"),
            _c("holder"),
            _c("programme"),
            _c("agency", required=False),
            _c("metric"),
            _c("value"),
            _c("days_target", "float", required=False, minimum=0.0),
            _c("scope", required=False),
            _c("year"),
            *_SOURCE,
            _NOTES,
        ),
        _spec(
            "nds_requirements",
            "US National Defense Stockpile 2013 requirements: base-case shortfalls (Table 10-1).",
            ("nds_material",),
            _c("nds_material"),
            _c("material", required=False),
            _c("unit"),
            _c("base_case_shortfall_units", "float", required=False, minimum=0.0),
            _c("base_case_shortfall_usd_m", "float", required=False, minimum=0.0),
            _c("shortfall_after_extra_buy_units", "float", required=False, minimum=0.0),
            _c("after_extra_buy_usd_m", "float", required=False, minimum=0.0),
            _c("reduction_units", "float", required=False, minimum=0.0),
            _c("reduction_usd_m", "float", required=False, minimum=0.0),
            *_SOURCE,
            _c("holder"),
            _c("year", "int", minimum=1900.0, maximum=2100.0),
            _NOTES,
            _c("basis", required=False),
        ),
        _spec(
            "intensities",
            "Material intensities of technologies (battery kg/kWh, PV, wind magnets).",
            ("technology", "material", "unit", "year"),
            _c("technology"),
            _c("material"),
            _c("value", "float", required=False, minimum=0.0),
            _c("value_low", "float", required=False, minimum=0.0),
            _c("value_high", "float", required=False, minimum=0.0),
            _c("unit"),
            _c("year", "int", minimum=1900.0, maximum=2100.0),
            *_SOURCE,
            _NOTES,
        ),
        _spec(
            "footprints",
            "Cradle-to-gate greenhouse-gas footprints, kg CO2e per kg.",
            ("material", "route"),
            _c("material"),
            _c("route"),
            _c("value", "float", minimum=0.0),
            _c("value_low", "float", required=False, minimum=0.0),
            _c("value_high", "float", required=False, minimum=0.0),
            _c("unit"),
            _c("year", "int", minimum=1900.0, maximum=2100.0),
            *_SOURCE,
            _NOTES,
        ),
        _spec(
            "events",
            "Historical supply disruptions: dates, actor, materials, stage, recorded moves.",
            ("event_id",),
            _c("event_id"),
            _c("parent_event", required=False),
            _c("materials"),
            _c("actor"),
            _c(
                "event_type",
                choices=frozenset(
                    {
                        "export_restriction",
                        "embargo",
                        "chokepoint",
                        "outage",
                        "demand_shock",
                        "withholding",
                        "market",
                        "sanctions_risk",
                    }
                ),
            ),
            _c("stage", choices=STAGES | {"trade"}),
            _c("start"),
            _c("end", required=False),
            _c("ongoing", "bool"),
            _c("metric", required=False),
            _c("value_before", required=False),
            _c("value_after", required=False),
            _c("change_pct", "float", required=False),
            _c("change_pct_text", required=False),
            _c("window_months", "float", required=False, minimum=0.0),
            _c("description", required=False),
            *_SOURCE,
            _NOTES,
        ),
        _spec(
            "control",
            "Share of a country's output controlled by firms headquartered in another country.",
            ("material", "stage", "country", "controller", "year"),
            _c("material"),
            _c("stage", choices=STAGES),
            _c("country"),
            _c("controller"),
            _c("share", "float", minimum=0.0, maximum=1.0),
            _c("share_bound", required=False, choices=frozenset({"", "lower", "upper"})),
            _c("year", "int", minimum=1900.0, maximum=2100.0),
            _c("basis"),
            *_SOURCE,
            _NOTES,
        ),
        _spec(
            "storage",
            "Storage properties per material and form (sensitivity, conditions, shelf life).",
            ("material", "form", "property"),
            _c("material"),
            _c("form"),
            _c("property"),
            _c("value"),
            _c("unit"),
            _c("year", "int", minimum=1900.0, maximum=2100.0),
            *_SOURCE,
            _NOTES,
        ),
    )
}


SPECS.update({s.name: s for s in BASIS_SPECS})
SPECS.update({s.name: s for s in FORECAST_SPECS})
SPECS.update({s.name: s for s in IO_SPECS})
SPECS.update({s.name: s for s in MARKET_SPECS})


def _is_missing(s: pd.Series) -> npt.NDArray[np.bool_]:
    if isinstance(s.dtype, pd.CategoricalDtype):  # look at the categories, not every cell
        empty = np.flatnonzero(np.asarray(s.cat.categories.astype(str).str.strip() == ""))
        codes = s.cat.codes.to_numpy()
        return np.asarray((codes == -1) | np.isin(codes, empty), dtype=bool)
    if s.dtype == object or pd.api.types.is_string_dtype(s):
        return np.asarray(s.isna() | (s.astype("string").str.strip() == ""), dtype=bool)
    return np.asarray(s.isna(), dtype=bool)


def coerce_frame(
    df: pd.DataFrame, spec: TableSpec, *, file: str = ""
) -> tuple[pd.DataFrame, list[Issue]]:
    """Check column names and coerce each column to its kind.

    Returns the coerced frame (columns in spec order) and the issues found: missing or unknown
    columns, and cells that cannot be read as their kind. Lines are 1-based file lines (line 1 is
    the CSV header, so data row ``i`` is line ``i + 2``).
    """
    issues: list[Issue] = []
    missing = [c.name for c in spec.columns if c.name not in df.columns and c.required]
    unknown = [c for c in df.columns if c not in spec.names]
    for name in missing:
        issues.append(
            Issue(
                check="schema",
                table=spec.name,
                file=file,
                line=1,
                column=name,
                message=f"required column is missing (expected columns: {', '.join(spec.names)})",
            )
        )
    for name in unknown:
        issues.append(
            Issue(
                check="schema",
                table=spec.name,
                file=file,
                line=1,
                column=str(name),
                message=f"unknown column (expected columns: {', '.join(spec.names)})",
            )
        )
    if issues:
        return df, issues
    out: dict[str, pd.Series] = {}
    for col in spec.columns:
        if col.name not in df.columns:
            out[col.name] = pd.Series([None] * len(df), index=df.index, dtype="object")
            continue
        s = df[col.name]
        if col.kind in ("float", "int"):
            num = pd.to_numeric(s, errors="coerce")
            bad = num.isna().to_numpy() & ~_is_missing(s)
            if col.kind == "int":
                frac = num.notna().to_numpy() & (np.asarray(num.fillna(0) % 1) != 0)
                bad = bad | frac
            issues.extend(_cell_issues(spec, file, col, bad, s, f"not a {col.kind} number"))
            out[col.name] = num.astype("float64") if col.kind == "float" else num
        elif col.kind == "bool":
            text = s.astype("string").str.strip().str.lower()
            mapped = text.map({"true": True, "false": False, "1": True, "0": False})
            bad = mapped.isna().to_numpy() & ~_is_missing(s)
            issues.extend(_cell_issues(spec, file, col, bad, s, "not a boolean (true/false)"))
            out[col.name] = mapped.astype("boolean")
        else:
            if isinstance(s.dtype, pd.CategoricalDtype):
                out[col.name] = s
            else:  # plain Python strings: pandas' Arrow-backed text costs ~50 us per operation
                # on the small per-material frames the risk and market builders slice
                out[col.name] = s.astype("string").fillna("").astype(object)
    return pd.DataFrame(out, index=df.index), issues


def _cell_issues(
    spec: TableSpec,
    file: str,
    col: Column,
    bad: npt.NDArray[np.bool_],
    values: pd.Series,
    reason: str,
) -> list[Issue]:
    idx = np.flatnonzero(bad)
    return [
        Issue(
            check="schema",
            table=spec.name,
            file=file,
            line=int(i) + 2,
            column=col.name,
            message=f"{reason}: {values.iloc[int(i)]!r}",
        )
        for i in idx[:50]
    ]


def validate_frame(df: pd.DataFrame, spec: TableSpec, *, file: str = "") -> list[Issue]:
    """Check a coerced frame: required values, allowed values, bounds and duplicate keys."""
    issues: list[Issue] = []
    for col in spec.columns:
        s = df[col.name]
        missing = _is_missing(s)
        if col.required and missing.any():
            issues.extend(_cell_issues(spec, file, col, missing, s, "a value is required"))
        if col.choices is not None:
            bad = ~np.asarray(s.isin(col.choices)) & ~missing
            allowed = ", ".join(sorted(x for x in col.choices if x))
            issues.extend(_cell_issues(spec, file, col, bad, s, f"not one of: {allowed}"))
        if col.kind in ("float", "int") and (col.minimum is not None or col.maximum is not None):
            v = pd.to_numeric(s, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
            with np.errstate(invalid="ignore"):
                bad = np.zeros(len(v), dtype=bool)
                if col.minimum is not None:
                    bad |= v < col.minimum
                if col.maximum is not None:
                    bad |= v > col.maximum
            bounds = f"[{col.minimum}, {col.maximum}]"
            issues.extend(_cell_issues(spec, file, col, bad, s, f"outside the range {bounds}"))
    dup = df.duplicated(subset=list(spec.key), keep="first").to_numpy()
    if dup.any():
        issues.extend(
            Issue(
                check="schema",
                table=spec.name,
                file=file,
                line=int(i) + 2,
                column="+".join(spec.key),
                message="duplicate key: another row has the same "
                + ", ".join(f"{k}={df[k].iloc[int(i)]!r}" for k in spec.key),
            )
            for i in np.flatnonzero(dup)[:50]
        )
    return issues
