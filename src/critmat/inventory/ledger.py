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

import copy
import datetime as dt
import hashlib
import hmac
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from types import SimpleNamespace
from typing import Any
from weakref import WeakKeyDictionary

import pandas as pd
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from critmat.data.countries import iso3_codes
from critmat.data.units import MASS_UNITS, UnitError, convert_mass
from critmat.errors import CritmatError
from critmat.inventory import staging
from critmat.inventory.group_commit import GroupCommitter, HeadView, Write
from critmat.inventory.models import (
    MAX_QTY,
    MAX_USD,
    MOVEMENT_KINDS,
    Facility,
    LedgerEntry,
    Lot,
    Zone,
)

__all__ = [
    "GENESIS",
    "InventoryError",
    "Ledger",
    "Move",
    "VerifyReport",
    "check_text",
    "entry_hash",
    "facility_id",
    "lots",
    "parse_day",
    "to_tonnes",
]

GENESIS = "0" * 64
Q6 = Decimal("0.000001")


class InventoryError(CritmatError):
    """A refused operation; nothing was written."""


#: a quantity typed by a person or sent over HTTP: plain ASCII decimal digits, an optional minus
#: and decimal point; no spaces, plus sign, digit-group underscores, exponent or other scripts'
#: digits (Python's Decimal would accept all of those)
PLAIN_DECIMAL = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", re.ASCII)


def _q(x: Decimal | float | str, what: str = "quantity", limit: Decimal = MAX_QTY) -> Decimal:
    """An exact decimal with 6 places; text must be a plain ASCII decimal (:data:`PLAIN_DECIMAL`);
    NaN, infinities and values beyond ``limit`` refused."""
    if isinstance(x, str) and not PLAIN_DECIMAL.fullmatch(x):
        raise InventoryError(
            f"{what} {x!r} is not a plain decimal number (digits 0-9, an optional '-' and '.', "
            "e.g. 1000 or 12.5)"
        )
    try:
        d = Decimal(str(x))
    except (InvalidOperation, ValueError):
        raise InventoryError(f"{what} {x!r} is not a number") from None
    if not d.is_finite():
        raise InventoryError(f"{what} must be a finite number, not {x}")
    if abs(d) > limit:
        raise InventoryError(f"{what} {x} is out of range (at most {limit:,f} in absolute value)")
    return d.quantize(Q6)


def to_tonnes(quantity: Decimal | float, unit: str) -> float:
    """A quantity of a lot in tonnes (conversion by critmat.data.units)."""
    return float(convert_mass(float(quantity), unit, "t"))


def facility_id(s: Session, code: str) -> int:
    """The id of a facility code, or a refusal naming it."""
    fid = s.scalar(select(Facility.id).where(Facility.code == code))
    if fid is None:
        raise InventoryError(f"unknown facility {code!r}")
    return int(fid)


def check_text(what: str, value: str, most: int) -> str:
    """A text field: at most ``most`` characters, no control characters."""
    if len(value) > most:
        raise InventoryError(f"{what} is {len(value):,} characters long; at most {most}")
    if any(ord(c) < 32 for c in value):
        raise InventoryError(f"{what} contains control characters")
    return value


#: quantities and amounts as given: exact text or Decimal preferred (a float is taken as printed)
Number = Decimal | float | str


#: dates the inventory accepts (acquisitions, services, policies, plans)
FIRST_DAY, LAST_DAY = dt.date(1950, 1, 1), dt.date(2200, 12, 31)


def parse_day(value: str | dt.date, what: str) -> dt.date:
    """A date YYYY-MM-DD between 1950 and 2200, or a refusal naming the field."""
    if isinstance(value, dt.date):
        day = value
    else:
        try:
            day = dt.date.fromisoformat(str(value))
        except ValueError:
            raise InventoryError(f"{what} must be a date YYYY-MM-DD, not {value!r}") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise InventoryError(f"{what} {day} is outside {FIRST_DAY} to {LAST_DAY}")
    return day


def _positive(x: Number) -> Decimal:
    q = _q(x)
    if q <= 0:
        raise InventoryError(f"quantity must be positive, not {x} (use adjust for corrections)")
    return q


def lots(engine: Engine) -> pd.DataFrame:
    """The lot register."""
    from critmat.inventory.db import reader

    with Session(reader(engine)) as s:
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


