"""One consistency pass over the dataset (``critmat data check [--strict]``).

Checks, each reported with how many groups or rows it looked at:

``schema``      every table matches its schema (kinds, required values, allowed values, keys).
``totals``      country rows add up to the published world total within the rounding the printed
                total allows: ``|sum - W| <= max(1% of W, half a unit of W's last printed digit)``
                (USGS prints world totals rounded, e.g. 110,000 may stand for 105,000-115,000);
                IEA totals are exact sums, so 0.5% there.
``shares``      shares lie in [0, 1] and sum to at most 1 per material, stage,
                year and source; end-use shares per material, region, year and source (top-level
                sectors only); import shares per holder, material, category and period. The sum
                may exceed 1 by the rounding of its rows: 0.005 per row (published shares are
                whole percents, each up to half a percentage point off).
``units``       every unit is known to :mod:`critmat.data.units`; prices are CURRENCY/MASS.
``references``  materials, countries and holders named in any table exist.
``provenance``  every row has a source and a status; ``derived`` rows say how (notes); a missing
                production value carries a flag (withheld, not available) - a warning otherwise.

Warnings become errors with ``strict=True``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from critmat.data.countries import AGGREGATES
from critmat.data.dataset import Dataset
from critmat.data.loader import DatasetError
from critmat.data.references import COUNTRY_COLUMNS, HOLDER_COLUMNS, MATERIAL_TABLES, UNIT_TABLES
from critmat.data.schemas import SPECS, Issue
from critmat.data.units import MASS_UNITS, UnitError, is_known_unit, price_unit_parts

__all__ = ["CheckReport", "run_checks", "world_total_tolerance"]

SHARE_TOLERANCE = 0.005


@dataclass
class CheckReport:
    """Outcome of a consistency pass."""

    strict: bool
    issues: list[Issue] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error" or self.strict]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "strict": self.strict,
            "checked": self.counts,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "issues": [i.model_dump() for i in self.issues],
        }


def world_total_tolerance(world: float, dataset: str) -> float:
    """Allowed |sum of countries - world total| for a printed world total.

    USGS prints rounded totals; a total printed as ``W`` with ``z`` trailing zeros stands for any
    value within half a unit of its last printed digit, ``0.5 * 10**z``. The tolerance is the larger
    of that and 1% of W. Exact totals (IEA) allow 0.5% for the rounding of country rows.
    """
    if not dataset.startswith("usgs"):
        return 0.005 * abs(world)
    w = round(abs(world))
    zeros = 0
    while w and w % 10 == 0:
        w //= 10
        zeros += 1
    return float(max(0.01 * abs(world), 0.5 * 10**zeros))


def _issue(check: str, table: str, message: str, severity: str = "error", **kw: object) -> Issue:
    return Issue(check=check, table=table, message=message, severity=severity, **kw)  # type: ignore[arg-type]


def _check_totals(ds: Dataset, rep: CheckReport) -> None:
    p = ds.production
    n = 0
    for (mat, stage, dset, year), g in p.groupby(["material", "stage", "dataset", "year"]):
        world = g.loc[g["country"] == "WLD", "value"]
        if world.empty or not np.isfinite(world.iloc[0]):
            continue
        n += 1
        w = float(world.iloc[0])
        total = float(g.loc[g["country"] != "WLD", "value"].fillna(0.0).sum())
        tol = world_total_tolerance(w, str(dset))
        if abs(total - w) > tol:
            rep.issues.append(
                _issue(
                    "totals",
                    "production",
                    f"{mat} {stage} {year} ({dset}): countries sum to {total:,.6g} "
                    f"{g['unit'].iloc[0]} but the world total is {w:,.6g} "
                    f"(difference {total - w:+,.6g}, allowed ±{tol:,.6g})",
                )
            )
    rep.counts["totals"] = n


def _share_groups(
    rep: CheckReport, table: str, df: pd.DataFrame, by: list[str], col: str = "share"
) -> int:
    n = 0
    for key, g in df.groupby(by, dropna=False):
        n += 1
        s = float(g[col].sum())
        if s > 1.0 + SHARE_TOLERANCE * len(g):
            label = ", ".join(f"{k}={v}" for k, v in zip(by, key, strict=True))
            rep.issues.append(_issue("shares", table, f"shares sum to {s:.4f} > 1 for {label}"))
    return n


def _check_shares(ds: Dataset, rep: CheckReport) -> None:
    n = 0
    ss = ds.supply_shares
    n += _share_groups(rep, "supply_shares", ss, ["material", "stage", "year", "dataset"])
    eu = ds.end_uses
    top = eu[eu["parent_sector"] == ""]
    n += _share_groups(rep, "end_uses", top, ["material", "region", "year", "source"])
    for (mat, reg, yr, src), g in eu[eu["parent_sector"] != ""].groupby(
        ["material", "region", "year", "source"]
    ):
        n += 1
        for parent, sub in g.groupby("parent_sector"):
            ptot = top[(top["material"] == mat) & (top["region"] == reg) & (top["year"] == yr)]
            pshare = ptot.loc[ptot["sector"] == parent, "share"]
            if len(pshare) and float(sub["share"].sum()) > float(pshare.iloc[0]) + SHARE_TOLERANCE:
                rep.issues.append(
                    _issue(
                        "shares",
                        "end_uses",
                        f"{mat} {reg} {yr}: sub-sectors of '{parent}' sum to "
                        f"{float(sub['share'].sum()):.3f} > {float(pshare.iloc[0]):.3f} ({src})",
                    )
                )
    ctrl = ds.control
    n += _share_groups(rep, "control", ctrl, ["material", "stage", "country", "year"])
    imp = ds.import_sources
    n += _share_groups(
        rep, "import_sources", imp, ["holder", "material", "import_category", "period"]
    )
    # production-derived shares: a negative or missing world total makes shares meaningless
    p = ds.production
    neg = p[p["value"] < 0]
    for i in neg.index[:20]:
        rep.issues.append(_issue("shares", "production", f"negative production in row {i}"))
    rep.counts["shares"] = n


def _check_units(ds: Dataset, rep: CheckReport) -> None:
    n = 0
    for table in UNIT_TABLES:
        units = ds.table(table)["unit"].astype(str)
        for u in sorted(set(units)):
            n += 1
            if not is_known_unit(u):
                rep.issues.append(
                    _issue("units", table, f"unknown unit {u!r} in {int((units == u).sum())} rows")
                )
    for u in sorted(set(ds.production["unit"].astype(str))):
        if u not in MASS_UNITS:
            rep.issues.append(_issue("units", "production", f"production unit {u!r} is not a mass"))
    for u in sorted(set(ds.prices["unit"].astype(str))):
        try:
            price_unit_parts(u)
        except UnitError as exc:
            rep.issues.append(_issue("units", "prices", str(exc)))
    rep.counts["units"] = n


def _check_references(ds: Dataset, rep: CheckReport) -> None:
    mats = set(ds.materials["material"])
    countries = set(ds.countries["country"])
    holders = set(ds.holders["holder"])
    n = 0

    def expect(table: str, column: str, values: pd.Series, valid: set[str], kind: str) -> None:
        nonlocal n
        vals = values.astype(str)
        n += len(vals)
        bad = sorted(set(vals) - valid - {""})
        for b in bad[:20]:
            rep.issues.append(
                _issue(
                    "references",
                    table,
                    f"unknown {kind} {b!r} in column '{column}' ({int((vals == b).sum())} rows)",
                    column=column,
                )
            )

    for t in MATERIAL_TABLES:
        expect(t, "material", ds.table(t)["material"], mats, "material")
    ev = ds.events["materials"].str.split(";").explode()
    expect("events", "materials", ev, mats, "material")
    mr = ds.table("market_response")
    expect("market_response", "material", mr["material"], mats | {"default"}, "material")
    expect("market_response", "country", mr["country"].dropna(), countries, "country")
    for t, cols in COUNTRY_COLUMNS.items():
        for c in cols:
            expect(t, c, ds.table(t)[c], countries, "country")
    members = ds.holders["members"].str.split(";").explode()
    expect("holders", "members", members, countries - AGGREGATES, "country")
    for t, cols in HOLDER_COLUMNS.items():
        for c in cols:
            expect(t, c, ds.table(t)[c], holders, "holder")
    expect("end_uses", "region", ds.end_uses["region"], holders | {"WLD"}, "region")
    rep.counts["references"] = n


def _check_provenance(ds: Dataset, rep: CheckReport) -> None:
    n = 0
    for name in SPECS:
        df = ds.table(name)
        n += len(df)
        if "status" in df.columns and "notes" in df.columns:
            derived = df[(df["status"] == "derived") & (df["notes"].astype(str).str.strip() == "")]
            if len(derived):
                rep.issues.append(
                    _issue(
                        "provenance",
                        name,
                        f"{len(derived)} derived rows without notes saying how they were derived",
                        severity="warning",
                    )
                )
    p = ds.production
    silent = p[p["value"].isna() & (p["flag"].astype(str).str.strip() == "")]
    if len(silent):
        rep.issues.append(
            _issue(
                "provenance",
                "production",
                f"{len(silent)} rows have no value and no flag saying why (withheld, n/a)",
                severity="warning",
            )
        )
    rep.counts["provenance"] = n


def run_checks(ds: Dataset, *, strict: bool = False) -> CheckReport:
    """Run every check over ``ds``; with ``strict`` warnings count as errors."""
    rep = CheckReport(strict=strict)
    try:
        for name in SPECS:
            ds.table(name)
        rep.counts["schema"] = sum(len(ds.table(n)) for n in SPECS)
    except DatasetError as exc:
        rep.issues.extend(exc.issues or [_issue("schema", "", str(exc))])
        rep.counts["schema"] = 0
        return rep
    _check_totals(ds, rep)
    _check_shares(ds, rep)
    _check_units(ds, rep)
    _check_references(ds, rep)
    _check_provenance(ds, rep)
    return rep
