"""Assess: criticality and supply risk for a holder and year (docs/methods.md 5)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict

from critmat.data.dataset import Dataset

__all__ = ["AssessRequest", "AssessResult", "run_assess", "write_assess_report"]


class AssessRequest(BaseModel):
    """What to assess."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    holder: str
    year: int
    methods: list[str] | None = None  # eu-crm, usgs, geopolrisk (default: all)
    materials: list[str] | None = None
    sources: Literal["auto", "usgs", "wmd", "all"] = "auto"
    inputs: Path | None = None
    eu_shares: Literal["auto", "eu2023", "dataset"] = "auto"


@dataclass
class AssessResult:
    """The tidy assessment table and what its page shows beside it."""

    holder: str
    year: int
    table: pd.DataFrame
    trend: pd.DataFrame = field(default_factory=pd.DataFrame)
    sourcing: dict[str, pd.DataFrame] = field(default_factory=dict)
    ei_threshold: float = 2.8
    sr_threshold: float = 1.0

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table of the result, by sheet name (for csv/json/xlsx output)."""
        out = {"assessment": self.table}
        if not self.trend.empty:
            out["hhi_trend"] = self.trend
        if self.sourcing:
            out["import_sourcing"] = pd.concat(
                [m.assign(material=k) for k, m in self.sourcing.items()], ignore_index=True
            )
        return out


def run_assess(ds: Dataset, req: AssessRequest, *, details: bool = False) -> AssessResult:
    """Run the assessment; with ``details``, also the concentration trend and import sourcing
    the HTML page shows."""
    from critmat.risk.assess import METHODS, assess, sourcing_mix
    from critmat.risk.indices import EI_THRESHOLD, SR_THRESHOLD
    from critmat.risk.inputs import load_inputs
    from critmat.services.context import resolve

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
    )
    res = AssessResult(
        r.holder, r.year, table, ei_threshold=EI_THRESHOLD, sr_threshold=SR_THRESHOLD
    )
    if details:
        from critmat.risk.trend import hhi_trend

        mats = list(dict.fromkeys(table["material"]))
        res.trend = hhi_trend(ds, mats)
        for mat in mats:
            mix = sourcing_mix(ds, r.holder, r.year, mat)
            if not mix.empty:
                res.sourcing[mat] = mix
    return res


def write_assess_report(result: AssessResult, out: str | Path) -> Path:
    """The assessment page (critmat.report.assess_report renders the result)."""
    from critmat.report.assess_report import write_assess_report as write

    return write(result, out)
