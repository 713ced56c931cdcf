"""Predictive maintenance of climate equipment: failure risk and the next service date.

Run hours follow the calendar: the hours since service recorded on a day grow by the unit's
hours per day (its duty cycle) until the day asked for; ``record_service`` starts them again.

Model (documented assumptions, to be replaced by the operator's failure records): time to failure
after a service is Weibull with shape ``beta`` and scale ``eta`` run hours per equipment kind; every
condition alert of the equipment's facility in the last 90 days shortens ``eta`` by 10% (stress:
the unit ran out of its comfort zone). The probability of failing within the next ``horizon``
days, given survival so far at ``t`` hours, is::

    P = 1 - exp((t / eta) ** beta - ((t + h) / eta) ** beta),   h = horizon days x hours per day

and the next service is due on the first day this 30-day risk reaches ``threshold`` (5%).
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from critmat.inventory.checks import InventoryError, check_text, parse_day
from critmat.inventory.ledger import Ledger
from critmat.inventory.models import Alert, Equipment, Facility, Zone
from critmat.inventory.registers import facility_id

__all__ = [
    "WEIBULL",
    "add_equipment",
    "failure_risk",
    "hours_on",
    "maintenance_plan",
    "record_service",
]

#: kind -> (shape beta, scale eta in run hours); assumptions (wear-out, beta > 1)
WEIBULL: dict[str, tuple[float, float]] = {"dehumidifier": (1.5, 20_000.0), "hvac": (2.0, 40_000.0)}
STRESS_PER_ALERT = 0.10
THRESHOLD = 0.05
HORIZON_DAYS = 30


def failure_risk(t_hours: float, add_hours: float, beta: float, eta: float) -> float:
    """Conditional Weibull probability of failing within ``add_hours`` after ``t_hours``."""
    if eta <= 0:
        return 1.0
    return 1.0 - math.exp((t_hours / eta) ** beta - ((t_hours + add_hours) / eta) ** beta)


def add_equipment(
    led: Ledger,
    code: str,
    facility: str,
    kind: str,
    installed_on: dt.date,
    last_service_on: dt.date,
    hours_since_service: float,
    hours_per_day: float,
    hours_as_of: dt.date | None = None,
) -> None:
    """Register a unit; ``hours_since_service`` counted on ``hours_as_of`` (default: today)."""
    if kind not in WEIBULL:
        raise InventoryError(f"unknown equipment kind {kind!r}; known: {', '.join(WEIBULL)}")
    if not 0 < hours_per_day <= 24:
        raise InventoryError("hours_per_day must lie in (0, 24]")
    if not 0 <= hours_since_service <= 1e6:
        raise InventoryError("hours_since_service must lie in [0, 1,000,000]")

    check_text("equipment code", code, 40)
    installed_on = parse_day(installed_on, "installed_on")
    last_service_on = parse_day(last_service_on, "last_service_on")
    if last_service_on < installed_on:
        raise InventoryError(
            f"last_service_on {last_service_on} is before installed_on {installed_on}"
        )
    with Session(led.engine) as s, s.begin():
        fid = facility_id(s, facility)
        s.add(
            Equipment(
                facility_id=fid,
                code=code,
                kind=kind,
                installed_on=installed_on,
                last_service_on=last_service_on,
                hours_since_service=hours_since_service,
                hours_per_day=hours_per_day,
                hours_as_of=parse_day(hours_as_of or dt.date.today(), "hours_as_of"),
            )
        )


def record_service(led: Ledger, code: str, day: dt.date) -> None:
    """A unit was serviced on ``day``: its hours since service start again from zero. A day
    before the last service or after today is refused."""
    day = parse_day(day, "the service date")
    if day > dt.date.today():
        raise InventoryError(f"the service date {day} is in the future")
    with Session(led.engine) as s, s.begin():
        eq = s.scalar(select(Equipment).where(Equipment.code == code))
        if eq is None:
            raise InventoryError(f"unknown equipment {code!r}")
        if day < eq.last_service_on:
            raise InventoryError(
                f"the service date {day} is before the last service, {eq.last_service_on}"
            )
        eq.last_service_on, eq.hours_since_service, eq.hours_as_of = day, 0.0, day


def hours_on(eq: Equipment, day: dt.date) -> float:
    """Run hours since the last service on ``day``: the recorded hours plus the duty cycle's
    hours per day for every day since they were recorded."""
    t, per_day = float(eq.hours_since_service), float(eq.hours_per_day)
    since = eq.hours_as_of or eq.last_service_on + dt.timedelta(days=t / per_day)
    return t + per_day * max((day - since).days, 0)


def maintenance_plan(led: Ledger, as_of: dt.date) -> pd.DataFrame:
    """Per unit: 30-day failure risk now, alerts counted, and the next service date."""
    since = (as_of - dt.timedelta(days=90)).isoformat()
    with Session(led.engine) as s:
        units = s.execute(select(Equipment, Facility.code).join(Facility)).all()
        counts = dict(
            s.execute(
                select(Zone.facility_id, func.count(Alert.id))
                .join(Zone, Zone.id == Alert.zone_id)
                .where(Alert.ts >= since)
                .group_by(Zone.facility_id)
            ).all()
        )
    rows = []
    for eq, fac in units:
        beta, eta = WEIBULL[eq.kind]
        n = int(counts.get(eq.facility_id, 0))
        eta_eff = eta * (1.0 - STRESS_PER_ALERT) ** n
        t = hours_on(eq, as_of)
        per_day = float(eq.hours_per_day)
        h = HORIZON_DAYS * per_day
        risk = failure_risk(t, h, beta, eta_eff)
        days = 0
        while failure_risk(t + days * per_day, h, beta, eta_eff) < THRESHOLD and days < 3650:
            days += 1
        rows.append(
            {
                "equipment": eq.code,
                "facility": fac,
                "kind": eq.kind,
                "hours_since_service": t,
                "alerts_90d": n,
                "risk_30d": risk,
                "next_service": (as_of + dt.timedelta(days=days)).isoformat(),
                "due_now": risk >= THRESHOLD,
            }
        )
    return pd.DataFrame(rows)