class _Captured(Exception):
    """A write handed back to :meth:`Ledger.submit` instead of run (internal)."""

    def __init__(self, fn: Write, key: str | None) -> None:
        super().__init__("captured write")
        self.fn, self.key = fn, key


@dataclass(frozen=True)
class LotRef:
    """What a movement needs of its lot (kept across transactions: lots never change)."""

    id: int
    code: str
    material: str
    unit: str


#: per engine: lots by code, zone ids by "FACILITY/ZONE" (critmat.inventory.ledger._append)
_REFS: WeakKeyDictionary[Engine, tuple[dict[str, LotRef], dict[str, int]]] = WeakKeyDictionary()


def _refs(engine: Engine) -> tuple[dict[str, LotRef], dict[str, int]]:
    return _REFS.setdefault(engine, ({}, {}))


@dataclass(frozen=True)
class Context:
    """What gives an entry its meaning beyond its own columns (hashed from version 2)."""

    lot_code: str
    material: str
    lot_unit: str
    zone: str  # "FACILITY/ZONE" or "" in transit


def _fields(e: LedgerEntry | SimpleNamespace, ctx: Context | None = None) -> dict[str, object]:
    base = _fields_v1(e)
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


def _fields_v1(e: LedgerEntry | SimpleNamespace) -> dict[str, object]:
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
    signed: bool = False


