"""The :class:`Dataset`: typed access to the reference tables, loaded lazily table by table."""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
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
from critmat.settings import Settings

__all__ = ["Dataset", "InputError", "UnknownChoiceError", "load"]

T = TypeVar("T")


@dataclass(frozen=True)
class Holder:
    """A holder resolved once (:meth:`Dataset.holder`): its code (ISO3 or bloc), display name
    and member economies (ISO3; a country is its own only member). Pass it down instead of the
    user's text; ``str(holder)`` is the code."""

    code: str
    name: str
    members: frozenset[str]

    def __str__(self) -> str:
        return self.code


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
        """Material id from an id, a name or a chemical symbol (case-insensitive; the first
        word of a name as a last resort)."""
        names = self.derived(("material_names",), self._material_names)
        hit = names.get(text.strip().lower())
        if hit is None:
            raise UnknownChoiceError("material", text, self.materials["material"].tolist())
        return hit

    def _material_names(self) -> dict[str, str]:
        """Every accepted spelling (lower case) -> material id, earlier kinds winning: ids, then
        symbols, then names, then the first word of a name."""
        m = self.materials
        out: dict[str, str] = {}
        first = m["name"].astype(str).str.lower().str.split(" ").str[0]
        for col in (m["material"], m["symbol"], m["name"], first):
            for key, mat in zip(col, m["material"].astype(str), strict=True):
                if isinstance(key, str) and key:
                    out.setdefault(key.lower(), mat)
        return out

    def rows_of(self, name: str, material: str) -> pd.DataFrame:
        """A table's rows of one material, grouped once per dataset (read-only: copy before
        modifying)."""
        groups = self.derived(
            ("rows_of", name),
            lambda: dict(iter(self.table(name).groupby("material", sort=False, observed=True))),
        )
        t = groups.get(material)
        return t if t is not None else self.table(name).iloc[0:0]

    def holder(self, text: str | Holder) -> Holder:
        """The one place a holder is resolved: from its code or name (case-insensitive) to a
        :class:`Holder` (a ``Holder`` passes through).

        Raises
        ------
        UnknownChoiceError
            For a text that names no holder, listing the codes.
        """
        if isinstance(text, Holder):
            return text
        return self.derived(("holder", text.strip().lower()), lambda: self._holder(text))

    def _holder(self, text: str) -> Holder:
        h = self.holders
        key = text.strip().lower()
        for col in ("holder", "name"):
            hit = h[h[col].str.lower() == key]
            if len(hit):
                r = hit.iloc[0]
                members = frozenset(m for m in str(r["members"]).split(";") if m)
                return Holder(str(r["holder"]), str(r["name"]), members)
        raise UnknownChoiceError("holder", text, h["holder"].tolist())

    def resolve_holder(self, text: str | Holder) -> str:
        """Holder code (ISO3 or bloc) from a code or a name: :meth:`holder`'s code."""
        return self.holder(text).code

    def country_names(self) -> dict[str, str]:
        """ISO3 code -> display name (built once per dataset; a copy)."""
        c = self.countries
        kept = self.derived(
            ("country_names",), lambda: dict(zip(c["country"], c["name"], strict=True))
        )
        return dict(kept)


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
