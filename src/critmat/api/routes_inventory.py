"""Routes: the inventory's registers and read models: facilities, lots, the movement history,
balances, holdings, sensor readings with their spec limits, alerts and the ledger's proof. The
movements themselves (receipts, dispatches ...) are routes generated from their declarations
(critmat.api.routes_movements). Handlers authorise and call :mod:`critmat.services.inventory`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as ApiPath
from pydantic import BaseModel, ConfigDict, Field

from critmat.api import jobs
from critmat.api.auth import Principal
from critmat.api.deps import engine, ledger, operator, records, viewer
from critmat.errors import CritmatError
from critmat.services.inventory import (
    alerts,
    facilities,
    ingest_records,
    lots,
    movements,
    parse_day,
    readings,
    set_alert,
)
from critmat.services.inventory import holdings as held

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/inventory")

Viewer = Annotated[Principal, Depends(viewer)]
Operator = Annotated[Principal, Depends(operator)]
Qty = Annotated[str, Field(max_length=40, description="exact decimal as text, e.g. '12.5'")]
AlertId = Annotated[int, ApiPath(ge=1, le=2**31 - 1)]
DAY = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FacilityIn(_In):
    """A facility with its zones."""

    code: str = Field(max_length=40)
    name: str = Field(max_length=200)
    zones: list[Annotated[str, Field(max_length=40)]] = Field(min_length=1, max_length=200)
    location: str = Field("", max_length=200)
    climate_controlled: bool = False
    capacity_t: Qty = "0"
    security_level: str = Field("standard", max_length=40)


class LotIn(_In):
    """A lot as acquired (its quantity comes from receipts)."""

    code: str = Field(max_length=60)
    material: str = Field(max_length=40)
    unit: str = Field("t", max_length=10)
    form: str = Field("", max_length=80)
    purity: str = Field("", max_length=40)
    packaging: str = Field("", max_length=80)
    origin_country: str = Field("", max_length=3)
    supplier: str = Field("", max_length=120)
    acquired_on: str | None = Field(None, max_length=10, description="YYYY-MM-DD")
    cost_usd: Qty = "0"
    certificate: str = Field("", max_length=120)


class ReadingIn(_In):
    """One sensor reading."""

    zone: str = Field(max_length=81)
    timestamp: str = Field(max_length=40, description="ISO 8601, e.g. 2026-01-05T10:00:00Z")
    metric: str = Field(max_length=20)
    value: float = Field(allow_inf_nan=False)


class ReadingsIn(_In):
    """A batch of sensor readings (validated together; nothing is loaded if one is bad)."""

    readings: list[ReadingIn] = Field(min_length=1, max_length=10_000)


@router.get("/facilities")
def facility_list(request: Request, _: Viewer) -> dict[str, Any]:
    """Facilities and their zones."""

    return {"items": records(facilities(engine(request)))}


@router.post("/facilities", status_code=201)
def facility_add(request: Request, body: FacilityIn, p: Operator) -> dict[str, Any]:
    """Create a facility with its zones."""
    d = body.model_dump()
    ledger(request, p.name).add_facility(d.pop("code"), d.pop("name"), d.pop("zones"), **d)
    return {"facility": body.code}


@router.get("/lots")
def lot_list(request: Request, _: Viewer) -> dict[str, Any]:
    """The lot register (cost in USD, exact)."""

    return {"items": records(lots(engine(request)))}


@router.post("/lots", status_code=201)
def lot_add(request: Request, body: LotIn, p: Operator) -> dict[str, Any]:
    """Register a lot."""

    d = body.model_dump()
    d["acquired_on"] = parse_day(d["acquired_on"], "acquired_on") if d["acquired_on"] else None
    ledger(request, p.name).add_lot(d.pop("code"), d.pop("material"), d.pop("unit"), **d)
    return {"lot": body.code}


@router.get("/movements")
def movement_list(
    request: Request,
    _: Viewer,
    lot: Annotated[str | None, Query(max_length=60)] = None,
    kind: Annotated[str | None, Query(max_length=20)] = None,
    facility: Annotated[str | None, Query(max_length=40)] = None,
    user: Annotated[str | None, Query(max_length=120)] = None,
    since: Annotated[str | None, Query(pattern=DAY)] = None,
    until: Annotated[str | None, Query(pattern=DAY)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> dict[str, Any]:
    """The movement history, newest first, filtered by lot, kind, facility, the user who
    booked and the days booked (``since``, ``until``: YYYY-MM-DD); the same as ``critmat
    inventory movements``."""
    total, page = movements(engine(request), lot=lot, kind=kind, facility=facility, user=user,
                            since=since, until=until, limit=limit, offset=offset)  # fmt: skip
    return {"total": total, "limit": limit, "offset": offset, "items": records(page)}


@router.get("/balances")
def balances(request: Request, _: Viewer) -> dict[str, Any]:
    """Balance per lot and location, derived from the ledger (exact decimals as text)."""
    b = ledger(request).balances()
    b["quantity"] = b["quantity"].astype(str)
    return {"items": records(b)}


@router.get("/holdings")
def holdings(
    request: Request,
    _: Viewer,
    plan: Annotated[str | None, Query(max_length=32, description="a finished plan job")] = None,
) -> dict[str, Any]:
    """Tonnes held per material (gross, as booked), next to a plan job's targets if given."""

    composition = None
    if plan:
        job = jobs.get(engine(request), plan)
        if job["kind"] != "plan" or job["status"] != "done":
            raise CritmatError(
                f"job {plan} is not a finished plan ({job['kind']}, {job['status']})"
            )
        composition = job["result"]["composition"]
    return {
        "unit": "t (gross, as booked)",
        "items": records(held(ledger(request), composition)),
    }


