"""The registers: facilities with their zones, and lots (what a lot is; its quantity lives in the
ledger). Writes check every field; reads return tidy tables. The booking path finds lots and
zones here once per engine (:func:`lot_refs`, :func:`zone_ids`): they are never renamed,
changed or deleted once created."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from weakref import WeakKeyDictionary

import pandas as pd
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from critmat.data.catalogue import MATERIALS
from critmat.data.countries import iso3_codes
from critmat.data.units import MASS_UNITS
from critmat.database import reader
from critmat.inventory.checks import InventoryError, Number, check_code, check_text, exact
from critmat.inventory.models import MAX_USD, Facility, Lot, Zone

__all__ = [
    "LotRef",
    "add_facility",
    "add_lot",
    "facilities",
    "facility_id",
    "lot_refs",
    "lots",
    "zone_ids",
]

LOT_COLUMNS = ["lot", "material", "form", "purity", "unit", "origin", "supplier", "acquired_on",
               "cost_usd", "certificate"]  # fmt: skip


def add_facility(
    engine: Engine,
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
    check_code("facility code", code, 40)
    check_text("facility name", name, 200)
    check_text("location", location, 200)
    check_text("security level", security_level, 40)
    cap = exact(capacity_t, "capacity_t")
    if cap < 0:
        raise InventoryError(f"capacity_t must not be negative, not {capacity_t}")
    if not zones:
        raise InventoryError("a facility needs at least one zone")
    for z in zones:
        check_code("zone code", z, 40)
    if len(set(zones)) != len(zones):
        dup = sorted({z for z in zones if list(zones).count(z) > 1})
        raise InventoryError(f"zone code(s) given twice: {', '.join(dup)}")
    with Session(engine) as s, s.begin():
        if s.scalar(select(Facility).where(Facility.code == code)) is not None:
            raise InventoryError(f"facility {code!r} exists already")
        f = Facility(code=code, name=name, location=location,
                     climate_controlled=climate_controlled, capacity_t=cap,
                     security_level=security_level)  # fmt: skip
        s.add(f)
        s.flush()
        for z in zones:
            s.add(Zone(facility_id=f.id, code=z, conditions=""))


def add_lot(engine: Engine, code: str, material: str, unit: str = "t", **attrs: object) -> None:
    """Register a lot (its quantity comes from receipts): a known material and origin country,
    a mass unit, a cost finite and >= 0, texts within their lengths."""
    check_code("lot code", code, 60)
    if unit not in MASS_UNITS:
        raise InventoryError(f"unit {unit!r} is not a mass unit ({', '.join(MASS_UNITS)})")
    known = {m.id for m in MATERIALS}
    if material not in known:
        raise InventoryError(f"unknown material {material!r}; known: {', '.join(sorted(known))}")
    origin = str(attrs.get("origin_country", "") or "")
    if origin and origin not in iso3_codes():
        raise InventoryError(
            f"origin country {origin!r} is not an ISO 3166 alpha-3 code (e.g. COD, CHN)"
        )
    cost = exact(attrs.get("cost_usd", 0) or 0, "cost_usd", MAX_USD)  # type: ignore[arg-type]
    if cost < 0:
        raise InventoryError(f"cost_usd must not be negative, not {cost}")
    texts = {"form": 80, "purity": 40, "packaging": 80, "supplier": 120, "certificate": 120}
    for what, most in texts.items():
        check_text(what, str(attrs.get(what, "") or ""), most)
    with Session(engine) as s, s.begin():
        if s.scalar(select(Lot).where(Lot.code == code)) is not None:
            raise InventoryError(f"lot {code!r} exists already")
        s.add(
            Lot(
                code=code,
                material=material,
                unit=unit,
                origin_country=origin,
                acquired_on=attrs.get("acquired_on"),
                cost_usd=cost.quantize(Decimal("0.01")),
                **{what: str(attrs.get(what, "") or "") for what in texts},
            )
        )


#: lot attributes that can be set after registration (the material, unit and code cannot: the
#: ledger's quantities are in them)
SETTABLE = ("form", "purity", "packaging", "supplier", "certificate", "origin_country",
            "acquired_on", "cost_usd")  # fmt: skip


def set_lot(engine: Engine, code: str, **attrs: object) -> dict[str, tuple[object, object]]:
    """Set attributes of a registered lot (purity, certificate, acquisition date ...) with the
    checks of :func:`add_lot`; returns ``{attribute: (old, new)}`` for what changed."""
    unknown = sorted(set(attrs) - set(SETTABLE))
    if unknown:
        raise InventoryError(f"not a settable lot attribute: {', '.join(unknown)} "
                             f"(settable: {', '.join(SETTABLE)})")  # fmt: skip
    if not attrs:
        raise InventoryError(f"nothing to set; give one of: {', '.join(SETTABLE)}")
    texts = {"form": 80, "purity": 40, "packaging": 80, "supplier": 120, "certificate": 120}
    for what, most in texts.items():
        if what in attrs:
            check_text(what, str(attrs[what] or ""), most)
    if attrs.get("origin_country") and attrs["origin_country"] not in iso3_codes():
        raise InventoryError(f"origin country {attrs['origin_country']!r} is not an ISO 3166 "
                             "alpha-3 code (e.g. COD, CHN)")  # fmt: skip
    if "cost_usd" in attrs:
        cost = exact(attrs["cost_usd"] or 0, "cost_usd", MAX_USD)  # type: ignore[arg-type]
        if cost < 0:
            raise InventoryError(f"cost_usd must not be negative, not {cost}")
        attrs["cost_usd"] = cost.quantize(Decimal("0.01"))
    changed: dict[str, tuple[object, object]] = {}
    with Session(engine) as s, s.begin():
        lot = s.scalar(select(Lot).where(Lot.code == code))
        if lot is None:
            raise InventoryError(f"unknown lot {code!r}")
        for what, value in attrs.items():
            old = getattr(lot, what)
            if old != value:
                changed[what] = (old, value)
                setattr(lot, what, value)
    return changed


def facility_id(s: Session, code: str) -> int:
    """The id of a facility code, or a refusal naming it."""
    fid = s.scalar(select(Facility.id).where(Facility.code == code))
    if fid is None:
        raise InventoryError(f"unknown facility {code!r}")
    return int(fid)


def lots(engine: Engine) -> pd.DataFrame:
    """The lot register."""
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
    return pd.DataFrame(rows, columns=LOT_COLUMNS)


@dataclass(frozen=True)
class LotRef:
    """What a movement needs of its lot (kept across transactions: lots never change)."""

    id: int
    code: str
    material: str
    unit: str


#: per engine: lots by code, zone ids by "FACILITY/ZONE"
_REFS: WeakKeyDictionary[Engine, tuple[dict[str, LotRef], dict[str, int]]] = WeakKeyDictionary()


def lot_refs(engine: Engine, s: Session, codes: Iterable[str]) -> dict[str, LotRef]:
    """The lots named (queried once per engine), or a refusal naming the unknown ones."""
    known, _ = _REFS.setdefault(engine, ({}, {}))
    wanted = set(codes)
    new = wanted - set(known)
    if new:
        found = s.execute(select(Lot.id, Lot.code, Lot.material, Lot.unit).where(Lot.code.in_(new)))
        known.update({r.code: LotRef(r.id, r.code, r.material, r.unit) for r in found})
    missing = sorted(wanted - set(known))
    if missing:
        raise InventoryError(f"unknown lot(s): {', '.join(missing)}")
    return {c: known[c] for c in wanted}


def zone_ids(engine: Engine, s: Session, refs: Iterable[str]) -> dict[str, int]:
    """Zone ids of "FACILITY/ZONE" references (queried once per engine), or a refusal listing
    the known zones."""
    _, zones = _REFS.setdefault(engine, ({}, {}))
    for ref in set(refs) - set(zones):
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
        zones[ref] = int(zid)
    return {r: zones[r] for r in refs}


def facilities(engine: Engine) -> pd.DataFrame:
    """One row per facility: code, name, location, climate control, capacity (t), security
    level and its zones ("A;B")."""
    agg = (
        func.group_concat(Zone.code)
        if engine.dialect.name == "sqlite"
        else func.string_agg(Zone.code, ";")
    )
    with Session(reader(engine)) as s:
        rows = s.execute(
            select(Facility, agg)
            .join(Zone, Zone.facility_id == Facility.id)
            .group_by(Facility.id)
            .order_by(Facility.code)
        ).all()
        out = [
            {"facility": f.code, "name": f.name, "location": f.location,
             "climate_controlled": bool(f.climate_controlled), "capacity_t": str(f.capacity_t),
             "security_level": f.security_level,
             "zones": ";".join(sorted(str(z).replace(",", ";").split(";")))}
            for f, z in rows
        ]  # fmt: skip
    cols = ["facility", "name", "location", "climate_controlled", "capacity_t", "security_level",
            "zones"]  # fmt: skip
    return pd.DataFrame(out, columns=cols)
