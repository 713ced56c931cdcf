"""Movements staged in a write transaction and inserted together.

A ledger write checks everything first (lots, zones, quantities, the idempotency key, the
balances) and only then stages its entries here; they reach the database in one multi-row
INSERT when the transaction commits (:func:`flush`, run by the session's ``before_commit``
event), or earlier when a write needs to query the ledger itself (a transfer's state). While
entries are staged, the checks of later writes in the same transaction see them through this
record: the balances add the staged deltas, the idempotency lookup reads the staged keys. A
group commit (critmat.inventory.group_commit) thus books many requests with one INSERT, one head
update and one commit, and no savepoint: a refused request has staged nothing.

Idempotency keys of a whole group are looked up in one query (:func:`prefetch_keys`); a key that
query did not find needs no lookup of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, event, insert, select
from sqlalchemy.orm import Session

from critmat.inventory.models import LedgerEntry

__all__ = ["Staged", "flush", "prefetch_keys", "stage_row", "staged"]

LEDGER: Table = LedgerEntry.__table__  # type: ignore[assignment]

#: one staged entry under an idempotency key: (kind, lot id, zone id, quantity, seq)
KeyedEntry = tuple[str, int, int | None, Decimal, int]


@dataclass
class Staged:
    """What the open transaction has staged and not yet inserted."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    #: entries by idempotency key (the request's key, without the ``#i`` suffix), in order
    keys: dict[str, list[KeyedEntry]] = field(default_factory=dict)
    #: summed staged quantity per (lot id, zone id; None = in transit)
    deltas: dict[tuple[int, int | None], Decimal] = field(default_factory=dict)
    #: keys known to be absent from the database (a group's prefetch); a key leaves this set
    #: when an entry is staged under it
    absent: set[str] = field(default_factory=set)
    #: rows of other tables written with the entries (the HTTP API's audit rows)
    other: dict[Table, list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, key: str | None, rows: list[dict[str, Any]]) -> None:
        """Stage one request's entries (all checks done)."""
        self.rows.extend(rows)
        for r in rows:
            k = (r["lot_id"], r["zone_id"])
            self.deltas[k] = self.deltas.get(k, Decimal(0)) + r["quantity"]
        if key is not None:
            self.absent.discard(key)
            self.keys[key] = [
                (r["kind"], r["lot_id"], r["zone_id"], r["quantity"], r["seq"]) for r in rows
            ]


def staged(s: Session) -> Staged:
    """The staging record of the session's open transaction (created on first use, with a
    ``before_commit`` hook that inserts what is staged)."""
    st: Staged | None = s.info.get("staged")
    if st is None:
        st = s.info["staged"] = Staged()
        event.listen(s, "before_commit", flush)
    return st


def flush(s: Session) -> None:
    """Insert the staged entries (one multi-row INSERT) and clear the record; the database
    then answers for them."""
    st = staged(s)
    if st.rows:
        s.execute(insert(LEDGER), st.rows)  # Core executemany: no ORM unit of work
    for table, rows in st.other.items():
        if rows:
            s.execute(insert(table), rows)
    st.other.clear()
    st.rows.clear()
    st.keys.clear()
    st.deltas.clear()


def stage_row(s: Session, table: Table, row: dict[str, Any]) -> None:
    """Stage a row of another table, inserted with the staged entries (same commit)."""
    staged(s).other.setdefault(table, []).append(row)


def prefetch_keys(s: Session, keys: list[str]) -> None:
    """Look up a group's idempotency keys in one query: those not booked yet are recorded as
    absent (a retried request, found here, is then looked up on its own)."""
    if not keys:
        return
    names = [f"{k}#0" for k in keys]
    found: set[str] = set()
    for i in range(0, len(names), 500):  # bounded IN lists
        found.update(
            s.scalars(
                select(LedgerEntry.idempotency_key).where(
                    LedgerEntry.idempotency_key.in_(names[i : i + 500])
                )
            )
        )
    staged(s).absent.update(k for k in keys if f"{k}#0" not in found)
