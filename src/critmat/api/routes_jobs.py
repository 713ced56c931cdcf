"""Routes: long work as jobs (every job kind of critmat.usecases.REGISTRY, one route each, made
from the registry) in the worker pool; their state, results
(JSON, CSV, xlsx, netCDF) and cancellation. Handlers validate now and call
:mod:`critmat.services`; the worker runs the same service functions as the CLI."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi import Path as ApiPath
from pydantic import BaseModel

from critmat.api import jobs
from critmat.api.auth import Principal
from critmat.api.deps import analyst, dataset, engine, submit, viewer
from critmat.services.jobs_output import result_file
from critmat.usecases.registry import REGISTRY, UseCase

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/jobs")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Viewer = Annotated[Principal, Depends(viewer)]
Analyst = Annotated[Principal, Depends(analyst)]
JobId = Annotated[str, ApiPath(max_length=32)]


def _job_route(uc: UseCase) -> None:
    """``POST /api/v1/jobs/<kind>`` for a use case of the registry: the body is its request
    model, refused now for what it would refuse later, then queued for the worker pool."""
    model = uc.request_model()

    def handler(request: Request, body: BaseModel, p: Principal) -> dict[str, Any]:
        uc.check_now(dataset(request), body)
        return submit(request, uc.kind, body.model_dump(mode="json", exclude_none=True), p.name)

    # FastAPI reads the annotations: the body is this use case's own model
    handler.__annotations__ = {"request": Request, "body": model, "p": Analyst,
                               "return": dict[str, Any]}  # fmt: skip
    handler.__name__ = f"{uc.kind}_job"
    handler.__doc__ = f"{uc.doc[0].upper()}{uc.doc[1:]} (the CLI's `{uc.cli}`), as a job."
    router.post(f"/{uc.kind}", status_code=202, name=handler.__name__)(handler)


for _uc in REGISTRY.values():
    if _uc.is_job:
        _job_route(_uc)


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

    body, media, name = result_file(jobs.get(engine(request), jid), format, table)
    headers = {"Content-Disposition": f'attachment; filename="{name}"'} if name else {}
    return Response(body, media_type=media, headers=headers)


@router.post("/{jid}/cancel")
def cancel(request: Request, jid: JobId, _: Analyst) -> dict[str, str]:
    """Cancel a queued or running job (a running one's result is discarded)."""
    return {"id": jid, "status": jobs.cancel(engine(request), jid)}
