"""Read models of the inventory: balances derived from the ledger, the movement history (one
page at a time, filtered) and sensor readings with the zone's spec limits (the limits a reading
is checked against, critmat.inventory.monitoring)."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from critmat.database import reader
from critmat.inventory.checks import InventoryError, exact, parse_day
from critmat.inventory.models import Facility, LedgerEntry, Lot, SensorReading, Zone
from critmat.inventory.monitoring import METRICS, _limits

__all__ = ["balances", "movements", "readings"]

MOVEMENT_COLUMNS = ["seq", "created_at", "kind", "lot", "material", "location", "quantity",
                    "unit", "transfer", "reason", "booked_by"]  # fmt: skip


def balances(engine: Engine) -> pd.DataFrame:
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
    with Session(reader(engine)) as s:
        rows = s.execute(q).all()
    df = pd.DataFrame(rows, columns=["lot", "material", "unit", "facility", "zone", "quantity"])
    df["location"] = [
        "in transit" if pd.isna(z) else f"{f}/{z}"
        for f, z in zip(df["facility"], df["zone"], strict=True)
    ]
    df["quantity"] = df["quantity"].map(lambda v: exact(v))
    df = df[df["quantity"] != 0]
    return df[["lot", "material", "location", "quantity", "unit"]].reset_index(drop=True)


def movements(
    engine: Engine,
    *,
    lot: str | None = None,
    kind: str | None = None,
    facility: str | None = None,
    user: str | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[int, pd.DataFrame]:
    """The movement history, newest first, with filters (lot, kind, facility, the user who
    booked, booked on or after ``since`` and on or before ``until``, dates YYYY-MM-DD); returns
    (matching rows, the page). Quantities are exact decimals as text, in the lot's unit."""
    q = (
        select(LedgerEntry, Lot.code, Lot.material, Facility.code, Zone.code)
        .join(Lot, Lot.id == LedgerEntry.lot_id)
        .outerjoin(Zone, Zone.id == LedgerEntry.zone_id)
        .outerjoin(Facility, Facility.id == Zone.facility_id)
    )
    if lot:
        q = q.where(Lot.code == lot)
    if kind:
        q = q.where(LedgerEntry.kind == kind)
    if facility:
        q = q.where(Facility.code == facility)
    if user:
        q = q.where(LedgerEntry.booked_by == user)
    if since:  # created_at is ISO 8601 UTC text: dates compare as text
        q = q.where(LedgerEntry.created_at >= str(parse_day(since, "since")))
    if until:
        q = q.where(LedgerEntry.created_at < f"{parse_day(until, 'until')}~")
    with Session(reader(engine)) as s:
        total = int(s.scalar(select(func.count()).select_from(q.subquery())) or 0)
        rows = s.execute(q.order_by(LedgerEntry.seq.desc()).limit(limit).offset(offset)).all()
        out = [
            {"seq": e.seq, "created_at": e.created_at, "kind": e.kind, "lot": code,
             "material": mat, "location": "in transit" if z is None else f"{f}/{z}",
             "quantity": str(e.quantity), "unit": e.unit, "transfer": e.transfer,
             "reason": e.reason, "booked_by": e.booked_by}
            for e, code, mat, f, z in rows
        ]  # fmt: skip
    return total, pd.DataFrame(out, columns=MOVEMENT_COLUMNS)


def readings(
    engine: Engine, zone: str, metric: str, *, last: int = 2000
) -> tuple[pd.DataFrame, tuple[float | None, float | None], list[str]]:
    """A zone's readings of one metric (oldest first, the newest ``last``), the zone's spec
    limits (low, high; None = unbounded) for the materials it holds now, and those materials."""

    if metric not in METRICS:
        raise InventoryError(f"unknown metric {metric!r}; metrics: {', '.join(METRICS)}")
    fac, _, zcode = zone.partition("/")
    with Session(reader(engine)) as s:
        zid = s.scalar(
            select(Zone.id).join(Facility).where(Facility.code == fac, Zone.code == zcode)
        )
        if zid is None:
            raise InventoryError(f"unknown zone {zone!r} (FACILITY/ZONE)")
        rows = s.execute(
            select(SensorReading.ts, SensorReading.value)
            .where(SensorReading.zone_id == zid, SensorReading.metric == metric)
            .order_by(SensorReading.ts.desc())
            .limit(last)
        ).all()
        held = s.execute(
            select(Lot.material)
            .join(LedgerEntry, LedgerEntry.lot_id == Lot.id)
            .where(LedgerEntry.zone_id == zid)
            .group_by(Lot.material)
            .having(func.sum(LedgerEntry.quantity) != 0)
        ).all()
    mats = sorted(str(m) for (m,) in held)
    df = pd.DataFrame([(ts, float(v)) for ts, v in rows[::-1]], columns=["timestamp", metric])
    return df, _limits(mats).get(metric, (None, None)), mats
