"""Routes: long work as jobs (simulate, plan, calibrate) in the worker pool; their state, results
(JSON, CSV, xlsx, netCDF) and cancellation. Handlers validate now and call
:mod:`critmat.services`; the worker runs the same service functions as the CLI."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi import Path as ApiPath

from critmat.api import jobs
from critmat.api.auth import Principal
from critmat.api.deps import analyst, dataset, engine, submit, viewer
from critmat.errors import CritmatError
from critmat.usecases.requests import (
    CalibrateRequest,
    CoalitionRequest,
    PlanRequest,
    PolicyRequest,
    ScheduleRequest,
    SimulateRequest,
)

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/jobs")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Viewer = Annotated[Principal, Depends(viewer)]
Analyst = Annotated[Principal, Depends(analyst)]
JobId = Annotated[str, ApiPath(max_length=32)]


@router.post("/simulate", status_code=202)
def simulate(request: Request, body: SimulateRequest, p: Analyst) -> dict[str, Any]:
    """A simulation: a library scenario id (or ``stochastic``) or scenario YAML text."""
    from critmat.services.simulate import check_request

    req = body
    if req.stockpile is not None or req.scheduler is not None:
        raise CritmatError("stockpile files and schedulers are not taken over HTTP")
    if req.scenario and not req.scenario.replace("-", "").replace("_", "").isalnum():
        raise CritmatError("scenario: a library id (e.g. GR-2023) or 'stochastic'")
    check_request(dataset(request), req)
    return submit(request, "simulate", req.model_dump(mode="json", exclude_none=True), p.name)


@router.post("/plan", status_code=202)
def plan(request: Request, body: PlanRequest, p: Analyst) -> dict[str, Any]:
    """A planning run (the CLI's ``critmat plan``; ``config`` as its YAML file)."""
    from critmat.services.context import resolve
    from critmat.services.plan import PlanConfig, check_decisions

    cfg = PlanConfig.model_validate(body.config)  # refuse a bad config now
    resolve(dataset(request), holder=body.holder, year=cfg.year)
    check_decisions(dataset(request), body.decisions)
    return submit(request, "plan", body.model_dump(), p.name)


@router.post("/policy", status_code=202)
def policy(request: Request, body: PolicyRequest, p: Analyst) -> dict[str, Any]:
    """The optimal build/draw policy of a spec (validated now, solved in the pool)."""
    from critmat.services.policy import check_policy_text

    check_policy_text(body.yaml)
    return submit(request, "policy", body.model_dump(), p.name)


@router.post("/schedule", status_code=202)
def schedule(request: Request, body: ScheduleRequest, p: Analyst) -> dict[str, Any]:
    """A multi-year acquisition schedule with responsible sourcing (validated now)."""
    from critmat.services.acquisition import check_schedule_text

    check_schedule_text(dataset(request), body.yaml)
    return submit(request, "schedule", body.model_dump(), p.name)


@router.post("/coalition", status_code=202)
def coalition(request: Request, body: CoalitionRequest, p: Analyst) -> dict[str, Any]:
    """Pooled against alone for the members of an exchange file (validated now)."""
    from critmat.services.coalition import check_exchange

    check_exchange(body.exchange)
    return submit(request, "coalition", body.model_dump(), p.name)


@router.post("/calibrate", status_code=202)
def calibrate(request: Request, body: CalibrateRequest, p: Analyst) -> dict[str, Any]:
    """Fit the price response to the recorded disruptions (minutes: a job)."""
    from critmat.services.calibrate import check_request
    from critmat.services.context import resolve

    ds = dataset(request)
    resolve(ds, holder=body.holder)
    check_request(ds, body.event)
    return submit(request, "calibrate", body.model_dump(), p.name)


@router.get("")
def job_list(
    request: Request,
    _: Viewer,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    """The newest jobs (without their results)."""
    return {"items": jobs.recent(engine(request), limit)}


@router.get("/{jid}")
def job(request: Request, jid: JobId, _: Viewer) -> dict[str, Any]:
    """A job's state, and its result when done."""
    return jobs.get(engine(request), jid)


@router.get(
    "/{jid}/result",
    responses={200: {"content": {"text/csv": {}, XLSX: {}, "application/x-netcdf": {}}}},
)
def job_result(
    request: Request,
    jid: JobId,
    _: Viewer,
    format: Annotated[str, Query(pattern="^(json|csv|xlsx|netcdf)$")] = "json",
    table: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    """A finished job's tables: JSON, one table as CSV (``table``), xlsx or netCDF."""
    from critmat.services.jobs_output import result_file

    body, media, name = result_file(jobs.get(engine(request), jid), format, table)
    headers = {"Content-Disposition": f'attachment; filename="{name}"'} if name else {}
    return Response(body, media_type=media, headers=headers)


@router.post("/{jid}/cancel")
def cancel(request: Request, jid: JobId, _: Analyst) -> dict[str, str]:
    """Cancel a queued or running job (a running one's result is discarded)."""
    return {"id": jid, "status": jobs.cancel(engine(request), jid)}
