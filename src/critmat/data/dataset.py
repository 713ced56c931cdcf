"""The :class:`Dataset`: typed access to the reference tables, loaded lazily table by table."""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

import pandas as pd

from critmat.data.loader import (
    DatasetError,
    OverlayFile,
    manifest,
    merge_overlay,
    read_overlay_dir,
    read_shipped_table,
)
from critmat.data.schemas import SPECS
from critmat.errors import CritmatError

__all__ = ["Dataset", "InputError", "UnknownChoiceError", "load"]

T = TypeVar("T")


class InputError(CritmatError):
    """A request the data cannot answer (e.g. a scenario that touches nothing of the holder's)."""


class UnknownChoiceError(CritmatError):
    """A name (material, holder, stage, year ...) is not among the valid choices."""

    def __init__(self, kind: str, value: object, choices: Iterable[object]) -> None:
        self.kind = kind
        self.value = value
        self.choices = [str(c) for c in choices]
        close = difflib.get_close_matches(str(value).lower(), self.choices, n=3)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        super().__init__(
            f"unknown {kind} {value!r}.{hint} Valid choices: {', '.join(self.choices)}"
        )


class Dataset:
    """The reference dataset as pandas DataFrames, one attribute per table.

    Tables are read on first access and cached; overlay files (if any) were validated when the
    dataset was loaded, so a bad user file fails at :func:`load`, not later.
    """

    def __init__(self, overlays: Iterable[OverlayFile] = ()) -> None:
        self.overlays: list[OverlayFile] = list(overlays)
        self._cache: dict[str, pd.DataFrame] = {}
        self._derived: dict[tuple[object, ...], object] = {}

    # -- generic access --------------------------------------------------------------------
    @staticmethod
    def table_names() -> list[str]:
        """Names of all tables."""
        return sorted(SPECS)

    def table(self, name: str) -> pd.DataFrame:
        """One table, with overlay rows merged in."""
        if name not in SPECS:
            raise UnknownChoiceError("table", name, sorted(SPECS))
        if name not in self._cache:
            frame = read_shipped_table(name)
            for ov in self.overlays:
                if ov.table == name:
                    frame = merge_overlay(frame, ov.frame, SPECS[name])
            self._cache[name] = frame
        return self._cache[name]

    def derived(self, key: tuple[object, ...], compute: Callable[[], T]) -> T:
        """A view computed from the tables once per dataset (the tables never change after
        :func:`load`): ``compute()`` the first time ``key`` is asked for, the kept value after.
        Callers copy what they might modify (critmat.data.views.supply_by_country)."""
        if key not in self._derived:
            self._derived[key] = compute()
        return self._derived[key]  # type: ignore[return-value]

    def shipped_rows(self) -> dict[str, int]:
        """Rows per shipped table (from the manifest, without reading the tables)."""
        return {k: int(str(v["rows"])) for k, v in manifest().items()}

    # -- tables as attributes --------------------------------------------------------------
    @property
    def materials(self) -> pd.DataFrame:
        return self.table("materials")

    @property
    def countries(self) -> pd.DataFrame:
        return self.table("countries")

    @property
    def hs_codes(self) -> pd.DataFrame:
        return self.table("hs_codes")

    @property
    def production(self) -> pd.DataFrame:
        return self.table("production")

    @property
    def supply_shares(self) -> pd.DataFrame:
        return self.table("supply_shares")

    @property
    def trade(self) -> pd.DataFrame:
        return self.table("trade")

    @property
    def governance(self) -> pd.DataFrame:
        return self.table("governance")

    @property
    def prices(self) -> pd.DataFrame:
        return self.table("prices")

    @property
    def holders(self) -> pd.DataFrame:
        return self.table("holders")

    @property
    def holder_indicators(self) -> pd.DataFrame:
        return self.table("holder_indicators")

    @property
    def import_sources(self) -> pd.DataFrame:
        return self.table("import_sources")

    @property
    def end_uses(self) -> pd.DataFrame:
        return self.table("end_uses")

    @property
    def stockpile_policies(self) -> pd.DataFrame:
        return self.table("stockpile_policies")

    @property
    def nds_requirements(self) -> pd.DataFrame:
        return self.table("nds_requirements")

    @property
    def intensities(self) -> pd.DataFrame:
        return self.table("intensities")

    @property
    def footprints(self) -> pd.DataFrame:
        return self.table("footprints")

    @property
    def events(self) -> pd.DataFrame:
        return self.table("events")

    @property
    def control(self) -> pd.DataFrame:
        return self.table("control")

    @property
    def storage(self) -> pd.DataFrame:
        return self.table("storage")

    # -- name resolution -------------------------------------------------------------------
    def resolve_material(self, text: str) -> str:
        """Material id from an id, a name or a chemical symbol (case-insensitive)."""
        m = self.materials
        key = text.strip().lower()
        for col in ("material", "symbol", "name"):
            hit = m[m[col].str.lower() == key]
            if len(hit):
                return str(hit["material"].iloc[0])
        first_word = m["name"].str.lower().str.split(" ").str[0]
        hit = m[first_word == key]
        if len(hit):
            return str(hit["material"].iloc[0])
        raise UnknownChoiceError("material", text, m["material"].tolist())

    def resolve_holder(self, text: str) -> str:
        """Holder id (ISO3 or bloc code) from a code or a name (case-insensitive)."""
        h = self.holders
        key = text.strip().lower()
        for col in ("holder", "name"):
            hit = h[h[col].str.lower() == key]
            if len(hit):
                return str(hit["holder"].iloc[0])
        raise UnknownChoiceError("holder", text, h["holder"].tolist())

    def country_names(self) -> dict[str, str]:
        """ISO3 code -> display name."""
        c = self.countries
        return dict(zip(c["country"], c["name"], strict=True))


def load(data_dir: str | os.PathLike[str] | None = None, *, use_env: bool = True) -> Dataset:
    """Load the reference dataset.

    Parameters
    ----------
    data_dir
        Optional overlay directory of user tables; when omitted and ``use_env`` is true, the
        directory named by the ``CRITMAT_DATA`` environment variable is used if set.

    Raises
    ------
    DatasetError
        If an overlay file is malformed (file, line, column and reason are listed).
    """
    from critmat.settings import Settings

    chosen: str | os.PathLike[str] | None = data_dir
    if chosen is None and use_env:
        chosen = Settings.from_env().data_dir
    if chosen is None:
        return shipped()
    return Dataset(read_overlay_dir(Path(chosen)))


_SHIPPED: Dataset | None = None


def shipped() -> Dataset:
    """The shipped dataset without overlays, one per process: its tables are read once and the
    views derived from them kept (every command, server request and test shares them; nothing
    modifies a table after it is read)."""
    global _SHIPPED
    if _SHIPPED is None:
        _SHIPPED = Dataset()
    return _SHIPPED


# re-exported for callers that only import critmat.data.dataset
__all__ += ["DatasetError"]
