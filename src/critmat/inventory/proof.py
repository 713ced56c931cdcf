"""Proving the ledger's history: the chain, its signed head, re-derived balances and anchors.

Threat model (docs/inventory.md): every entry's hash covers its columns and, from version 2, its
lot's code, material and unit, its zone and facility codes and its user; the head is MACed with
a key kept outside the database. An insider with database access but not the key can edit,
delete or recompute, but ``verify`` with the key fails; with the key but without an anchor kept
elsewhere, a rollback of the newest entries passes unless ``verify --anchor`` is given the
exported anchor.
"""

from __future__ import annotations

import copy
import datetime as dt
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from critmat.database import reader
from critmat.inventory.chain import GENESIS, Context, entry_fields, entry_hash
from critmat.inventory.checks import InventoryError, exact
from critmat.inventory.models import Facility, LedgerEntry, LedgerHead, Lot, Zone

if TYPE_CHECKING:
    from critmat.inventory.ledger import Ledger

__all__ = [
    "NOT_YET_SIGNED",
    "UNSIGNED",
    "VerifyReport",
    "export_anchor",
    "sign",
    "sign_genesis",
    "verify",
]


@dataclass
class VerifyReport:
    """Outcome of a chain verification."""

    ok: bool
    checked: int
    first_bad_seq: int | None = None
    reason: str = ""
    signed: bool = False
    #: intact, broken, or unsigned (intact, but the head was written without the key)
    state: str = ""

    def __post_init__(self) -> None:
        if not self.state:
            self.state = "intact" if self.ok else "broken"


#: what ``verify`` says of an empty ledger created without the key that is now set
NOT_YET_SIGNED = (
    "empty ledger, not yet signed: run `critmat inventory sign` with the ledger key set "
    "(CRITMAT_LEDGER_KEY_FILE)"
)


#: what ``verify`` says of a ledger whose head was written without the key that is now set: not
#: a pass (a head whose MAC was removed reads the same), but not a broken chain either
UNSIGNED = (
    "its {n} entries link and hash correctly, but the head was written without the ledger "
    "key. If the key was set afterwards, run `critmat inventory sign` with it; if not, the "
    "head's signature was removed (docs/inventory.md, threat model)"
)


def verify(led: Ledger, anchor: dict[str, object] | None = None) -> VerifyReport:
    """Prove the history: consecutive sequence numbers, links and hashes (version 2 entries
    also cover their lot's code, material and unit, their zone and facility codes and the
    user), the head and its MAC with the ledger key, every balance re-derived (none
    negative after any booking, every transfer conserved and closed at most once), and,
    with an ``anchor`` exported earlier, that nothing before it was removed or rewritten."""
    with Session(reader(led.engine)) as s:
        entries = s.scalars(select(LedgerEntry).order_by(LedgerEntry.seq)).all()
        head = s.get(LedgerHead, 1)
        lots = {lt.id: lt for lt in s.scalars(select(Lot))}
        zones = {
            zid: f"{f}/{z}"
            for zid, f, z in s.execute(select(Zone.id, Facility.code, Zone.code).join(Facility))
        }
    prev, n = GENESIS, 0
    bal: dict[tuple[int, int | None], Decimal] = {}
    transit: dict[str, Decimal] = {}
    closed: dict[str, str] = {}
    for i, e in enumerate(entries, start=1):
        bad = _check_entry(i, e, prev, lots, zones)
        if bad:
            return VerifyReport(False, n, e.seq, bad)
        prev = e.hash
        n += 1
        key = (e.lot_id, e.zone_id)
        bal[key] = bal.get(key, Decimal(0)) + exact(e.quantity)
        why = _transfer_step(e, transit, closed)
        if why:
            return VerifyReport(False, n - 1, e.seq, why)
        last_of_booking = i == len(entries) or entries[i].created_at != e.created_at
        if last_of_booking:
            neg = [k for k, v in bal.items() if v < 0]
            if neg:
                lot_id, zid = neg[0]
                code = lots[lot_id].code if lot_id in lots else lot_id
                where = "in transit" if zid is None else zones.get(zid, zid)
                return VerifyReport(
                    False, n - 1, e.seq,
                    f"the balance of lot {code} {where} is negative after this booking "
                    f"({bal[neg[0]]}): the history was forged",
                )  # fmt: skip
    if head is None or head.seq != n or head.hash != prev:
        return VerifyReport(
            False,
            n,
            n + 1 if head is not None and head.seq > n else None,
            "the chain head does not match the last entry (entries were deleted from the end)",
        )
    if led.key is not None:
        if not head.mac and n == 0:
            return VerifyReport(True, 0, signed=False, reason=NOT_YET_SIGNED)
        if not head.mac:
            return VerifyReport(False, n, None, UNSIGNED.format(n=n), state="unsigned")
        if not hmac.compare_digest(head.mac, led._mac(head.seq, head.hash)):
            return VerifyReport(
                False, n, None,
                "the chain head's MAC does not match: the history was rewritten without the "
                "ledger key (or the key is not the one that signed it)",
            )  # fmt: skip
    if anchor is not None:
        why = _check_anchor(led, anchor, entries)
        if why:
            return VerifyReport(False, n, int(str(anchor.get("seq", 0)) or 0), why)
    signed = led.key is not None
    return VerifyReport(
        True,
        n,
        signed=signed,
        reason=""
        if signed
        else "no ledger key configured: the chain proves its internal "
        "consistency only (docs/inventory.md, threat model)",
    )


