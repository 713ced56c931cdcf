"""A use case's result as every face shows it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from critmat.report.jsonsafe import jsonable

__all__ = ["Outcome"]


@dataclass
class Outcome:
    """Tables (one per sheet, tidy, units in the column names or the README), a README of
    provenance strings, notes, and the JSON fields that are not tables.

    ``to_json()`` is the JSON the CLI prints (``--format json``, stdout or ``--out``) and the
    API stores as a job's result: ``fields``, then ``readme`` and ``notes``, then each table as
    records. ``volatile`` names what differs between two identical runs (wall-clock timings):
    ``"field"`` or ``"table.column"``; :meth:`stable` drops them.
    """

    tables: dict[str, pd.DataFrame]
    readme: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    fields: dict[str, Any] = field(default_factory=dict)
    main: str = ""
    volatile: tuple[str, ...] = ()

    @property
    def main_table(self) -> pd.DataFrame:
        """The table ``--format csv`` prints (the first one unless ``main`` names another)."""
        return self.tables[self.main or next(iter(self.tables))]

    def file_readme(self) -> dict[str, str]:
        """The README of file outputs (xlsx README sheet, README.csv): the README and notes."""
        return {**self.readme, **{f"note {i + 1}": n for i, n in enumerate(self.notes)}}

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {**self.fields, "readme": self.readme, "notes": list(self.notes)}
        for name, table in self.tables.items():
            if name in out:
                raise ValueError(f"table {name!r} clashes with a field of the same name")
            out[name] = table.to_dict("records")
        return dict(jsonable(out))

    def stable(self) -> dict[str, Any]:
        """:meth:`to_json` without the volatile entries (for comparing two runs)."""
        js = self.to_json()
        for v in self.volatile:
            name, _, col = v.partition(".")
            if not col:
                js.pop(name, None)
            elif isinstance(js.get(name), list):
                js[name] = [{k: x for k, x in r.items() if k != col} for r in js[name]]
        return js
