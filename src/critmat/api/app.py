"""The FastAPI application: versioned routes under ``/api/v1``, bearer tokens with roles,
JSON errors naming the field and the reason, request size limits, failed-login rate limiting,
an audit row for every write, and long work as jobs in a worker process pool.

Handlers hold no logic: they authorise and call :mod:`critmat.services`.
"""

import contextlib
import datetime as dt
import multiprocessing
import time
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Query, Request
from fastapi import Path as ApiPath
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from critmat.api import auth, jobs
from critmat.api.store import ApiAudit
from critmat.errors import CritmatError, InfeasibleRequestError

__all__ = ["ApiConfig", "create_app"]

MAX_BODY = 1_000_000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FAILED_LOGINS_PER_MINUTE = 10


@dataclass
class ApiConfig:
    """What the server needs: the database, the ledger key, the data overlay, the workers."""

    database_url: str
    ledger_key: bytes
    data_dir: str | None = None
    workers: int = 1
    executor: Executor | None = None  # tests pass their own
    failed: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))


class ErrorDetail(BaseModel):
    """What went wrong: a machine code, one line for people, the field when one is to blame."""

    code: str
    message: str
    field: str | None = None


class ErrorBody(BaseModel):
    """Every 4xx/5xx response body."""

    error: ErrorDetail


#: the error responses every route can give (declared, so clients and schema tests know them)
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text}
    for code, text in (
        (400, "a request critmat refuses (the message says what and why)"),
        (401, "no or wrong bearer token"),
        (403, "the user's role is too low"),
        (404, "no such job"),
        (409, "a well-formed request without a solution"),
        (413, "the body is too large"),
        (422, "a field has a wrong type, range or format"),
        (429, "too many failed logins from this client"),
        (500, "an internal error (no details are sent)"),
    )
}


class ReceiptIn(BaseModel):
    """A receipt into a zone (quantity as text: exact decimals)."""

    model_config = ConfigDict(extra="forbid")

    lot: str = Field(max_length=60)
    zone: str = Field(max_length=81)
    quantity: str = Field(max_length=40)
    unit: str = Field("t", max_length=10)
    key: str | None = Field(None, max_length=100)