def _check_entry(
    i: int,
    e: LedgerEntry,
    prev: str,
    lots: dict[int, Lot],
    zones: dict[int, str],
) -> str:
    if e.seq != i:
        return f"entry at position {i} has seq {e.seq}: an entry was deleted or the order changed"
    if e.prev_hash != prev:
        return (
            "its link to the previous entry is broken "
            "(an earlier entry was edited, deleted or reordered)"
        )
    ctx = None
    if e.hash_version != 1:
        lot = lots.get(e.lot_id)
        if lot is None:
            return "its lot no longer exists"
        zone = zones.get(e.zone_id, f"#{e.zone_id}") if e.zone_id is not None else ""
        ctx = Context(lot.code, lot.material, lot.unit, zone)
    if entry_hash(prev, entry_fields(e, ctx)) != e.hash:
        return (
            "its content does not match its hash (the entry, its lot, its zone or its "
            "facility was edited)"
        )
    return ""


def _check_anchor(led: Ledger, anchor: dict[str, object], entries: Sequence[LedgerEntry]) -> str:
    try:
        seq, h, mac = int(str(anchor["seq"])), str(anchor["hash"]), str(anchor.get("mac", ""))
    except (KeyError, ValueError):
        return "the anchor file is malformed (needs seq, hash, mac)"
    if led.key is not None and mac and not hmac.compare_digest(mac, led._mac(seq, h)):
        return "the anchor's MAC does not match the ledger key (a forged anchor?)"
    if seq > len(entries):
        return (
            f"the ledger has {len(entries)} entries but the anchor was taken at {seq}: "
            "entries after it were removed and the head rolled back"
        )
    if seq > 0 and entries[seq - 1].hash != h:
        return f"entry {seq} differs from the anchor: history before it was rewritten"
    return ""


def export_anchor(led: Ledger) -> dict[str, object]:
    """The signed head and counts, to keep outside the database (``verify --anchor``)."""
    rep = led.verify()
    if not rep.ok:
        raise InventoryError(f"the ledger does not verify, no anchor written: {rep.reason}")
    with Session(led.engine) as s:
        head = s.get(LedgerHead, 1)
        assert head is not None
        counts = {
            "entries": s.scalar(select(func.count()).select_from(LedgerEntry)),
            "lots": s.scalar(select(func.count()).select_from(Lot)),
            "facilities": s.scalar(select(func.count()).select_from(Facility)),
        }
    return {
        "seq": head.seq,
        "hash": head.hash,
        "mac": led._mac(head.seq, head.hash),
        "signed": led.key is not None,
        "counts": counts,
        "exported_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def sign(led: Ledger, old_key: bytes | None = None) -> int:
    """(Re-)sign the chain head with this ledger's key after verifying the chain (with
    ``old_key``'s MAC when rotating keys); returns the head's seq."""
    if led.key is None:
        raise InventoryError("no ledger key configured (CRITMAT_LEDGER_KEY_FILE)")
    check = copy.copy(led)  # the same ledger, checked with the old key
    check.key = old_key
    rep = verify(check)
    if not rep.ok:
        raise InventoryError(f"the ledger does not verify, not signed: {rep.reason}")
    with Session(led.engine) as s, s.begin():
        head = led._lock_head(s)
        head.mac = led._mac(head.seq, head.hash)
        led._store_head(s, head)
        return int(head.seq)


def sign_genesis(led: Ledger) -> bool:
    """Sign the head of a new, empty ledger with this ledger's key (``inventory init`` with a
    key), so that its first ``verify`` proves the genesis; False when there is no key, the
    ledger holds entries or its head is signed already."""
    if led.key is None:
        return False
    with Session(led.engine) as s, s.begin():
        head = led._lock_head(s)
        if head.seq != 0 or head.mac:
            return False
        head.mac = led._mac(head.seq, head.hash)
        led._store_head(s, head)
        return True


def _transfer_step(e: LedgerEntry, transit: dict[str, Decimal], closed: dict[str, str]) -> str:
    """Replay a transfer's state machine (dispatched -> arrived | lost, once); the reason when
    an entry breaks it."""
    t = e.transfer
    if not t or e.kind not in ("dispatch", "arrive", "lost"):
        return ""
    if e.kind == "dispatch":
        if t in closed:
            return f"transfer {t!r} is dispatched again after it was {closed[t]}"
        if e.zone_id is None:
            transit[t] = transit.get(t, Decimal(0)) + exact(e.quantity)
        return ""
    if e.zone_id is None:  # the in-transit leg of an arrival or a loss
        if t in closed:
            return f"transfer {t!r} is closed twice ({closed[t]}, then {e.kind})"
        left = transit.get(t, Decimal(0)) + exact(e.quantity)
        if left != 0:
            return (
                f"transfer {t!r}: {e.kind} of {-exact(e.quantity)} but {transit.get(t)} in transit"
            )
        transit[t] = left
        closed[t] = "arrived" if e.kind == "arrive" else "lost"
    return ""


def _context(s: Session, e: LedgerEntry) -> Context | None:
    """The context a version-2 entry's hash covers, read from the database."""
    if e.hash_version == 1:
        return None
    lot = s.get(Lot, e.lot_id)
    if lot is None:
        return None
    zone = ""
    if e.zone_id is not None:
        row = s.execute(
            select(Facility.code, Zone.code).join(Facility).where(Zone.id == e.zone_id)
        ).first()
        zone = f"{row[0]}/{row[1]}" if row else f"#{e.zone_id}"
    return Context(lot.code, lot.material, lot.unit, zone)
