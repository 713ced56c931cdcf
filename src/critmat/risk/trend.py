"""Concentration over time: HHI per material and year from one production source."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from critmat.data.dataset import Dataset
from critmat.data.views import supply_by_country
from critmat.risk.concentration import hhi_of_supply

__all__ = ["hhi_trend"]


def hhi_trend(
    ds: Dataset, materials: Iterable[str], stage: str = "mining", dataset: str = "wmd2026"
) -> pd.DataFrame:
    """HHI (fraction scale, lower bound) per material and year, with the top country.

    Materials or years without data in ``dataset`` at ``stage`` are skipped.
    """
    p = ds.production
    rows = []
    for mat in materials:
        sel = p[(p["material"] == mat) & (p["stage"] == stage) & (p["dataset"] == dataset)]
        for year in sorted({int(y) for y in sel["year"]}):
            t = supply_by_country(ds, mat, stage, year, dataset)
            top = t.rows.iloc[0]
            rows.append(
                {
                    "material": mat,
                    "stage": stage,
                    "year": year,
                    "dataset": dataset,
                    "hhi": hhi_of_supply(t.rows),
                    "top1_country": top["country"],
                    "top1_share": float(top["share"]),
                }
            )
    return pd.DataFrame(rows)
