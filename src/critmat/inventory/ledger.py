"""Ledger service: every change of quantity is an appended, hash-chained movement.

Rules enforced in one database transaction per call (or per batch):
- balances are derived (sum of movements per lot and zone; zone NULL = in transit);
- no balance goes negative, also under concurrent writers (writers lock the chain head);
- a transfer's dispatch, arrival or loss conserves quantity (out = in, in one transaction);
- an idempotency key makes a retried request return the booked movements instead of booking
  twice;
- adjustments, releases and losses need a reason.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from critmat.data.units import MASS_UNITS, UnitError, convert_mass
from critmat.errors import CritmatError
from critmat.inventory.models import Facility, LedgerEntry, LedgerHead, Lot, Zone

__all__ = [
    "GENESIS",
    "InventoryError",
    "Ledger",
    "Move",
    "VerifyReport",
    "entry_hash",
    "facility_id",
    "lots",
    "to_tonnes",
]

GENESIS = "0" * 64
Q6 = Decimal("0.000001")


class InventoryError(CritmatError):
    """A refused operation; nothing was written."""


def _q(x: Decimal | float | str) -> Decimal:
    return Decimal(str(x)).quantize(Q6)


def to_tonnes(quantity: Decimal | float, unit: str) -> float:
    """A quantity of a lot in tonnes (conversion by critmat.data.units)."""
    return float(convert_mass(float(quantity), unit, "t"))


def facility_id(s: Session, code: str) -> int:
    """The id of a facility code, or a refusal naming it."""
    fid = s.scalar(select(Facility.id).where(Facility.code == code))
    if fid is None:
        raise InventoryError(f"unknown facility {code!r}")
    return int(fid)


def _positive(x: float) -> Decimal:
    q = _q(x)
    if q <= 0:
        raise InventoryError(f"quantity must be positive, not {x} (use adjust for corrections)")
    return q


def lots(engine: Engine) -> pd.DataFrame:
    """The lot register."""
    with Session(engine) as s:
        rows = s.execute(
            select(
                Lot.code,
                Lot.material,
                Lot.form,
                Lot.purity,
                Lot.unit,
                Lot.origin_country,
                Lot.supplier,
                Lot.acquired_on,
                Lot.cost_usd,
                Lot.certificate,
            ).order_by(Lot.code)
        ).all()
    return pd.DataFrame(
        rows,
        columns=[
            "lot",
            "material",
            "form",
            "purity",
            "unit",
            "origin",
            "supplier",
            "acquired_on",
            "cost_usd",
            "certificate",
        ],
    )


def entry_hash(prev: str, fields: dict[str, object]) -> str:
    """SHA-256 over the previous hash and the entry's canonical JSON (sorted keys)."""
    payload = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256((prev + payload).encode()).hexdigest()


def _fields(e: LedgerEntry) -> dict[str, object]:
    return {
        "seq": e.seq,
        "created_at": e.created_at,
        "kind": e.kind,
        "lot_id": e.lot_id,
        "zone_id": e.zone_id,
        "quantity": format(_q(e.quantity), "f"),
        "unit": e.unit,
        "reason": e.reason,
        "transfer": e.transfer,
        "carrier": e.carrier,
        "route": e.route,
        "seal": e.seal,
        "batch": e.batch,
        "idempotency_key": e.idempotency_key,
    }


@dataclass(frozen=True)
class Move:
    """One requested movement (quantity signed: + into the zone, - out of it)."""

    kind: str
    lot: str
    zone: str | None  # "FACILITY/ZONE", None = in transit
    quantity: Decimal
    unit: str
    reason: str = ""
    transfer: str = ""
    carrier: str = ""
    route: str = ""
    seal: str = ""


@dataclass
class VerifyReport:
    """Outcome of a chain verification."""

    ok: bool
    checked: int
    first_bad_seq: int | None = None
    reason: str = ""


