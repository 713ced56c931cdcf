"""Read-only views over the dataset that the CLI, the report and later stages share.

:func:`supply_by_country` answers "who supplies material M at stage S in year Y, according to
source D": production rows where tonnages are published, share-only rows otherwise.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
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

#: Sources that give an element the country split of its group (rare earths: the REO split x the
#: element's share). Where a source gives the element's own split, it is shown first.
GROUP_SPLITS: frozenset[str] = frozenset({"derived_ree_split", "derived_ree_split_wmd"})


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

    @property
    def split(self) -> str:
        """``element`` (the element's own country split) or, for a group split, what it is."""
        if self.dataset not in GROUP_SPLITS:
            return "element"
        return (
            "the rare-earth group's: the group's country split applied to the element (no "
            "element-level source for this stage and year)"
        )

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
            "split": self.split,
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
    combos = _combos(ds, mat)
    if not combos:
        raise UnknownChoiceError(
            f"material with supply data (none for {mat})",
            material,
            sorted(set(ds.production["material"]) | set(ds.supply_shares["material"])),
        )
    present = {st for st, _, _ in combos}
    stages = [
        st for st in ("mining", "refining", "manufacturing", "global_supply") if st in present
    ]
    if stage is None:
        stage = stages[0]
    elif stage not in stages:
        raise UnknownChoiceError(f"stage for {mat}", stage, stages)
    at_stage = [(d, y) for st, d, y in combos if st == stage]
    av = at_stage
    own = [(d, y) for d, y in at_stage if d not in GROUP_SPLITS]
    if dataset is None and own and (year is None or year in {y for _, y in own}):
        av = own  # the element's own split, when a source gives it, before its group's
    if dataset is not None:
        if dataset not in {d for d, _ in av}:
            raise UnknownChoiceError(
                f"source for {mat} {stage}", dataset, sorted({d for d, _ in av})
            )
        av = [(d, y) for d, y in av if d == dataset]
    years = sorted({y for _, y in av})
    if year is None:
        year = years[-1]
    elif year not in years:
        raise UnknownChoiceError(f"year for {mat} {stage}", year, years)
    chosen = dataset or sorted({d for d, y in av if y == year}, key=_rank)[0]
    alternatives = {
        d: sorted(y for d2, y in at_stage if d2 == d)
        for d in sorted({d for d, _ in at_stage})
        if d != chosen
    }
    names = ds.country_names()
    p = ds.rows_of("production", mat)
    sel = p[_mask(ds, "production", mat, stage, chosen, year)]
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
        sel = s[_mask(ds, "supply_shares", mat, stage, chosen, year)]
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


def _combos(ds: Dataset, mat: str) -> list[tuple[str, str, int]]:
    """(stage, dataset, year) of every row of :func:`available_supply` (once per dataset)."""
    avail = ds.derived(("available_supply", mat), lambda: _available(ds, mat))
    return ds.derived(
        ("supply_combos", mat),
        lambda: [(str(a), str(b), int(c)) for a, b, c in
                 zip(avail["stage"], avail["dataset"], avail["year"], strict=True)],
    )  # fmt: skip


def _mask(
    ds: Dataset, table: str, mat: str, stage: str, dataset: str, year: int
) -> npt.NDArray[np.bool_]:
    """Rows of a material's table at a stage, source and year: one comparison of NumPy arrays
    taken once per dataset (pandas masks on text columns cost a millisecond each)."""
    cols = ds.derived(
        ("supply_columns", table, mat),
        lambda: tuple(
            ds.rows_of(table, mat)[c].to_numpy(dtype=object) for c in ("stage", "dataset", "year")
        ),
    )
    st, dn, yr = cols
    return (st == stage) & (dn == dataset) & (yr == year)  # type: ignore[no-any-return]
