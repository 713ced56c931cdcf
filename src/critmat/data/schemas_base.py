"""Building blocks of the table schemas: status and stage vocabularies, columns, tables, issues."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["STAGES", "STATUSES", "Column", "Issue", "Kind", "TableSpec"]

#: Status of a figure: how far it can be trusted.
STATUSES: frozenset[str] = frozenset(
    {
        "published",  # as printed by the primary publisher
        "published_estimate",  # the publisher's own estimate (e.g. USGS 2025e)
        "secondary",  # quoted by reputable secondary reporting
        "derived",  # computed by critmat or the curator from published figures (see notes)
        "proxy",  # a stand-in for the quantity named (e.g. trade unit value for price)
        "assumption",  # a labelled assumption, no source yet
        "unverified",  # treat as a placeholder; never present as fact
    }
)

#: Supply-chain stages.
STAGES: frozenset[str] = frozenset({"mining", "refining", "manufacturing", "global_supply"})

Kind = Literal["str", "float", "int", "bool"]


class Column(BaseModel):
    """One column of a table."""

    model_config = ConfigDict(frozen=True)

    name: str
    kind: Kind = "str"
    required: bool = True
    choices: frozenset[str] | None = None
    minimum: float | None = None
    maximum: float | None = None
    description: str = ""


class TableSpec(BaseModel):
    """Schema of one dataset table."""

    model_config = ConfigDict(frozen=True)

    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = Field(min_length=1)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


class Issue(BaseModel):
    """A problem found in a table: where it is and why it is a problem."""

    model_config = ConfigDict(frozen=True)

    severity: Literal["error", "warning"] = "error"
    check: str
    table: str
    file: str = ""
    line: int | None = None
    column: str = ""
    message: str

    def __str__(self) -> str:
        where = self.file or self.table
        if self.line is not None:
            where += f", line {self.line}"
        if self.column:
            where += f", column '{self.column}'"
        return f"{self.severity}: {where}: {self.message} [{self.check}]"
