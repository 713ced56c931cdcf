"""Assess: criticality and supply risk for a holder and year (docs/methods.md 5)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from critmat.data.dataset import Dataset
from critmat.report.assess_report import write_assess_report as write
from critmat.risk.assess import METHODS, assess, sourcing_mix
from critmat.risk.indices import EI_THRESHOLD, SR_THRESHOLD
from critmat.risk.inputs import load_inputs
from critmat.risk.trend import hhi_trend
from critmat.services.context import resolve
from critmat.usecases.outcome import Outcome
from critmat.usecases.pages import AssessResult
from critmat.usecases.requests import AssessRequest

__all__ = [
    "AssessRequest",
    "AssessResult",
    "risk_terms",
    "run_assess",
    "write_assess_report",
]


def run_assess(ds: Dataset, req: AssessRequest, *, details: bool = False) -> AssessResult:
    """Run the assessment; with ``details``, also the concentration trend and import sourcing
    the HTML page shows."""

    r = resolve(ds, holder=req.holder, year=req.year)
    assert r.holder is not None and r.year is not None
    table = assess(
        ds,
        r.holder,
        r.year,
        methods=list(req.methods) if req.methods else list(METHODS),
        materials=req.materials,
        sources=req.sources,
        inputs=load_inputs(req.inputs),
        eu_shares=req.eu_shares,
        gpr_basis=req.gpr_basis,
    )
    res = AssessResult(
        r.holder, r.year, table, ei_threshold=EI_THRESHOLD, sr_threshold=SR_THRESHOLD
    )
    if details:
        mats = list(dict.fromkeys(table["material"]))
        res.trend = hhi_trend(ds, mats)
        for mat in mats:
            mix = sourcing_mix(ds, r.holder, r.year, mat)
            if not mix.empty:
                res.sourcing[mat] = mix
    return res


def write_assess_report(result: AssessResult, out: str | Path) -> Path:
    """The assessment page (critmat.report.assess_report renders the result)."""

    return write(result, out)


#: The terms each method's score is built from, and the column naming each term's source.
RISK_TERMS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "eu-crm": (
        ("sr", "supply risk SR (EC 2023)", "source"),
        ("ei", "economic importance EI (EC 2023)", "ei_source"),
        ("hhi_wgi", "HHI x WGI of supply (fraction)", "source"),
        ("ir_used", "import reliance IR (fraction)", "ir_source"),
        ("eol_rir", "end-of-life recycling input rate (fraction)", "eol_rir_source"),
        ("si_sr", "substitution index SI_SR", "si_source"),
        ("si_ei", "substitution index SI_EI", "si_source"),
    ),
    "usgs": (
        ("dp", "disruption potential DP (USGS 2025)", "source"),
        ("te", "trade exposure TE", "ir_source"),
        ("ev", "economic vulnerability EV", "source"),
    ),
    "geopolrisk": (
        ("hhi", "HHI of supply (fraction)", "source"),
        ("wta", "weighted trade accessibility WTA", "sourcing_source"),
        ("midpoint", "GeoPolRisk midpoint (Santillan-Saldivar 2022)", "sourcing_source"),
    ),
}


#: a term whose value may be a documented default: its marker in the row's ``defaults``
DEFAULT_MARKERS = {"ev": "EV=", "si_sr": "SI=", "si_ei": "SI="}


def _term_source(row: pd.Series, col: str, src: str) -> str:
    """Where a term's value comes from: its own source column, or "default: ..." where the
    value is a documented default (the row's ``defaults`` names it)."""
    marker = DEFAULT_MARKERS.get(col)
    defaults = [d.strip() for d in str(row.get("defaults", "") or "").split(";")]
    used = [d for d in defaults if marker and d.startswith(marker)]
    if used:
        return f"default: {used[0]}"
    value = row.get(src, "")
    return str(value) if isinstance(value, str) and value else "not recorded"


def risk_terms(result: AssessResult, material: str) -> pd.DataFrame:
    """The terms behind a material's scores (tidy: method, stage, term, value, source), or its
    rows marked ``not assessed`` with the reason. Values are the assessment's own columns."""
    t = result.table[result.table["material"] == material]
    rows = []
    for _, r in t.iterrows():
        if r.get("assessment") != "assessed":
            rows.append({"method": r["method"], "stage": r["stage"], "term": "not assessed",
                         "value": None, "source": str(r.get("notes", ""))})  # fmt: skip
            continue
        for col, label, src in RISK_TERMS.get(str(r["method"]), ()):
            v = r.get(col)
            if v is None or pd.isna(v):
                continue
            rows.append({"method": r["method"], "stage": r["stage"], "term": label,
                         "value": float(v), "source": _term_source(r, col, src)})  # fmt: skip
    return pd.DataFrame(rows, columns=["method", "stage", "term", "value", "source"])


def assess_result(ds: Dataset, res: AssessResult) -> Outcome:
    """An assessment as every face shows it (critmat.usecases): the tidy table (and the
    concentration trend and import sourcing when the page's details were computed)."""
    readme = {
        "dataset": "critmat shipped dataset" + (" + overlay" if ds.overlays else ""),
        "units": "quantities in t of each material's basis; shares as fractions; scores "
        "dimensionless (docs/methods.md 5)",
        "provenance": "every row carries source, data_year and status columns",
    }
    return Outcome(tables=res.tables(), readme=readme,
                   fields={"holder": res.holder, "year": res.year}, main="assessment")  # fmt: skip


def assess_outcome(
    ds: Dataset, req: AssessRequest, progress: Callable[[int], None] | None = None
) -> Outcome:
    """The registry's runner."""
    return assess_result(ds, run_assess(ds, req))
