"""The physical reserve as tables (SQLAlchemy 2.0): facilities, zones, lots and the ledger.

Quantities are never stored as balances: every change is a row of ``ledger`` (a movement), and a
balance is the sum of a lot's movements in a zone. The ledger is append-only and hash-chained:
each entry stores the hash of the previous one and its own hash over its content, so editing,
deleting or reordering any entry breaks the chain (``critmat inventory verify``). The single row
of ``ledger_head`` holds the chain's tip; writers lock it, which serialises appends and makes the
no-negative-balance check safe under concurrent writers.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

__all__ = [
    "MAX_QTY",
    "MAX_USD",
    "MONEY",
    "QTY",
    "Base",
    "Facility",
    "FixedPoint",
    "LedgerEntry",
    "LedgerHead",
    "Lot",
    "Zone",
]


class FixedPoint(TypeDecorator[Decimal]):
    """An exact decimal stored as an integer count of ``10**-places`` units (BIGINT on every
    backend: SQLite would store a NUMERIC as a float). Sums in SQL stay exact integers."""

    impl = BigInteger
    cache_ok = True

    def __init__(self, places: int) -> None:
        super().__init__()
        self.places = places
        self.scale = Decimal(10) ** places

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        return int((Decimal(value) * self.scale).to_integral_value())

    def process_result_value(self, value: object, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return (Decimal(int(value)) / self.scale).quantize(Decimal(1) / self.scale)  # type: ignore[call-overload]


#: quantities: micro-units of the lot's unit (t: grams; kg: milligrams); money: cents
QTY = FixedPoint(6)
MONEY = FixedPoint(2)
#: the largest quantity (lot unit) and amount (USD) the inventory accepts
MAX_QTY = Decimal("1e12")
MAX_USD = Decimal("1e15")


class Base(DeclarativeBase):
    """Declarative base of the inventory schema."""


class Facility(Base):
    """A warehouse site."""

    __tablename__ = "facility"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    location: Mapped[str] = mapped_column(String(200), default="")
    climate_controlled: Mapped[bool] = mapped_column(Boolean, default=False)
    capacity_t: Mapped[Decimal] = mapped_column(QTY, default=Decimal(0))
    security_level: Mapped[str] = mapped_column(String(40), default="standard")


class Zone(Base):
    """A storage zone inside a facility (its own conditions)."""

    __tablename__ = "zone"
    __table_args__ = (UniqueConstraint("facility_id", "code"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"))
    code: Mapped[str] = mapped_column(String(40))
    conditions: Mapped[str] = mapped_column(String(200), default="")


class Lot(Base):
    """A lot of material as acquired (quantity lives in the ledger, not here)."""

    __tablename__ = "lot"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    material: Mapped[str] = mapped_column(String(40))
    form: Mapped[str] = mapped_column(String(80), default="")
    purity: Mapped[str] = mapped_column(String(40), default="")
    unit: Mapped[str] = mapped_column(String(10), default="t")
    packaging: Mapped[str] = mapped_column(String(80), default="")
    origin_country: Mapped[str] = mapped_column(String(3), default="")
    supplier: Mapped[str] = mapped_column(String(120), default="")
    acquired_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    cost_usd: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    certificate: Mapped[str] = mapped_column(String(120), default="")


class LedgerEntry(Base):
    """One movement; append-only and hash-chained."""

    __tablename__ = "ledger"
    __table_args__ = (
        CheckConstraint("quantity <> 0", name="ck_ledger_nonzero"),
        UniqueConstraint("seq", name="uq_ledger_seq"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[str] = mapped_column(String(32))  # ISO 8601 UTC, part of the hash
    kind: Mapped[str] = mapped_column(String(20))
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id"))
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("zone.id"), nullable=True)
    quantity: Mapped[Decimal] = mapped_column(QTY)
    unit: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(String(300), default="")
    transfer: Mapped[str] = mapped_column(String(60), default="")
    carrier: Mapped[str] = mapped_column(String(120), default="")
    route: Mapped[str] = mapped_column(String(200), default="")
    seal: Mapped[str] = mapped_column(String(60), default="")
    batch: Mapped[str] = mapped_column(String(80), default="")
    idempotency_key: Mapped[str | None] = mapped_column(String(120), unique=True, nullable=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    #: 1: the hash covers the entry's own columns; 2: also the lot's code, material and unit,
    #: the zone's and facility's codes and the user (critmat.inventory.ledger.entry_fields)
    hash_version: Mapped[int] = mapped_column(Integer, default=2, server_default="1")
    booked_by: Mapped[str] = mapped_column(String(120), default="", server_default="")


class LedgerHead(Base):
    """The chain's tip (one row, id = 1); locked by every writer."""

    __tablename__ = "ledger_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    hash: Mapped[str] = mapped_column(String(64))
    #: HMAC-SHA256 of (seq, hash) with the ledger key kept outside the database (empty: no key)
    mac: Mapped[str] = mapped_column(String(64), default="", server_default="")


class SensorReading(Base):
    """One sensor reading in a zone (temperature_c, rh_pct, o2_pct, door_open)."""

    __tablename__ = "sensor_reading"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("zone.id"))
    ts: Mapped[str] = mapped_column(String(32))
    metric: Mapped[str] = mapped_column(String(20))
    value: Mapped[float] = mapped_column(Numeric(12, 4))
    source: Mapped[str] = mapped_column(String(200), default="")


class Alert(Base):
    """A condition alert with its life cycle (open -> acknowledged -> resolved)."""

    __tablename__ = "alert"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("zone.id"))
    ts: Mapped[str] = mapped_column(String(32))
    metric: Mapped[str] = mapped_column(String(20))
    value: Mapped[float] = mapped_column(Numeric(12, 4))
    rule: Mapped[str] = mapped_column(String(20))
    severity: Mapped[str] = mapped_column(String(10))
    message: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(15), default="open")
    note: Mapped[str] = mapped_column(String(300), default="")


class InsurancePolicy(Base):
    """Insured value per facility (facility_id NULL = goods in transit) and its expiry."""

    __tablename__ = "insurance_policy"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    policy_no: Mapped[str] = mapped_column(String(60), unique=True)
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facility.id"), nullable=True)
    insured_value_usd: Mapped[Decimal] = mapped_column(MONEY)
    expires_on: Mapped[dt.date] = mapped_column(Date)


class Equipment(Base):
    """Climate equipment of a facility (dehumidifier, HVAC) with its run hours."""

    __tablename__ = "equipment"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"))
    code: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    installed_on: Mapped[dt.date] = mapped_column(Date)
    last_service_on: Mapped[dt.date] = mapped_column(Date)
    hours_since_service: Mapped[float] = mapped_column(Numeric(12, 1))
    hours_per_day: Mapped[float] = mapped_column(Numeric(6, 2))
    #: the day ``hours_since_service`` was counted (NULL: rows from before revision 0008, read
    #: as the day the hours imply, last service + hours / hours per day)
    hours_as_of: Mapped[dt.date | None] = mapped_column(Date, nullable=True)


class Risk(Base):
    """The risk register: theft, espionage, accident, natural hazard ..."""

    __tablename__ = "risk"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facility.id"), nullable=True)
    category: Mapped[str] = mapped_column(String(30))
    description: Mapped[str] = mapped_column(String(300))
    likelihood: Mapped[int] = mapped_column(Integer)
    impact: Mapped[int] = mapped_column(Integer)
    mitigation: Mapped[str] = mapped_column(String(300))
    owner: Mapped[str] = mapped_column(String(120))
