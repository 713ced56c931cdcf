"""The hash chain: what an entry's hash covers, the head every writer locks, its MAC.

Each entry stores the previous entry's hash and its own, SHA-256 over the previous hash and the
entry's canonical JSON; version 2 entries also cover their lot's code, material and unit, their
zone's and facility's codes and the user who booked them. The head (one row of ``ledger_head``)
is MACed with a key kept outside the database (critmat.inventory.proof proves it all).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from types import SimpleNamespace

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from critmat.inventory.checks import InventoryError, exact
from critmat.inventory.group_commit import HeadView
from critmat.inventory.models import LedgerEntry

__all__ = [
    "GENESIS",
    "Context",
    "entry_fields",
    "entry_fields_v1",
    "entry_hash",
    "head_mac",
    "lock_head",
    "store_head",
]

GENESIS = "0" * 64


def entry_hash(prev: str, fields: dict[str, object]) -> str:
    """SHA-256 over the previous hash and the entry's canonical JSON (sorted keys)."""
    payload = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256((prev + payload).encode()).hexdigest()


@dataclass(frozen=True)
class Context:
    """What gives an entry its meaning beyond its own columns (hashed from version 2)."""

    lot_code: str
    material: str
    lot_unit: str
    zone: str  # "FACILITY/ZONE" or "" in transit


def entry_fields(e: LedgerEntry | SimpleNamespace, ctx: Context | None = None) -> dict[str, object]:
    """The fields an entry's hash covers (its version's set)."""
    base = entry_fields_v1(e)
    if e.hash_version == 1 or ctx is None:
        return base
    return {
        **base,
        "v": 2,
        "lot": ctx.lot_code,
        "material": ctx.material,
        "lot_unit": ctx.lot_unit,
        "zone": ctx.zone,
        "booked_by": e.booked_by,
    }


def entry_fields_v1(e: LedgerEntry | SimpleNamespace) -> dict[str, object]:
    """The fields a version 1 entry's hash covers: its own columns."""
    return {
        "seq": e.seq,
        "created_at": e.created_at,
        "kind": e.kind,
        "lot_id": e.lot_id,
        "zone_id": e.zone_id,
        "quantity": format(exact(e.quantity), "f"),
        "unit": e.unit,
        "reason": e.reason,
        "transfer": e.transfer,
        "carrier": e.carrier,
        "route": e.route,
        "seal": e.seal,
        "batch": e.batch,
        "idempotency_key": e.idempotency_key,
    }


def head_mac(key: bytes | None, seq: int, head_hash: str) -> str:
    """HMAC-SHA256 of the chain head with the ledger key ("" without a key)."""
    if key is None:
        return ""
    return hmac.new(key, f"{seq}:{head_hash}".encode(), hashlib.sha256).hexdigest()


def lock_head(engine: Engine, s: Session) -> HeadView:
    """The chain head, locked for this transaction (PostgreSQL: the row lock; SQLite: the
    write lock taken at BEGIN IMMEDIATE); a copy that :func:`store_head` writes back."""
    lock = " FOR UPDATE" if engine.dialect.name == "postgresql" else ""
    row = s.execute(text(f"SELECT seq, hash, mac FROM ledger_head WHERE id = 1{lock}")).first()
    if row is None:
        raise InventoryError("the database is not initialised: run `critmat inventory init`")
    return HeadView(int(row[0]), str(row[1]), str(row[2] or ""))


def store_head(s: Session, head: HeadView) -> None:
    """Write the head back (once per transaction, after its entries)."""
    s.execute(
        text("UPDATE ledger_head SET seq = :seq, hash = :hash, mac = :mac WHERE id = 1"),
        {"seq": head.seq, "hash": head.hash, "mac": head.mac},
    )
