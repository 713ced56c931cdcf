"""Report pages as HTML text (the pages the CLI writes, for the HTTP API to serve)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from critmat.data.dataset import Dataset
from critmat.services.assess import AssessRequest, run_assess, write_assess_report
from critmat.services.data import write_data_report

__all__ = ["assessment_html", "data_html"]


def assessment_html(ds: Dataset, holder: str, year: int) -> str:
    """The assessment page for a holder and year, computed now."""

    res = run_assess(ds, AssessRequest(holder=holder, year=year), details=True)
    with tempfile.TemporaryDirectory() as d:
        return write_assess_report(res, Path(d) / "assess.html").read_text(encoding="utf-8")


def data_html(ds: Dataset, material: str) -> str:
    """The data report with one material's supply and prices in detail."""

    mat = ds.resolve_material(material)
    with tempfile.TemporaryDirectory() as d:
        out = write_data_report(ds, str(Path(d) / "data.html"), material=mat)
        return Path(out).read_text(encoding="utf-8")
