"""The ledger: every change of quantity is an appended, hash-chained movement.

Rules enforced in one database transaction per call (or per batch):
- balances are derived (sum of movements per lot and zone; zone NULL = in transit);
- no balance goes negative, also under concurrent writers (writers lock the chain head);
- a transfer's dispatch, arrival or loss conserves quantity (out = in, in one transaction);
- an idempotency key makes a retried request return the booked movements instead of booking
  twice;
- adjustments, releases and losses need a reason.

Every kind of movement is declared in :mod:`critmat.usecases.movements` and booked through one
path, :meth:`Ledger.book`; the hash chain is :mod:`critmat.inventory.chain`, the registers of
facilities and lots :mod:`critmat.inventory.registers`, the read models
:mod:`critmat.inventory.read_models`.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pandas as pd
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from critmat.data.units import UnitError, convert_mass
from critmat.inventory import chain, read_models, registers, staging
from critmat.inventory.checks import InventoryError, Number, check_text, exact, positive
from critmat.inventory.group_commit import GroupCommitter, HeadView, Write
from critmat.inventory.models import LedgerEntry, Lot
from critmat.inventory.proof import VerifyReport, export_anchor, sign, verify
from critmat.inventory.registers import LotRef
from critmat.usecases import movements
from critmat.usecases.movements import TRANSIT, MovementKind

__all__ = ["Ledger", "Move"]

#: the descriptive fields a movement carries beside its quantity (hashed with it)
META = ("reason", "transfer", "carrier", "route", "seal")
#: their longest lengths
META_LENGTHS = {"reason": 300, "transfer": 60, "carrier": 120, "route": 200, "seal": 60}


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


class _Captured(Exception):
    """A write handed back to :meth:`Ledger.submit` instead of run (internal)."""

    def __init__(self, fn: Write, key: str | None) -> None:
        super().__init__("captured write")
        self.fn, self.key = fn, key


@dataclass(frozen=True)
class _Planned:
    """A movement checked and resolved: its lot, zone id and quantity in the lot's unit."""

    move: Move
    lot: LotRef
    zone_id: int | None
    quantity: Decimal


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

    # -- the write path ----------------------------------------------------------------------
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
        """HMAC-SHA256 of the chain head with this ledger's key (critmat.inventory.chain)."""
        return chain.head_mac(self.key, seq, head_hash)

    def _lock_head(self, s: Session) -> HeadView:
        """The chain head, locked for this transaction (critmat.inventory.chain.lock_head)."""
        return chain.lock_head(self.engine, s)

    _store_head = staticmethod(chain.store_head)

    # -- the registers -----------------------------------------------------------------------
    def add_facility(self, code: str, name: str, zones: Sequence[str], **attrs: Any) -> None:
        """Create a facility with its zones (critmat.inventory.registers.add_facility)."""
        registers.add_facility(self.engine, code, name, zones, **attrs)

    def add_lot(self, code: str, material: str, unit: str = "t", **attrs: object) -> None:
        """Register a lot (critmat.inventory.registers.add_lot)."""
        registers.add_lot(self.engine, code, material, unit, **attrs)

    def set_lot(self, code: str, **attrs: object) -> dict[str, tuple[object, object]]:
        """Set a lot's attributes (critmat.inventory.registers.set_lot)."""
        return registers.set_lot(self.engine, code, **attrs)

    # -- movements: one booking path ---------------------------------------------------------
    def book(self, kind: str, *, key: str | None = None, **values: Number) -> list[int]:
        """Book one movement of a declared kind (critmat.usecases.movements) from its
        parameters, e.g. ``book("receipt", lot="L1", zone="F/A", quantity="5")``; with
        ``key``, a retry returns what the first request booked."""
        try:
            k = movements.get(kind)
        except KeyError as exc:
            raise InventoryError(str(exc.args[0])) from None
        given = _values(k, values)
        meta = {f: str(given.get(f, "")) for f in META}
        if k.closes_transfer:
            return self._close_transfer(k, given, meta, key)
        signed = any(leg.sign == 0 for leg in k.legs)
        q = exact(given["quantity"]) if signed else positive(given["quantity"])
        moves = [
            Move(k.name, str(given["lot"]), None if leg.at == TRANSIT else str(given[leg.at]),
                 q if leg.sign == 0 else leg.sign * q, str(given["unit"]), **meta)
            for leg in k.legs
        ]  # fmt: skip
        if not k.opens_transfer:
            return self.apply(moves, key=key)
        transfer = meta["transfer"]
        if not transfer:
            raise InventoryError(f"a {k.name} needs a transfer id")

        def book(s: Session, head: HeadView) -> list[int]:
            staging.flush(s)  # the query below must see what this transaction staged
            used = s.scalars(
                select(LedgerEntry).where(LedgerEntry.transfer == transfer).limit(1)
            ).first()
            if used is not None and (key is None or used.idempotency_key != f"{key}#0"):
                raise InventoryError(f"transfer id {transfer!r} is used already")
            return self._append(s, head, moves, key=key)

        return self._write(book, key)

    def _close_transfer(
        self, k: MovementKind, given: dict[str, Number], meta: dict[str, str], key: str | None
    ) -> list[int]:
        """Close a transfer (arrived, lost): its whole in-transit quantity, read under the
        writers' lock, so exactly once."""
        transfer = meta["transfer"]

        def book(s: Session, head: HeadView) -> list[int]:
            staging.flush(s)  # the queries below must see what this transaction staged
            if key is not None:
                done = _closed_before(s, key, k.name, transfer)
                if done is not None:
                    return done
            lot, qty, unit = self._in_transit(s, transfer)
            moves = [
                Move(k.name, lot, None if leg.at == TRANSIT else str(given[leg.at]),
                     leg.sign * qty, unit, **meta)
                for leg in k.legs
            ]  # fmt: skip
            return self._append(s, head, moves, key=key)

        return self._write(book, key)

    def receive(
        self, lot: str, zone: str, quantity: Number, unit: str, *, key: str | None = None
    ) -> list[int]:
        """Book a receipt into ``zone`` ("FACILITY/ZONE")."""
        return self.book("receipt", lot=lot, zone=zone, quantity=quantity, unit=unit, key=key)

    def sell(
        self, lot: str, zone: str, quantity: Number, unit: str, reason: str, *,
        key: str | None = None,
    ) -> list[int]:  # fmt: skip
        """A rotation sale out of a zone (a reason is required)."""
        return self.book("rotation_sale", lot=lot, zone=zone, quantity=quantity, unit=unit,
                         reason=reason, key=key)  # fmt: skip

    def dispatch(
        self, lot: str, zone: str, quantity: Number, unit: str, *, transfer: str, carrier: str,
        route: str, seal: str, key: str | None = None,
    ) -> list[int]:  # fmt: skip
        """Out of a zone into transit (conserved: -q in the zone, +q in transit)."""
        return self.book("dispatch", lot=lot, zone=zone, quantity=quantity, unit=unit,
                         transfer=transfer, carrier=carrier, route=route, seal=seal,
                         key=key)  # fmt: skip

    def arrive(self, transfer: str, zone: str, *, key: str | None = None) -> list[int]:
        """The whole in-transit quantity of a transfer arrives in a zone (exactly once)."""
        return self.book("arrive", transfer=transfer, zone=zone, key=key)

    def lost(self, transfer: str, reason: str, *, key: str | None = None) -> list[int]:
        """The in-transit quantity of a transfer is reported lost (exactly once)."""
        return self.book("lost", transfer=transfer, reason=reason, key=key)

    def release(
        self, lot: str, zone: str, quantity: Number, unit: str, reason: str, *,
        key: str | None = None,
    ) -> list[int]:  # fmt: skip
        """A release out of a zone (a reason is required)."""
        return self.book("release", lot=lot, zone=zone, quantity=quantity, unit=unit,
                         reason=reason, key=key)  # fmt: skip

    def adjust(
        self, lot: str, zone: str, quantity: Number, unit: str, reason: str, *,
        key: str | None = None,
    ) -> list[int]:  # fmt: skip
        """A signed correction in a zone (a reason is required)."""
        return self.book("adjustment", lot=lot, zone=zone, quantity=quantity, unit=unit,
                         reason=reason, key=key)  # fmt: skip

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
        planned = self._plan(s, moves)
        if key is not None:
            request = [(p.move.kind, p.lot.id, p.zone_id, p.quantity) for p in planned]
            done = _booked(s, key, request)
            if done is not None:
                return done
        zone_name = {p.zone_id: str(p.move.zone) for p in planned if p.zone_id is not None}
        rows = self._entries(head, planned, zone_name, key=key, batch=batch)
        self._no_negative(s, planned, zone_name)
        # every check passed: stage the entries (inserted together at the end of the transaction)
        values, st = rows, staging.staged(s)
        if _pause is not None:  # tests: half the entries written, then a second writer tries
            st.add(key, values[: len(values) // 2 + 1])
            staging.flush(s)
            _pause()  # type: ignore[operator]
            values = values[len(values) // 2 + 1 :]
        st.add(key, values)
        head.seq, head.hash = int(rows[-1]["seq"]), str(rows[-1]["hash"])
        head.mac = self._mac(head.seq, head.hash)
        return [int(e["seq"]) for e in rows]

    def _plan(self, s: Session, moves: Sequence[Move]) -> list[_Planned]:
        """Each movement checked (a declared kind, texts, non-zero, a reason where its kind
        needs one) and resolved (lot, zone id, quantity in the lot's unit)."""
        lots = registers.lot_refs(self.engine, s, {m.lot for m in moves})
        zones = registers.zone_ids(self.engine, s, [m.zone for m in moves if m.zone is not None])
        planned = []
        for i, m in enumerate(moves):
            kind = movements.MOVEMENTS.get(m.kind)
            if kind is None:
                raise InventoryError(f"movement {i + 1}: unknown kind {m.kind!r}")
            for what in META:
                check_text(what, getattr(m, what), META_LENGTHS[what])
            lot = lots[m.lot]
            qty = _to_lot_unit(m, lot)
            if qty == 0:
                raise InventoryError(f"movement {i + 1}: quantity must not be zero")
            if kind.reason and not m.reason.strip():
                raise InventoryError(f"movement {i + 1}: a {m.kind} needs a reason")
            planned.append(_Planned(m, lot, zones[m.zone] if m.zone is not None else None, qty))
        return planned

    def _entries(
        self, head: HeadView, planned: list[_Planned], zone_name: dict[int, str], *,
        key: str | None, batch: str,
    ) -> list[dict[str, Any]]:  # fmt: skip
        """The entries' columns, each hashed on the previous (staged for a Core INSERT)."""
        now = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
        prev, seq, rows = head.hash, head.seq, []
        for i, p in enumerate(planned):
            seq += 1
            m = p.move
            e: dict[str, Any] = dict(
                seq=seq, created_at=now, kind=m.kind, lot_id=p.lot.id, zone_id=p.zone_id,
                quantity=p.quantity, unit=p.lot.unit, reason=m.reason, transfer=m.transfer,
                carrier=m.carrier, route=m.route, seal=m.seal, batch=batch,
                idempotency_key=f"{key}#{i}" if key is not None else None, prev_hash=prev,
                hash="", hash_version=2, booked_by=self.user,
            )  # fmt: skip
            zone = zone_name.get(p.zone_id, "") if p.zone_id else ""
            ctx = chain.Context(p.lot.code, p.lot.material, p.lot.unit, zone)
            e["hash"] = prev = chain.entry_hash(prev, chain.entry_fields(SimpleNamespace(**e), ctx))
            rows.append(e)
        return rows

    def _no_negative(self, s: Session, planned: list[_Planned], zone_name: dict[int, str]) -> None:
        """Refuse the whole request if any balance would go below zero."""
        deltas: dict[tuple[LotRef, int | None], Decimal] = {}
        for p in planned:
            deltas[(p.lot, p.zone_id)] = deltas.get((p.lot, p.zone_id), Decimal(0)) + p.quantity
        for (lot, zid), delta in deltas.items():
            if delta < 0:
                bal = _balance(s, lot.id, zid)
                if bal + delta < 0:
                    where = "in transit" if zid is None else f"in {zone_name.get(zid, zid)}"
                    raise InventoryError(
                        f"lot {lot.code} {where}: balance {bal} would become {bal + delta} "
                        "(no balance may go negative)"
                    )

    # -- reading -----------------------------------------------------------------------------
    def balances(self) -> pd.DataFrame:
        """Balance per lot and location (critmat.inventory.read_models.balances)."""
        return read_models.balances(self.engine)

    def verify(self, anchor: dict[str, object] | None = None) -> VerifyReport:
        """Prove the history (critmat.inventory.proof.verify)."""

        return verify(self, anchor)

    def export_anchor(self) -> dict[str, object]:
        """The signed head and counts, to keep outside the database (``verify --anchor``)."""

        return export_anchor(self)

    def sign(self, old_key: bytes | None = None) -> int:
        """(Re-)sign the chain head with this ledger's key (critmat.inventory.proof.sign)."""

        return sign(self, old_key)

    @staticmethod
    def _in_transit(s: Session, transfer: str) -> tuple[str, Decimal, str]:
        rows = s.execute(
            select(Lot.code, Lot.unit, func.sum(LedgerEntry.quantity))
            .join(Lot, Lot.id == LedgerEntry.lot_id)
            .where(LedgerEntry.transfer == transfer, LedgerEntry.zone_id.is_(None))
            .group_by(Lot.code, Lot.unit)
        ).all()
        open_ = [(c, exact(q), u) for c, u, q in rows if exact(q) > 0]
        if not open_:
            known = s.scalar(select(func.count()).where(LedgerEntry.transfer == transfer))
            state = "it has arrived or was lost already" if known else "no such transfer"
            raise InventoryError(f"transfer {transfer!r} has nothing in transit ({state})")
        return open_[0]


def _values(k: MovementKind, values: dict[str, Number]) -> dict[str, Number]:
    """A movement's parameters with their defaults; unknown or missing ones refused."""
    unknown = sorted(set(values) - set(k.names))
    if unknown:
        raise InventoryError(f"a {k.name} takes {', '.join(k.names)}; not {', '.join(unknown)}")
    out: dict[str, Number] = {}
    for p in k.params:
        v = values.get(p.name, p.default)
        if v is None:
            raise InventoryError(f"a {k.name} needs {p.name} ({p.help.rstrip('.')})")
        out[p.name] = v
    return out


def _closed_before(s: Session, key: str, kind: str, transfer: str) -> list[int] | None:
    """The entries a retried transfer closing booked under ``key`` (None: not booked yet);
    the key used for another request is refused."""
    prior = s.scalars(select(LedgerEntry).where(LedgerEntry.idempotency_key == f"{key}#0")).first()
    if prior is None:
        return None
    if prior.kind == kind and prior.transfer == transfer:
        seqs = s.scalars(
            select(LedgerEntry.seq).where(LedgerEntry.idempotency_key.in_([f"{key}#0", f"{key}#1"]))
        ).all()
        return sorted(seqs)
    raise InventoryError(
        f"idempotency key {key!r} was already used for another request: booked "
        f"{prior.kind} of transfer {prior.transfer!r}, requested {kind} of transfer {transfer!r}"
    )


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
            (e.kind, e.lot_id, e.zone_id, exact(e.quantity), e.seq)
            for e in s.scalars(select(LedgerEntry).where(LedgerEntry.idempotency_key.in_(names)))
        ]
    if not got:
        return None
    got = sorted(got, key=lambda e: e[4])
    booked = [(k, lt, z, exact(q)) for k, lt, z, q, _ in got]
    if booked != [(k, lt, z, exact(q)) for k, lt, z, q in request]:

        def show(items: list[tuple[str, int, int | None, Decimal]]) -> str:
            return "; ".join(f"{k} lot#{lt} zone#{z} {q}" for k, lt, z, q in items)

        raise InventoryError(
            f"idempotency key {key!r} was already used for another request: booked "
            f"[{show(booked)}], requested [{show(request)}]"
        )
    return [e[4] for e in got]


def _balance(s: Session, lot_id: int, zone_id: int | None) -> Decimal:
    """The balance in the database plus what this transaction staged."""
    cond = LedgerEntry.zone_id.is_(None) if zone_id is None else LedgerEntry.zone_id == zone_id
    v = s.scalar(
        select(func.coalesce(func.sum(LedgerEntry.quantity), 0)).where(
            LedgerEntry.lot_id == lot_id, cond
        )
    )
    return exact(v or 0) + staging.staged(s).deltas.get((lot_id, zone_id), Decimal(0))


def _to_lot_unit(m: Move, lot: LotRef) -> Decimal:
    if m.unit == lot.unit:
        return exact(m.quantity)
    try:
        return exact(convert_mass(float(m.quantity), m.unit, lot.unit))
    except UnitError as exc:
        raise InventoryError(f"lot {lot.code} is kept in {lot.unit}: {exc}") from None