@router.get("/readings")
def reading_list(
    request: Request,
    _: Viewer,
    zone: Annotated[str, Query(max_length=81)],
    metric: Annotated[str, Query(max_length=20)] = "temperature_c",
    last: Annotated[int, Query(ge=1, le=20_000)] = 2000,
) -> dict[str, Any]:
    """A zone's readings of one metric with the spec limits they are checked against."""

    df, (lo, hi), mats = readings(engine(request), zone, metric, last=last)
    return {"zone": zone, "metric": metric, "low": lo, "high": hi, "materials": mats,
            "items": records(df)}  # fmt: skip


@router.post("/readings", status_code=201)
def reading_add(request: Request, body: ReadingsIn, p: Operator) -> dict[str, Any]:
    """Load sensor readings; raises alerts like a sensor file (duplicates are skipped)."""
    import datetime as dt

    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    rep: Any = ingest_records(
        ledger(request, p.name), [r.model_dump() for r in body.readings], f"api-{p.name}-{stamp}"
    )
    return {"readings": rep.readings, "alerts": rep.alerts, "duplicates": rep.duplicates}


@router.get("/alerts")
def alert_list(
    request: Request,
    _: Viewer,
    status: Annotated[str | None, Query(pattern="^(open|acknowledged|resolved)$")] = None,
) -> dict[str, Any]:
    """Condition alerts."""

    return {"items": records(alerts(ledger(request), status))}


@router.post("/alerts/{alert_id}/ack")
def ack(
    request: Request,
    alert_id: AlertId,
    p: Operator,
    note: Annotated[str, Query(max_length=300)] = "",
) -> dict[str, Any]:
    """Acknowledge an alert."""

    set_alert(ledger(request, p.name), alert_id, "acknowledged", note)
    return {"id": alert_id, "status": "acknowledged"}


@router.post("/alerts/{alert_id}/resolve")
def resolve(
    request: Request,
    alert_id: AlertId,
    p: Operator,
    note: Annotated[str, Query(min_length=1, max_length=300)],
) -> dict[str, Any]:
    """Resolve an alert (a note saying what was done is required)."""

    set_alert(ledger(request, p.name), alert_id, "resolved", note)
    return {"id": alert_id, "status": "resolved"}


@router.get("/verify")
def verify(request: Request, _: Viewer) -> dict[str, Any]:
    """Prove the ledger: the hash chain, the signed head, balances and transfers re-derived."""
    return dict(ledger(request).verify().__dict__)