class Ledger:
    """The inventory service on one database engine."""

    def __init__(
        self,
        engine: Engine,
        *,
        key: bytes | None = None,
        user: str = "",
        committer: GroupCommitter | None = None,
        with_write: Callable[[Session], None] | None = None,
    ) -> None:
        self.engine = engine
        self.key = key
        self.user = user
        #: called in each successful write's transaction after its entries (the HTTP API adds
        #: its audit row there: one commit for the movement and its audit row)
        self.with_write = with_write
        #: writes committed with ``with_write`` by this object
        self.committed_with_write = 0
        self._capture = False  # submit(): the write is handed back, not run
        #: with a committer (the HTTP server's), writes share group commits
        #: (critmat.inventory.group_commit); without, each write is its own transaction
        self.committer = committer
        check_text("user", user, 120)

    def _write(self, fn: Write, key: str | None = None) -> list[int]:
        """Run a chain write ``fn(session, head)`` under the head lock, grouped if possible;
        ``key`` (the request's idempotency key) lets a group look its keys up at once."""
        if key is not None and not key.strip():
            raise InventoryError(
                "the idempotency key is empty: give a key that names the request (e.g. the "
                "delivery note) or none"
            )
        if self.with_write is not None:
            fn = self._also(fn, self.with_write)
        if self._capture:
            raise _Captured(fn, key)
        seqs = self.committer.run(fn, key) if self.committer is not None else self._alone(fn)
        if self.with_write is not None:
            self.committed_with_write += 1
        return seqs

    def _alone(self, fn: Write) -> list[int]:
        """One write in its own transaction: the head locked, the staged entries inserted, the
        head written back if it moved."""
        with Session(self.engine) as s, s.begin():
            head = self._lock_head(s)
            seq0 = head.seq
            seqs = fn(s, head)
            staging.flush(s)
            if head.seq != seq0:
                self._store_head(s, head)
            return seqs

    async def submit(self, call: Callable[[Ledger], list[int]]) -> list[int]:
        """Run a write operation from a coroutine, e.g. ``await led.submit(lambda l:
        l.receive(...))``: its checks run here, its booking joins the next group commit and is
        awaited on the event loop (GroupCommitter.arun), not in a thread. Needs a committer.
        Every write operation ends with one chain write, which is what is submitted."""
        if self.committer is None:
            raise InventoryError("submit needs a group committer")
        shadow = copy.copy(self)
        shadow._capture = True
        try:
            call(shadow)
        except _Captured as write:
            seqs = await self.committer.arun(write.fn, write.key)
        else:
            raise InventoryError("the operation made no ledger write")
        if self.with_write is not None:
            self.committed_with_write += 1
        return seqs

    @staticmethod
    def _also(fn: Write, extra: Callable[[Session], None]) -> Write:
        def both(s: Session, head: HeadView) -> list[int]:
            seqs = fn(s, head)
            extra(s)  # only once the write passed every check
            return seqs

        return both

    def _mac(self, seq: int, head_hash: str) -> str:
        """HMAC-SHA256 of the chain head with the ledger key ("" without a key)."""
        if self.key is None:
            return ""
        return hmac.new(self.key, f"{seq}:{head_hash}".encode(), hashlib.sha256).hexdigest()

    # -- reference data -----------------------------------------------------------------
    @staticmethod
    def _code(what: str, value: str, most: int) -> str:
        """A code: 1-``most`` characters, no spaces, slashes or control characters."""
        check_text(what, value, most)
        if not value or any(c.isspace() or c in "/#%" for c in value):
            raise InventoryError(
                f"{what} {value!r} must be 1-{most} characters without spaces, '/', '#' or '%'"
            )
        return value

    def add_facility(
        self,
        code: str,
        name: str,
        zones: Sequence[str],
        *,
        location: str = "",
        climate_controlled: bool = False,
        capacity_t: Number = 0.0,
        security_level: str = "standard",
    ) -> None:
        """Create a facility with its zones (codes checked, capacity finite and >= 0)."""
        self._code("facility code", code, 40)
        check_text("facility name", name, 200)
        check_text("location", location, 200)
        check_text("security level", security_level, 40)
        cap = _q(capacity_t, "capacity_t")
        if cap < 0:
            raise InventoryError(f"capacity_t must not be negative, not {capacity_t}")
        if not zones:
            raise InventoryError("a facility needs at least one zone")
        for z in zones:
            self._code("zone code", z, 40)
        if len(set(zones)) != len(zones):
            dup = sorted({z for z in zones if list(zones).count(z) > 1})
            raise InventoryError(f"zone code(s) given twice: {', '.join(dup)}")
        with Session(self.engine) as s, s.begin():
            if s.scalar(select(Facility).where(Facility.code == code)) is not None:
                raise InventoryError(f"facility {code!r} exists already")
            f = Facility(
                code=code,
                name=name,
                location=location,
                climate_controlled=climate_controlled,
                capacity_t=cap,
                security_level=security_level,
            )
            s.add(f)
            s.flush()
            for z in zones:
                s.add(Zone(facility_id=f.id, code=z, conditions=""))

    def add_lot(self, code: str, material: str, unit: str = "t", **attrs: object) -> None:
        """Register a lot (its quantity comes from receipts): a known material and origin
        country, a mass unit, a cost finite and >= 0, texts within their lengths."""
        from critmat.data.catalogue import MATERIALS

        self._code("lot code", code, 60)
        if unit not in MASS_UNITS:
            raise InventoryError(f"unit {unit!r} is not a mass unit ({', '.join(MASS_UNITS)})")
        known = {m.id for m in MATERIALS}
        if material not in known:
            raise InventoryError(
                f"unknown material {material!r}; known: {', '.join(sorted(known))}"
            )
        origin = str(attrs.get("origin_country", "") or "")
        if origin and origin not in iso3_codes():
            raise InventoryError(
                f"origin country {origin!r} is not an ISO 3166 alpha-3 code (e.g. COD, CHN)"
            )
        cost = _q(attrs.get("cost_usd", 0) or 0, "cost_usd", MAX_USD)  # type: ignore[arg-type]
        if cost < 0:
            raise InventoryError(f"cost_usd must not be negative, not {cost}")
        for what, most in (("form", 80), ("purity", 40), ("packaging", 80), ("supplier", 120),
                           ("certificate", 120)):  # fmt: skip
            check_text(what, str(attrs.get(what, "") or ""), most)
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
                    cost_usd=cost.quantize(Decimal("0.01")),
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

        With ``key``, a retry of the same request returns the sequence numbers booked the first
        time; the key reused for a different request is refused, with both shown.
        """
        if not moves:
            raise InventoryError("no movements given")
        if _pause is not None:  # tests interleave a second writer: one transaction of its own
            return self._alone(
                lambda s, head: self._append(s, head, moves, key=key, batch=batch, _pause=_pause)
            )
        return self._write(lambda s, head: self._append(s, head, moves, key=key, batch=batch), key)

    def _append(
        self,
        s: Session,
        head: HeadView,
        moves: Sequence[Move],
        *,
        key: str | None,
        batch: str = "",
        _pause: object = None,
    ) -> list[int]:
        """Book ``moves`` in the open, head-locked session ``s``."""
        check_text("idempotency key", key or "", 100)
        check_text("batch", batch, 80)
        lots = {m.lot for m in moves}
        # lots and zones found once are not queried again: they are never renamed, changed or
        # deleted once created (a new code is looked up when first used)
        known, zones = _refs(self.engine)
        new = lots - set(known)
        if new:
            found = s.execute(
                select(Lot.id, Lot.code, Lot.material, Lot.unit).where(Lot.code.in_(new))
            )
            known.update({r.code: LotRef(r.id, r.code, r.material, r.unit) for r in found})
        lot_rows = {c: known[c] for c in lots if c in known}
        missing = sorted(lots - set(lot_rows))
        if missing:
            raise InventoryError(f"unknown lot(s): {', '.join(missing)}")
        for m in moves:
            if m.zone is not None and m.zone not in zones:
                zones[m.zone] = self._zone_id(s, m.zone)
        zone_ids = {m.zone: zones[m.zone] for m in moves if m.zone is not None}
        planned = []
        for i, m in enumerate(moves):
            if m.kind not in MOVEMENT_KINDS:
                raise InventoryError(f"movement {i + 1}: unknown kind {m.kind!r}")
            for what, value, most in (
                ("reason", m.reason, 300),
                ("transfer", m.transfer, 60),
                ("carrier", m.carrier, 120),
                ("route", m.route, 200),
                ("seal", m.seal, 60),
            ):
                check_text(what, value, most)
            lot = lot_rows[m.lot]
            qty = self._to_lot_unit(m, lot)
            if qty == 0:
                raise InventoryError(f"movement {i + 1}: quantity must not be zero")
            if (
                m.kind in ("adjustment", "release", "lost", "rotation_sale")
                and not m.reason.strip()
            ):
                raise InventoryError(f"movement {i + 1}: a {m.kind} needs a reason")
            zid = zone_ids.get(m.zone) if m.zone is not None else None
            planned.append((m, lot, zid, qty))
        if key is not None:
            done = self._booked(s, key, [(m.kind, lot.id, zid, q) for m, lot, zid, q in planned])
            if done is not None:
                return done
        deltas: dict[tuple[int, int | None], Decimal] = {}
        rows: list[dict[str, Any]] = []
        now = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
        prev, seq = head.hash, head.seq
        zone_name = {v: k for k, v in zone_ids.items()}
        for i, (m, lot, zid, qty) in enumerate(planned):
            deltas[(lot.id, zid)] = deltas.get((lot.id, zid), Decimal(0)) + qty
            seq += 1
            e = dict(  # the entry's columns (staged for a Core INSERT, no ORM object)
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
                hash_version=2,
                booked_by=self.user,
            )
            ctx = Context(lot.code, lot.material, lot.unit, zone_name.get(zid, "") if zid else "")
            e["hash"] = prev = entry_hash(prev, _fields(SimpleNamespace(**e), ctx))
            rows.append(e)
        for (lot_id, zid), delta in deltas.items():
            if delta < 0:
                bal = self._balance(s, lot_id, zid)
                if bal + delta < 0:
                    where = "in transit" if zid is None else f"in {zone_name.get(zid, zid)}"
                    code = next(c for c, lt in lot_rows.items() if lt.id == lot_id)
                    raise InventoryError(
                        f"lot {code} {where}: balance {bal} would become {bal + delta} "
                        "(no balance may go negative)"
                    )
        # every check passed: stage the entries (inserted together at the end of the transaction)
        values, st = rows, staging.staged(s)
        if _pause is not None:  # tests: half the entries written, then a second writer tries
            st.add(key, values[: len(values) // 2 + 1])
            staging.flush(s)
            _pause()  # type: ignore[operator]
            values = values[len(values) // 2 + 1 :]
        st.add(key, values)
        head.seq, head.hash = seq, prev
        head.mac = self._mac(seq, prev)
        return [int(e["seq"]) for e in rows]

    @staticmethod
    def _booked(
        s: Session, key: str, request: list[tuple[str, int, int | None, Decimal]]
    ) -> list[int] | None:
        """The entries booked under ``key`` (exact match; staged in this transaction or in the
        database), or None; refused when they were booked for another request."""
        st = staging.staged(s)
        if key in st.keys:
            got = st.keys[key]
        elif key in st.absent:  # the group's lookup found it unused
            return None
        else:
            names = [f"{key}#{i}" for i in range(len(request) + 1)]
            got = [
                (e.kind, e.lot_id, e.zone_id, _q(e.quantity), e.seq)
                for e in s.scalars(
                    select(LedgerEntry).where(LedgerEntry.idempotency_key.in_(names))
                )
            ]
        if not got:
            return None
        got = sorted(got, key=lambda e: e[4])
        booked = [(k, lt, z, _q(q)) for k, lt, z, q, _ in got]
        if booked != [(k, lt, z, _q(q)) for k, lt, z, q in request]:

            def show(items: list[tuple[str, int, int | None, Decimal]]) -> str:
                return "; ".join(f"{k} lot#{lt} zone#{z} {q}" for k, lt, z, q in items)

            raise InventoryError(
                f"idempotency key {key!r} was already used for another request: booked "
                f"[{show(booked)}], requested [{show(request)}]"
            )
        return [e[4] for e in got]

    def receive(
        self, lot: str, zone: str, quantity: Number, unit: str, *, key: str | None = None
    ) -> list[int]:
        """Book a receipt into ``zone`` ("FACILITY/ZONE")."""
        return self.apply([Move("receipt", lot, zone, _positive(quantity), unit)], key=key)

    def sell(
        self,
        lot: str,
        zone: str,
        quantity: Number,
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
        quantity: Number,
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
        if not transfer:
            raise InventoryError("a dispatch needs a transfer id")
        common = {"transfer": transfer, "carrier": carrier, "route": route, "seal": seal}
        moves = [
            Move("dispatch", lot, zone, -q, unit, **common),
            Move("dispatch", lot, None, q, unit, **common),
        ]

        def book(s: Session, head: HeadView) -> list[int]:
            staging.flush(s)  # the query below must see what this transaction staged
            used = s.scalars(
                select(LedgerEntry).where(LedgerEntry.transfer == transfer).limit(1)
            ).first()
            if used is not None and (key is None or used.idempotency_key != f"{key}#0"):
                raise InventoryError(f"transfer id {transfer!r} is used already")
            return self._append(s, head, moves, key=key)

        return self._write(book, key)

    def arrive(self, transfer: str, zone: str, *, key: str | None = None) -> list[int]:
        """The whole in-transit quantity of a transfer arrives in a zone (exactly once: the
        transfer's state is read under the writers' lock)."""
        return self._close_transfer(transfer, "arrive", zone, "", key)

    def lost(self, transfer: str, reason: str, *, key: str | None = None) -> list[int]:
        """The in-transit quantity of a transfer is reported lost (exactly once)."""
        return self._close_transfer(transfer, "lost", None, reason, key)

    def _close_transfer(
        self, transfer: str, kind: str, zone: str | None, reason: str, key: str | None
    ) -> list[int]:
        """dispatched -> arrived | lost, with the in-transit quantity read under the lock."""

        def book(s: Session, head: HeadView) -> list[int]:
            staging.flush(s)  # the queries below must see what this transaction staged
            if key is not None:
                prior = s.scalars(
                    select(LedgerEntry).where(LedgerEntry.idempotency_key == f"{key}#0")
                ).first()
                if prior is not None and prior.kind == kind and prior.transfer == transfer:
                    seqs = s.scalars(
                        select(LedgerEntry.seq).where(
                            LedgerEntry.idempotency_key.in_([f"{key}#0", f"{key}#1"])
                        )
                    ).all()
                    return sorted(seqs)
                if prior is not None:
                    raise InventoryError(
                        f"idempotency key {key!r} was already used for another request: booked "
                        f"{prior.kind} of transfer {prior.transfer!r}, requested {kind} of "
                        f"transfer {transfer!r}"
                    )
            lot, qty, unit = self._in_transit(s, transfer)
            if kind == "arrive":
                assert zone is not None
                moves = [
                    Move("arrive", lot, None, -qty, unit, transfer=transfer),
                    Move("arrive", lot, zone, qty, unit, transfer=transfer),
                ]
            else:
                moves = [Move("lost", lot, None, -qty, unit, reason=reason, transfer=transfer)]
            return self._append(s, head, moves, key=key)

        return self._write(book, key)

    def release(
        self,
        lot: str,
        zone: str,
        quantity: Number,
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
        quantity: Number,
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
        from critmat.inventory.db import reader

        with Session(reader(self.engine)) as s:
            rows = s.execute(q).all()
        df = pd.DataFrame(rows, columns=["lot", "material", "unit", "facility", "zone", "quantity"])
        df["location"] = [
            "in transit" if pd.isna(z) else f"{f}/{z}"
            for f, z in zip(df["facility"], df["zone"], strict=True)
        ]
        df["quantity"] = df["quantity"].map(lambda v: _q(v))
        df = df[df["quantity"] != 0]
        return df[["lot", "material", "location", "quantity", "unit"]].reset_index(drop=True)

    def verify(self, anchor: dict[str, object] | None = None) -> VerifyReport:
        """Prove the history (critmat.inventory.proof.verify)."""
        from critmat.inventory.proof import verify

        return verify(self, anchor)

    def export_anchor(self) -> dict[str, object]:
        """The signed head and counts, to keep outside the database (``verify --anchor``)."""
        from critmat.inventory.proof import export_anchor

        return export_anchor(self)

    def sign(self, old_key: bytes | None = None) -> int:
        """(Re-)sign the chain head with this ledger's key (critmat.inventory.proof.sign)."""
        from critmat.inventory.proof import sign

        return sign(self, old_key)

    # -- helpers -----------------------------------------------------------------------------
    def _lock_head(self, s: Session) -> HeadView:
        """The chain head, locked for this transaction (PostgreSQL: the row lock; SQLite: the
        write lock taken at BEGIN IMMEDIATE); a copy that :meth:`_store_head` writes back."""
        lock = " FOR UPDATE" if self.engine.dialect.name == "postgresql" else ""
        row = s.execute(text(f"SELECT seq, hash, mac FROM ledger_head WHERE id = 1{lock}")).first()
        if row is None:
            raise InventoryError("the database is not initialised: run `critmat inventory init`")
        return HeadView(int(row[0]), str(row[1]), str(row[2] or ""))

    @staticmethod
    def _store_head(s: Session, head: HeadView) -> None:
        """Write the head back (once per transaction, after its entries)."""
        s.execute(
            text("UPDATE ledger_head SET seq = :seq, hash = :hash, mac = :mac WHERE id = 1"),
            {"seq": head.seq, "hash": head.hash, "mac": head.mac},
        )

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
        """The balance in the database plus what this transaction staged."""
        cond = LedgerEntry.zone_id.is_(None) if zone_id is None else LedgerEntry.zone_id == zone_id
        v = s.scalar(
            select(func.coalesce(func.sum(LedgerEntry.quantity), 0)).where(
                LedgerEntry.lot_id == lot_id, cond
            )
        )
        return _q(v or 0) + staging.staged(s).deltas.get((lot_id, zone_id), Decimal(0))

    @staticmethod
    def _to_lot_unit(m: Move, lot: LotRef) -> Decimal:
        if m.unit == lot.unit:
            return _q(m.quantity)
        try:
            return _q(convert_mass(float(m.quantity), m.unit, lot.unit))
        except UnitError as exc:
            raise InventoryError(f"lot {lot.code} is kept in {lot.unit}: {exc}") from None

    @staticmethod
    def _in_transit(s: Session, transfer: str) -> tuple[str, Decimal, str]:
        rows = s.execute(
            select(Lot.code, Lot.unit, func.sum(LedgerEntry.quantity))
            .join(Lot, Lot.id == LedgerEntry.lot_id)
            .where(LedgerEntry.transfer == transfer, LedgerEntry.zone_id.is_(None))
            .group_by(Lot.code, Lot.unit)
        ).all()
        open_ = [(c, _q(q), u) for c, u, q in rows if _q(q) > 0]
        if not open_:
            known = s.scalar(select(func.count()).where(LedgerEntry.transfer == transfer))
            state = "it has arrived or was lost already" if known else "no such transfer"
            raise InventoryError(f"transfer {transfer!r} has nothing in transit ({state})")
        return open_[0]
