"""The FastAPI application: versioned routes under ``/api/v1``, bearer tokens with roles,
JSON errors naming the field and the reason, request size limits, failed-login rate limiting,
an audit row for every write, and long work as jobs in a worker process pool.

Handlers hold no logic: they authorise and call :mod:`critmat.services`.
"""

import contextlib
import multiprocessing
import threading
from collections import OrderedDict, defaultdict, deque
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from critmat.api import jobs
from critmat.api.deps import ApiRefusal
from critmat.api.routes_data import router as data_routes
from critmat.api.routes_forecast import router as forecast_routes
from critmat.api.routes_inventory import router as inventory_routes
from critmat.api.routes_jobs import router as job_routes
from critmat.api.routes_movements import movement_router
from critmat.api.routes_users import router as user_routes
from critmat.api.store import stage_audit
from critmat.database import make_engine
from critmat.errors import CritmatError, one_line
from critmat.services.context import open_dataset
from critmat.services.inventory import group_committer, init_database
from critmat.web.pages import mount

__all__ = ["ApiConfig", "create_app"]

MAX_BODY = 1_000_000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class ApiConfig:
    """What the server needs: the database, the ledger key, the data overlay, the workers."""

    database_url: str
    ledger_key: bytes
    data_dir: str | None = None
    workers: int = 1
    recover: bool = True  # mark jobs left running by a stopped server as failed (at start)
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


def _error(status: int, code: str, message: str, field_: str | None = None) -> JSONResponse:
    body: dict[str, Any] = {"error": {"code": code, "message": message}}
    if field_:
        body["error"]["field"] = field_
    return JSONResponse(status_code=status, content=body)


def create_app(cfg: ApiConfig) -> FastAPI:
    """The application for one database; refuses to start without a ledger key."""

    if not cfg.ledger_key or len(cfg.ledger_key) < 16:
        raise CritmatError(
            "the server needs a ledger key of at least 16 bytes (CRITMAT_LEDGER_KEY_FILE); "
            "it refuses to start without one"
        )
    if cfg.recover:  # several processes: the parent did both, once (api.bootstrap)
        init_database(cfg.database_url, cfg.ledger_key)
    engine: Engine = make_engine(cfg.database_url)
    if cfg.recover:
        jobs.recover(engine)
    ds = open_dataset(cfg.data_dir)
    # spawn, not fork: a forked worker would inherit the server's open database connections
    pool = cfg.executor or ProcessPoolExecutor(
        max_workers=max(cfg.workers, 1), mp_context=multiprocessing.get_context("spawn")
    )

    # concurrent ledger writes and audit rows share group commits: one committer per server
    # process, so they never contend for the database's write lock among themselves
    committer = group_committer(engine)

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
    app.state.engine, app.state.pool, app.state.cfg, app.state.ds = engine, pool, cfg, ds
    app.state.committer = committer
    app.state.pages, app.state.pages_lock = OrderedDict(), threading.Lock()  # report pages

    async def _audit(user: str, method: str, path: str, status: int) -> None:
        def add(s: Session, _head: object) -> list[int]:
            stage_audit(s, user, method, path, status)
            return []

        await committer.arun(add)  # with the next group commit, awaited on the event loop

    _error_handlers(app)
    # the inventory first: its write routes are the busiest (routes are matched in order; the
    # prefixes do not overlap, so the order changes no match)
    for r in (
        movement_router(),
        inventory_routes,
        data_routes,
        job_routes,
        forecast_routes,
        user_routes,
    ):
        app.include_router(r)

    mount(app)
    app.add_middleware(_Limits, audit=_audit)
    return app


def _error_handlers(app: FastAPI) -> None:
    """Every error as JSON naming its code (and the field, for a refused input)."""
    for exc, handler in (
        (CritmatError, _critmat_error),
        (RequestValidationError, _invalid),
        (StarletteHTTPException, _http_error),
        (ValidationError, _refused),
        (Exception, _bug),
        (ApiRefusal, _refusal),
    ):
        app.add_exception_handler(exc, handler)  # type: ignore[arg-type]


async def _critmat_error(_: Request, exc: CritmatError) -> JSONResponse:

    status = exc.http_status
    if str(exc).startswith(("no job", "unknown")):
        status = 404 if str(exc).startswith("no job") else 400
    return _error(status, getattr(exc, "code", "invalid_request"), one_line(exc))


async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
    e = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
    where = ".".join(str(x) for x in e.get("loc", ()) if x != "body")
    return _error(422, "invalid_field", str(e.get("msg", "")), where or None)


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    codes = {400: "invalid_request", 404: "not_found", 405: "method_not_allowed"}
    resp = _error(exc.status_code, codes.get(exc.status_code, "http_error"), str(exc.detail))
    for k, v in (exc.headers or {}).items():
        resp.headers[k] = v
    if exc.status_code == 405:  # Allow: every method of every route on this path
        allowed = {
            m
            for r in request.app.routes
            if isinstance(r, APIRoute) and r.path_regex.match(request.url.path)
            for m in r.methods or ()
        }
        resp.headers["Allow"] = ", ".join(sorted(allowed))
    return resp


async def _refused(_: Request, exc: ValidationError) -> JSONResponse:
    e = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
    where = ".".join(str(x) for x in e.get("loc", ()))
    return _error(422, "invalid_field", str(e.get("msg", "")), where or None)


async def _bug(_: Request, exc: Exception) -> JSONResponse:  # never a stack trace out
    return _error(500, "internal", f"internal error ({type(exc).__name__}); it was logged")


async def _refusal(_: Request, exc: ApiRefusal) -> JSONResponse:
    return _error(exc.status, exc.code, exc.message)


class _Limits:
    """Pure ASGI middleware: the request size limit, and an audit row for every write, committed
    before the response starts (so a client that saw the response finds the row)."""

    def __init__(
        self, app: ASGIApp, audit: Callable[[str, str, str, int], Awaitable[None]]
    ) -> None:
        self.app, self.audit = app, audit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        size = Headers(scope=scope).get("content-length")
        if size is not None and (not size.isdigit() or int(size) > MAX_BODY):
            msg = f"request bodies are limited to {MAX_BODY:,} bytes"
            await _error(413, "too_large", msg)(scope, receive, send)
            return
        method = scope["method"]
        if method not in ("POST", "PUT", "PATCH", "DELETE"):
            await self.app(scope, receive, send)
            return

        state = scope.setdefault("state", {})  # shared with the request (the user is set there)

        async def audited(message: Message) -> None:
            if message["type"] == "http.response.start":
                user = state.get("user") or "-"
                path = str(scope.get("path", ""))[:300]
                status = message["status"]
                led = state.get("audit_ledger")  # a ledger write committed its own audit row
                if status >= 400 or led is None or not led.committed_with_write:
                    await self.audit(user, method, path, status)
            await send(message)

        await self.app(scope, receive, audited)
