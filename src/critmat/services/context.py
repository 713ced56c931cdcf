"""One place that opens the dataset and resolves a holder, a material and a year."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from critmat.data.dataset import Dataset, UnknownChoiceError, load
from critmat.settings import Settings

__all__ = ["Resolved", "open_dataset", "resolve"]

#: Years the trade extract covers (the base year of a market or an assessment).
YEARS = range(2015, 2025)


def open_dataset(data_dir: str | Path | None = None, settings: Settings | None = None) -> Dataset:
    """The shipped dataset with the overlay directory given, else the one of the settings."""
    s = settings or Settings.from_env()
    return load(data_dir if data_dir is not None else s.data_dir, use_env=False)


@dataclass(frozen=True)
class Resolved:
    """Canonical names: the holder's code, the materials' ids, the year."""

    holder: str | None
    materials: list[str]
    year: int | None


def resolve(
    ds: Dataset,
    *,
    holder: str | None = None,
    materials: list[str] | None = None,
    year: int | None = None,
) -> Resolved:
    """Resolve names once, at the boundary (unknown names raise with the valid choices)."""
    h = ds.resolve_holder(holder) if holder is not None else None
    mats = [ds.resolve_material(m) for m in materials or []]
    if year is not None and year not in YEARS:
        raise UnknownChoiceError("year (trade data)", year, list(YEARS))
    return Resolved(h, mats, year)