class Ledger:
    """The inventory service on one database engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- reference data -----------------------------------------------------------------
    def add_facility(
        self,
        code: str,
        name: str,
        zones: Sequence[str],
        *,
        location: str = "",
        climate_controlled: bool = False,
        capacity_t: float = 0.0,
        security_level: str = "standard",
    ) -> None:
        """Create a facility with its zones."""
        with Session(self.engine) as s, s.begin():
            if s.scalar(select(Facility).where(Facility.code == code)) is not None:
                raise InventoryError(f"facility {code!r} exists already")
            f = Facility(
                code=code,
                name=name,
                location=location,
                climate_controlled=climate_controlled,
                capacity_t=_q(capacity_t),
                security_level=security_level,
            )
            s.add(f)
            s.flush()
            for z in zones:
                s.add(Zone(facility_id=f.id, code=z, conditions=""))

    def add_lot(self, code: str, material: str, unit: str = "t", **attrs: object) -> None:
        """Register a lot (its quantity comes from receipts)."""
        if unit not in MASS_UNITS:
            raise InventoryError(f"unit {unit!r} is not a mass unit ({', '.join(MASS_UNITS)})")
        with Session(self.engine) as s, s.begin():
            if s.scalar(select(Lot).where(Lot.code == code)) is not None:
                raise InventoryError(f"lot {code!r} exists already")
            s.add(
                Lot(
                    code=code,
                    material=material,
                    unit=unit,
                    form=str(attrs.get("form", "")),
                    purity=str(attrs.get("purity", "")),
                    packaging=str(attrs.get("packaging", "")),
                    origin_country=str(attrs.get("origin_country", "")),
                    supplier=str(attrs.get("supplier", "")),
                    acquired_on=attrs.get("acquired_on"),
                    cost_usd=_q(attrs.get("cost_usd", 0)),  # type: ignore[arg-type]
                    certificate=str(attrs.get("certificate", "")),
                )
            )

    # -- movements -------------------------------------------------------------------------
    def apply(
        self,
        moves: Sequence[Move],
        *,
        key: str | None = None,
        batch: str = "",
        _pause: object = None,
    ) -> list[int]:
        """Append movements atomically; returns their sequence numbers.

        With ``key``, a retry returns the sequence numbers booked the first time.
        """
        if not moves:
            raise InventoryError("no movements given")
        with Session(self.engine) as s, s.begin():
            head = self._lock_head(s)
            if key is not None:
                done = s.scalars(
                    select(LedgerEntry.seq)
                    .where(LedgerEntry.idempotency_key.like(f"{key}#%"))
                    .order_by(LedgerEntry.seq)
                ).all()
                if done:
                    return list(done)
            lots = {m.lot for m in moves}
            lot_rows = {lt.code: lt for lt in s.scalars(select(Lot).where(Lot.code.in_(lots)))}
            missing = sorted(lots - set(lot_rows))
            if missing:
                raise InventoryError(f"unknown lot(s): {', '.join(missing)}")
            zone_ids = {m.zone: self._zone_id(s, m.zone) for m in moves if m.zone is not None}
            deltas: dict[tuple[int, int | None], Decimal] = {}
            rows = []
            now = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
            prev, seq = head.hash, head.seq
            for i, m in enumerate(moves):
                lot = lot_rows[m.lot]
                qty = self._to_lot_unit(m, lot)
                if qty == 0:
                    raise InventoryError(f"movement {i + 1}: quantity must not be zero")
                if m.kind in ("adjustment", "release", "lost", "rotation_sale") and not m.reason:
                    raise InventoryError(f"movement {i + 1}: a {m.kind} needs a reason")
                zid = zone_ids.get(m.zone) if m.zone is not None else None
                deltas[(lot.id, zid)] = deltas.get((lot.id, zid), Decimal(0)) + qty
                seq += 1
                e = LedgerEntry(
                    seq=seq,
                    created_at=now,
                    kind=m.kind,
                    lot_id=lot.id,
                    zone_id=zid,
                    quantity=qty,
                    unit=lot.unit,
                    reason=m.reason,
                    transfer=m.transfer,
                    carrier=m.carrier,
                    route=m.route,
                    seal=m.seal,
                    batch=batch,
                    idempotency_key=f"{key}#{i}" if key is not None else None,
                    prev_hash=prev,
                    hash="",
                )
                e.hash = entry_hash(prev, _fields(e))
                prev = e.hash
                rows.append(e)
            for (lot_id, zid), delta in deltas.items():
                if delta < 0:
                    bal = self._balance(s, lot_id, zid)
                    if bal + delta < 0:
                        ref = {v: k for k, v in zone_ids.items()}
                        where = "in transit" if zid is None else f"in {ref.get(zid, zid)}"
                        code = next(c for c, lt in lot_rows.items() if lt.id == lot_id)
                        raise InventoryError(
                            f"lot {code} {where}: balance {bal} would become {bal + delta} "
                            "(no balance may go negative)"
                        )
            for i, e in enumerate(rows):
                s.add(e)
                if _pause is not None and i == len(rows) // 2:
                    s.flush()
                    _pause()  # type: ignore[operator]
            head.seq, head.hash = seq, prev
            return [e.seq for e in rows]

    def receive(
        self, lot: str, zone: str, quantity: float, unit: str, *, key: str | None = None
    ) -> list[int]:
        """Book a receipt into ``zone`` ("FACILITY/ZONE")."""
        return self.apply([Move("receipt", lot, zone, _positive(quantity), unit)], key=key)

    def sell(
        self,
        lot: str,
        zone: str,
        quantity: float,
        unit: str,
        reason: str,
        *,
        key: str | None = None,
    ) -> list[int]:
        """A rotation sale out of a zone (a reason is required)."""
        move = Move("rotation_sale", lot, zone, -_positive(quantity), unit, reason=reason)
        return self.apply([move], key=key)

    def dispatch(
        self,
        lot: str,
        zone: str,
        quantity: float,
        unit: str,
        *,
        transfer: str,
        carrier: str,
        route: str,
        seal: str,
        key: str | None = None,
    ) -> list[int]:
        """Out of a zone into transit (conserved: -q in the zone, +q in transit)."""
        q = _positive(quantity)
        common = {"transfer": transfer, "carrier": carrier, "route": route, "seal": seal}
        return self.apply(
            [
                Move("dispatch", lot, zone, -q, unit, **common),
                Move("dispatch", lot, None, q, unit, **common),
            ],
            key=key,
        )

    def arrive(self, transfer: str, zone: str, *, key: str | None = None) -> list[int]:
        """The whole in-transit quantity of a transfer arrives in a zone."""
        lot, qty, unit = self._in_transit(transfer)
        return self.apply(
            [
                Move("arrive", lot, None, -qty, unit, transfer=transfer),
                Move("arrive", lot, zone, qty, unit, transfer=transfer),
            ],
            key=key,
        )

    def lost(self, transfer: str, reason: str, *, key: str | None = None) -> list[int]:
        """The in-transit quantity of a transfer is reported lost."""
        lot, qty, unit = self._in_transit(transfer)
        return self.apply(
            [Move("lost", lot, None, -qty, unit, reason=reason, transfer=transfer)], key=key
        )

    def release(
        self,
        lot: str,
        zone: str,
        quantity: float,
        unit: str,
        reason: str,
        *,
        key: str | None = None,
    ) -> list[int]:
        move = Move("release", lot, zone, -_positive(quantity), unit, reason=reason)
        return self.apply([move], key=key)

    def adjust(
        self,
        lot: str,
        zone: str,
        quantity: float,
        unit: str,
        reason: str,
        *,
        key: str | None = None,
    ) -> list[int]:
        return self.apply(
            [Move("adjustment", lot, zone, _q(quantity), unit, reason=reason)], key=key
        )

    # -- reading ---------------------------------------------------------------------------
    def balances(self) -> pd.DataFrame:
        """Balance per lot and location (zone, or 'in transit'), derived from the ledger."""
        q = (
            select(
                Lot.code,
                Lot.material,
                Lot.unit,
                Facility.code,
                Zone.code,
                func.sum(LedgerEntry.quantity),
            )
            .join(Lot, Lot.id == LedgerEntry.lot_id)
            .outerjoin(Zone, Zone.id == LedgerEntry.zone_id)
            .outerjoin(Facility, Facility.id == Zone.facility_id)
            .group_by(Lot.code, Lot.material, Lot.unit, Facility.code, Zone.code)
        )
        with Session(self.engine) as s:
            rows = s.execute(q).all()
        df = pd.DataFrame(rows, columns=["lot", "material", "unit", "facility", "zone", "quantity"])
        df["location"] = [
            "in transit" if pd.isna(z) else f"{f}/{z}"
            for f, z in zip(df["facility"], df["zone"], strict=True)
        ]
        df["quantity"] = df["quantity"].map(lambda v: _q(v))
        df = df[df["quantity"] != 0]
        return df[["lot", "material", "location", "quantity", "unit"]].reset_index(drop=True)

    def verify(self) -> VerifyReport:
        """Walk the chain: consecutive sequence numbers, links and hashes, and the head."""
        with Session(self.engine) as s:
            entries = s.scalars(select(LedgerEntry).order_by(LedgerEntry.seq)).all()
            head = s.get(LedgerHead, 1)
        prev, n = GENESIS, 0
        for i, e in enumerate(entries, start=1):
            if e.seq != i:
                return VerifyReport(
                    False,
                    n,
                    e.seq,
                    f"entry at position {i} has seq {e.seq}: "
                    "an entry was deleted or the order changed",
                )
            if e.prev_hash != prev:
                return VerifyReport(
                    False,
                    n,
                    e.seq,
                    "its link to the previous entry is broken "
                    "(an earlier entry was edited, deleted or reordered)",
                )
            if entry_hash(prev, _fields(e)) != e.hash:
                return VerifyReport(
                    False, n, e.seq, "its content does not match its hash (the entry was edited)"
                )
            prev = e.hash
            n += 1
        if head is None or head.seq != n or head.hash != prev:
            return VerifyReport(
                False,
                n,
                n + 1 if head is not None and head.seq > n else None,
                "the chain head does not match the last entry (entries were deleted from the end)",
            )
        return VerifyReport(True, n)

    # -- helpers -----------------------------------------------------------------------------
    def _lock_head(self, s: Session) -> LedgerHead:
        if self.engine.dialect.name == "postgresql":
            s.execute(text("SELECT 1 FROM ledger_head WHERE id = 1 FOR UPDATE"))
        head = s.get(LedgerHead, 1)
        if head is None:
            raise InventoryError("the database is not initialised: run `critmat inventory init`")
        return head

    @staticmethod
    def _zone_id(s: Session, ref: str) -> int:
        fac, _, zone = ref.partition("/")
        zid = s.scalar(
            select(Zone.id).join(Facility).where(Facility.code == fac, Zone.code == zone)
        )
        if zid is None:
            known = [
                f"{f}/{z}"
                for f, z in s.execute(select(Facility.code, Zone.code).join(Facility)).all()
            ]
            raise InventoryError(f"unknown zone {ref!r}; known: {', '.join(known) or 'none'}")
        return int(zid)

    @staticmethod
    def _balance(s: Session, lot_id: int, zone_id: int | None) -> Decimal:
        cond = LedgerEntry.zone_id.is_(None) if zone_id is None else LedgerEntry.zone_id == zone_id
        v = s.scalar(
            select(func.coalesce(func.sum(LedgerEntry.quantity), 0)).where(
                LedgerEntry.lot_id == lot_id, cond
            )
        )
        return _q(v or 0)

    @staticmethod
    def _to_lot_unit(m: Move, lot: Lot) -> Decimal:
        if m.unit == lot.unit:
            return _q(m.quantity)
        try:
            return _q(convert_mass(float(m.quantity), m.unit, lot.unit))
        except UnitError as exc:
            raise InventoryError(f"lot {lot.code} is kept in {lot.unit}: {exc}") from None

    def _in_transit(self, transfer: str) -> tuple[str, Decimal, str]:
        with Session(self.engine) as s:
            rows = s.execute(
                select(Lot.code, Lot.unit, func.sum(LedgerEntry.quantity))
                .join(Lot, Lot.id == LedgerEntry.lot_id)
                .where(LedgerEntry.transfer == transfer, LedgerEntry.zone_id.is_(None))
                .group_by(Lot.code, Lot.unit)
            ).all()
        open_ = [(c, _q(q), u) for c, u, q in rows if _q(q) > 0]
        if not open_:
            raise InventoryError(f"transfer {transfer!r} has nothing in transit")
        return open_[0]