class PlanIn(BaseModel):
    """A planning job."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    holder: str = Field(max_length=20)
    budget: float = Field(ge=0, le=1e13)
    config: dict[str, Any] = Field(default_factory=dict)


def _error(status: int, code: str, message: str, field_: str | None = None) -> JSONResponse:
    body: dict[str, Any] = {"error": {"code": code, "message": message}}
    if field_:
        body["error"]["field"] = field_
    return JSONResponse(status_code=status, content=body)


def create_app(cfg: ApiConfig) -> FastAPI:
    """The application for one database; refuses to start without a ledger key."""
    from critmat.inventory.db import make_engine, migrate
    from critmat.services.context import open_dataset

    if not cfg.ledger_key or len(cfg.ledger_key) < 16:
        raise CritmatError(
            "the server needs a ledger key of at least 16 bytes (CRITMAT_LEDGER_KEY_FILE); "
            "it refuses to start without one"
        )
    migrate(cfg.database_url)
    engine: Engine = make_engine(cfg.database_url)
    jobs.recover(engine)
    ds = open_dataset(cfg.data_dir)
    # spawn, not fork: a forked worker would inherit the server's open database connections
    pool = cfg.executor or ProcessPoolExecutor(
        max_workers=max(cfg.workers, 1), mp_context=multiprocessing.get_context("spawn")
    )

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        if cfg.executor is None:  # the server's own pool: stop its workers with it
            pool.shutdown(cancel_futures=True)

    app = FastAPI(
        lifespan=lifespan,
        title="critmat",
        version="1",
        docs_url="/docs",
        openapi_url="/openapi.json",
        responses=ERRORS,
    )
    app.state.engine, app.state.pool = engine, pool

    @app.middleware("http")
    async def limits(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        size = request.headers.get("content-length")
        if size is not None and (not size.isdigit() or int(size) > MAX_BODY):
            return _error(413, "too_large", f"request bodies are limited to {MAX_BODY:,} bytes")
        response = await call_next(request)
        if request.method in ("POST", "PUT", "PATCH", "DELETE"):
            # a blocking database write: in the thread pool, never on the event loop
            await run_in_threadpool(
                _audit,
                getattr(request.state, "user", "") or "-",
                request.method,
                str(request.url.path)[:300],
                response.status_code,
            )
        return response

    def _audit(user: str, method: str, path: str, status: int) -> None:
        with Session(engine) as s, s.begin():
            s.add(
                ApiAudit(
                    ts=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                    user=user,
                    method=method,
                    path=path,
                    status=status,
                )
            )

    @app.exception_handler(CritmatError)
    async def critmat_error(_: Request, exc: CritmatError) -> JSONResponse:
        from critmat.cli.output import one_line

        status = 409 if isinstance(exc, InfeasibleRequestError) else 400
        if str(exc).startswith(("no job", "unknown")):
            status = 404 if str(exc).startswith("no job") else 400
        return _error(status, getattr(exc, "code", "invalid_request"), one_line(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        e = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        where = ".".join(str(x) for x in e.get("loc", ()) if x != "body")
        return _error(422, "invalid_field", str(e.get("msg", "")), where or None)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {400: "invalid_request", 404: "not_found", 405: "method_not_allowed"}
        resp = _error(exc.status_code, codes.get(exc.status_code, "http_error"), str(exc.detail))
        for k, v in (exc.headers or {}).items():  # e.g. Allow on a 405
            resp.headers[k] = v
        return resp

    @app.exception_handler(ValidationError)
    async def refused(_: Request, exc: ValidationError) -> JSONResponse:
        e = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        where = ".".join(str(x) for x in e.get("loc", ()))
        return _error(422, "invalid_field", str(e.get("msg", "")), where or None)

    @app.exception_handler(Exception)
    async def bug(_: Request, exc: Exception) -> JSONResponse:  # never a stack trace out
        return _error(500, "internal", f"internal error ({type(exc).__name__}); it was logged")

    def user(role: str) -> Callable[..., auth.Principal]:
        def dep(
            request: Request, authorization: Annotated[str | None, Header()] = None
        ) -> auth.Principal:
            client = request.client.host if request.client else "-"
            window = cfg.failed[client]
            now = time.monotonic()
            while window and now - window[0] > 60:
                window.popleft()
            if len(window) >= FAILED_LOGINS_PER_MINUTE:
                raise _Http(429, "rate_limited", "too many failed logins; wait a minute")
            token = (authorization or "").removeprefix("Bearer ").strip()
            p = auth.authenticate(engine, token) if token else None
            if p is None:
                if token:  # a wrong token is a failed login; no token at all is not
                    window.append(now)
                raise _Http(401, "unauthenticated", "a valid bearer token is required")
            if not auth.may(p, role):
                raise _Http(403, "forbidden", f"this needs the {role} role; you are {p.role}")
            request.state.user = p.name
            return p

        return dep

    @app.exception_handler(_Http)
    async def http(_: Request, exc: _Http) -> JSONResponse:
        return _error(exc.status, exc.code, exc.message)

    viewer, analyst, operator = user("viewer"), user("analyst"), user("operator")

    @app.get("/api/v1/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/api/v1/materials")
    def materials(
        _: Annotated[auth.Principal, Depends(viewer)],
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> dict[str, Any]:
        m = ds.materials
        page = m.iloc[offset : offset + limit]
        cols = ["material", "name", "group", "reference_basis", "eol_rir"]
        return {"total": len(m), "items": _records(page[cols])}

    @app.get("/api/v1/materials/{material}/supply")
    def supply(
        material: Annotated[str, ApiPath(max_length=40)],
        _: Annotated[auth.Principal, Depends(viewer)],
        stage: Annotated[str | None, Query(max_length=20)] = None,
    ) -> dict[str, Any]:
        from critmat.services.data import supply_table

        t, hhi = supply_table(ds, material, stage=stage)
        return {"material": t.material, "stage": t.stage, "year": t.year, "unit": t.unit,
                "basis": t.basis, "hhi": hhi, "rows": _records(t.rows)}  # fmt: skip

    @app.post("/api/v1/assessments")
    def assessments(
        body: dict[str, Any], _: Annotated[auth.Principal, Depends(analyst)]
    ) -> dict[str, Any]:
        from critmat.services.assess import AssessRequest, run_assess

        res = run_assess(ds, AssessRequest.model_validate(body))
        return {"holder": res.holder, "year": res.year, "rows": _records(res.table)}

    @app.post("/api/v1/jobs/simulate", status_code=202)
    def simulate(
        body: dict[str, Any], p: Annotated[auth.Principal, Depends(analyst)]
    ) -> dict[str, Any]:
        from critmat.services.simulate import SimulateRequest, check_request

        req = SimulateRequest.model_validate(body)
        if req.stockpile is not None or req.scheduler is not None:
            raise CritmatError("stockpile files and schedulers are not taken over HTTP")
        if not req.scenario.replace("-", "").replace("_", "").isalnum():
            raise CritmatError("scenario: a library id (e.g. GR-2023) or 'stochastic'")
        check_request(ds, req)
        return _submit("simulate", req.model_dump(mode="json"), p.name)

    @app.post("/api/v1/jobs/plan", status_code=202)
    def plan(body: PlanIn, p: Annotated[auth.Principal, Depends(analyst)]) -> dict[str, Any]:
        from critmat.services.context import resolve
        from critmat.services.plan import PlanConfig

        cfg_ = PlanConfig.model_validate(body.config)  # refuse a bad config now
        resolve(ds, holder=body.holder, year=cfg_.year)
        return _submit("plan", body.model_dump(), p.name)

    @app.get("/api/v1/jobs/{jid}")
    def job(
        jid: Annotated[str, ApiPath(max_length=32)], _: Annotated[auth.Principal, Depends(viewer)]
    ) -> dict[str, Any]:
        return jobs.get(engine, jid)

    @app.get(
        "/api/v1/jobs/{jid}/result",
        responses={200: {"content": {"text/csv": {}, XLSX: {}}}},
    )
    def job_result(
        jid: Annotated[str, ApiPath(max_length=32)],
        _: Annotated[auth.Principal, Depends(viewer)],
        format: Annotated[str, Query(pattern="^(json|csv|xlsx)$")] = "json",
        table: Annotated[str | None, Query(max_length=40)] = None,
    ) -> Response:
        """A finished job's tables: JSON, one table as CSV (``table``), or an xlsx workbook."""
        from critmat.services.jobs_output import result_file

        body, media, name = result_file(jobs.get(engine, jid), format, table)
        headers = {"Content-Disposition": f'attachment; filename="{name}"'} if name else {}
        return Response(body, media_type=media, headers=headers)

    @app.post("/api/v1/jobs/{jid}/cancel")
    def cancel(
        jid: Annotated[str, ApiPath(max_length=32)], _: Annotated[auth.Principal, Depends(analyst)]
    ) -> dict[str, str]:
        return {"id": jid, "status": jobs.cancel(engine, jid)}

    @app.get("/api/v1/inventory/balances")
    def balances(_: Annotated[auth.Principal, Depends(viewer)]) -> dict[str, Any]:
        b = _ledger("").balances()
        b["quantity"] = b["quantity"].astype(str)
        return {"items": _records(b)}

    @app.post("/api/v1/inventory/receipts", status_code=201)
    def receipt(body: ReceiptIn, p: Annotated[auth.Principal, Depends(operator)]) -> dict[str, Any]:
        seqs = _ledger(p.name).receive(body.lot, body.zone, body.quantity, body.unit, key=body.key)
        return {"entries": seqs}

    @app.get("/api/v1/materials/{material}/prices")
    def prices(
        material: Annotated[str, ApiPath(max_length=40)],
        _: Annotated[auth.Principal, Depends(viewer)],
    ) -> dict[str, Any]:
        from critmat.services.data import price_series

        series, skipped = price_series(ds, material)
        return {"unit": "USD per t of the quoted form", "rows": _records(series),
                "not_converted": skipped}  # fmt: skip

    @app.get("/api/v1/scenarios")
    def scenarios(
        _: Annotated[auth.Principal, Depends(viewer)],
        holder: Annotated[str | None, Query(max_length=20)] = None,
    ) -> dict[str, Any]:
        from critmat.services.simulate import library

        return {"items": _records(library(ds, holder, 2023))}

    @app.get("/api/v1/inventory/alerts")
    def alerts(
        _: Annotated[auth.Principal, Depends(viewer)],
        status: Annotated[str | None, Query(pattern="^(open|acknowledged|resolved)$")] = None,
    ) -> dict[str, Any]:
        from critmat.services.inventory import alerts as list_alerts

        return {"items": _records(list_alerts(_ledger(""), status))}

    @app.post("/api/v1/inventory/alerts/{alert_id}/ack")
    def ack(
        alert_id: Annotated[int, ApiPath(ge=1, le=2**31 - 1)],
        p: Annotated[auth.Principal, Depends(operator)],
        note: Annotated[str, Query(max_length=300)] = "",
    ) -> dict[str, Any]:
        from critmat.services.inventory import set_alert

        set_alert(_ledger(p.name), alert_id, "acknowledged", note[:300])
        return {"id": alert_id, "status": "acknowledged"}

    @app.get("/api/v1/inventory/verify")
    def verify(_: Annotated[auth.Principal, Depends(viewer)]) -> dict[str, Any]:
        return dict(_ledger("").verify().__dict__)

    def _ledger(user_name: str) -> Any:
        from critmat.services.inventory import Ledger

        return Ledger(engine, key=cfg.ledger_key, user=user_name)

    def _submit(kind: str, request: dict[str, Any], user_name: str) -> dict[str, Any]:
        jid = jobs.create(engine, kind, request, user_name)
        pool.submit(jobs.run_job, cfg.database_url, jid, cfg.data_dir)
        return {"id": jid, "status": "queued", "href": f"/api/v1/jobs/{jid}"}

    from critmat.web.pages import mount

    mount(app)

    return app


class _Http(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _records(df: Any) -> list[dict[str, Any]]:
    from critmat.report.jsonsafe import jsonable

    out: list[dict[str, Any]] = jsonable(
        df.astype(object).where(df.notna(), None).to_dict("records")
    )
    return out
