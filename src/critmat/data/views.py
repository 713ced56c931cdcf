"""Read-only views over the dataset that the CLI, the report and later stages share.

:func:`supply_by_country` answers "who supplies material M at stage S in year Y, according to
source D": production rows where tonnages are published, share-only rows otherwise.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import pandas as pd

from critmat.data.countries import AGGREGATES
from critmat.data.dataset import Dataset, UnknownChoiceError

__all__ = ["DATASET_PRIORITY", "SupplyTable", "available_supply", "supply_by_country"]

#: Which source to show first when several cover the same material, stage and year.
DATASET_PRIORITY: tuple[str, ...] = (
    "usgs_mcs2026",
    "iea2025",
    "usgs_mcs2025",
    "wmd2026",
    "eu_crm2020",
    "derived_ree_split",
    "derived_ree_split_wmd",
)


@dataclass
class SupplyTable:
    """Supply by country for one material, stage, year and source."""

    material: str
    stage: str
    year: int
    dataset: str
    unit: str
    basis: str
    world_total: float | None
    rows: pd.DataFrame
    share_only: bool
    alternatives: dict[str, list[int]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form (documented in docs/data.md, "JSON output")."""
        rows = self.rows.astype(object).where(self.rows.notna(), None)
        return {
            "material": self.material,
            "stage": self.stage,
            "year": self.year,
            "dataset": self.dataset,
            "unit": self.unit,
            "basis": self.basis,
            "world_total": self.world_total,
            "share_only": self.share_only,
            "alternatives": self.alternatives,
            "rows": rows.to_dict(orient="records"),
        }


def _rank(dataset: str) -> int:
    return DATASET_PRIORITY.index(dataset) if dataset in DATASET_PRIORITY else len(DATASET_PRIORITY)


def available_supply(ds: Dataset, material: str) -> pd.DataFrame:
    """Stages, sources and years with supply data for a material (one row per combination)."""
    return ds.derived(("available_supply", material), lambda: _available(ds, material)).copy()


def _available(ds: Dataset, material: str) -> pd.DataFrame:
    p = ds.rows_of("production", material)
    p = p[p["country"] != "WLD"]
    s = ds.rows_of("supply_shares", material)
    both = pd.concat(
        [
            p[["stage", "dataset", "year"]].assign(kind="tonnage"),
            s[["stage", "dataset", "year"]].assign(kind="share"),
        ]
    )
    return both.drop_duplicates().sort_values(["stage", "dataset", "year"]).reset_index(drop=True)


def supply_by_country(
    ds: Dataset,
    material: str,
    stage: str | None = None,
    year: int | None = None,
    dataset: str | None = None,
) -> SupplyTable:
    """Supply by country with shares.

    Shares are of the sum of the country rows (``Other``/``Rest of world`` rows included), so
    they add up to 1; the published world total is reported beside them. Defaults: the stage
    with data in the order mining, refining, global_supply; the latest year; the first source
    in :data:`DATASET_PRIORITY` covering that year.

    Raises
    ------
    UnknownChoiceError
        For a material, stage, year or source without data, listing the valid choices.
    """
    key = ("supply_by_country", material, stage, year, dataset)
    t = ds.derived(key, lambda: _supply_by_country(ds, material, stage, year, dataset))
    return dataclasses.replace(t, rows=t.rows.copy(), alternatives=dict(t.alternatives))


def _supply_by_country(
    ds: Dataset, material: str, stage: str | None, year: int | None, dataset: str | None
) -> SupplyTable:
    mat = ds.resolve_material(material)
    avail = available_supply(ds, mat)
    if avail.empty:
        raise UnknownChoiceError(
            f"material with supply data (none for {mat})",
            material,
            sorted(set(ds.production["material"]) | set(ds.supply_shares["material"])),
        )
    stages = [
        s
        for s in ("mining", "refining", "manufacturing", "global_supply")
        if s in set(avail["stage"])
    ]
    if stage is None:
        stage = stages[0]
    elif stage not in stages:
        raise UnknownChoiceError(f"stage for {mat}", stage, stages)
    av = avail[avail["stage"] == stage]
    if dataset is not None:
        if dataset not in set(av["dataset"]):
            raise UnknownChoiceError(
                f"source for {mat} {stage}", dataset, sorted(set(av["dataset"]))
            )
        av = av[av["dataset"] == dataset]
    years = sorted({int(y) for y in av["year"]})
    if year is None:
        year = years[-1]
    elif year not in years:
        raise UnknownChoiceError(f"year for {mat} {stage}", year, years)
    cands = sorted(set(av.loc[av["year"] == year, "dataset"]), key=_rank)
    chosen = dataset or cands[0]
    alternatives = {
        str(d): sorted(int(y) for y in g["year"])
        for d, g in avail[avail["stage"] == stage].groupby("dataset")
        if d != chosen
    }
    names = ds.country_names()
    p = ds.rows_of("production", mat)
    sel = p[(p["stage"] == stage) & (p["dataset"] == chosen) & (p["year"] == year)]
    if len(sel):
        world = sel.loc[sel["country"] == "WLD", "value"]
        countries = sel[sel["country"] != "WLD"].copy()
        denom = float(countries["value"].fillna(0.0).sum())
        countries["share"] = countries["value"] / denom if denom > 0 else float("nan")
        rows = countries[["country", "value", "share", "status", "flag", "source", "notes"]]
        unit, basis = str(sel["unit"].iloc[0]), str(sel["basis"].iloc[0])
        world_total = float(world.iloc[0]) if len(world) and pd.notna(world.iloc[0]) else None
        share_only = False
    else:
        s = ds.rows_of("supply_shares", mat)
        sel = s[(s["stage"] == stage) & (s["dataset"] == chosen) & (s["year"] == year)]
        rows = sel.assign(value=float("nan"), flag=sel["share_bound"])[
            ["country", "value", "share", "status", "flag", "source", "notes"]
        ]
        unit, basis, world_total, share_only = "share", "", None, True
    rows = rows.assign(name=rows["country"].map(names).fillna(rows["country"]))
    rows = rows.assign(aggregate=rows["country"].isin(AGGREGATES))
    rows = rows.sort_values(["aggregate", "share"], ascending=[True, False], na_position="last")
    rows = rows[["country", "name", "value", "share", "status", "flag", "source", "notes"]]
    return SupplyTable(
        material=mat,
        stage=stage,
        year=int(year),
        dataset=chosen,
        unit=unit,
        basis=basis,
        world_total=world_total,
        rows=rows.reset_index(drop=True),
        share_only=share_only,
        alternatives=alternatives,
    )
