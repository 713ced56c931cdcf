"""What every route needs: the authorised user (by role), the ledger as that user, the dataset,
job submission and JSON-safe records. State lives on ``app.state`` (set by ``create_app``)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Header, Request
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from critmat.api import auth, jobs
from critmat.api.store import ROLES, stage_audit
from critmat.report.jsonsafe import jsonable
from critmat.services.inventory import Ledger

__all__ = ["ApiRefusal", "dataset", "engine", "ledger", "records", "require", "submit"]

FAILED_LOGINS_PER_MINUTE = 10


class ApiRefusal(Exception):
    """A refusal with its HTTP status and machine code (401, 403, 429)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def require(role: str) -> Callable[..., Awaitable[auth.Principal]]:
    """A dependency: the bearer token's user, who must hold at least ``role``; failed logins
    are counted per client (at most 10 a minute)."""

    async def dep(
        request: Request, authorization: Annotated[str | None, Header()] = None
    ) -> auth.Principal:
        st = request.app.state
        client = request.client.host if request.client else "-"
        window = st.cfg.failed[client]
        now = time.monotonic()
        while window and now - window[0] > 60:
            window.popleft()
        if len(window) >= FAILED_LOGINS_PER_MINUTE:
            raise ApiRefusal(429, "rate_limited", "too many failed logins; wait a minute")
        token = (authorization or "").removeprefix("Bearer ").strip()
        # async, so FastAPI does not hand every request to a thread for this: a token verified
        # in the last 30 s is found without the database; a miss reads it in the thread pool
        p = auth.cached(st.engine, token) if token else None
        if p is None and token:
            p = await run_in_threadpool(auth.authenticate, st.engine, token)
        if p is None:
            if token:  # a wrong token is a failed login; no token at all is not
                window.append(now)
            raise ApiRefusal(401, "unauthenticated", "a valid bearer token is required")
        if not auth.may(p, role):
            raise ApiRefusal(403, "forbidden", f"this needs the {role} role; you are {p.role}")
        request.state.user = p.name
        return p

    dep.__name__ = f"require_{role}"
    return dep


assert ROLES == ("viewer", "analyst", "operator", "admin")
viewer = require("viewer")
analyst = require("analyst")
operator = require("operator")
admin = require("admin")


def engine(request: Request) -> Engine:
    """The application's database engine."""
    e: Engine = request.app.state.engine
    return e


def dataset(request: Request) -> Any:
    """The dataset the application opened at start-up."""
    return request.app.state.ds


def ledger(request: Request, user: str = "") -> Any:
    """The ledger, writing as ``user``, with the server's key. Its first chain write adds the
    request's audit row in the same transaction (the middleware then adds none)."""

    st = request.app.state
    route = request.scope.get("route")
    status = int(getattr(route, "status_code", None) or 200)

    def audit(s: Any) -> None:
        if not led.committed_with_write:  # one row per request
            stage_audit(s, user, request.method, request.url.path, status)

    led = Ledger(
        st.engine, key=st.cfg.ledger_key, user=user, committer=st.committer, with_write=audit
    )
    request.state.audit_ledger = led
    return led


def submit(request: Request, kind: str, body: dict[str, Any], user: str) -> dict[str, Any]:
    """Store a job and hand it to the worker pool; the reply says where to poll."""
    st = request.app.state
    jid = jobs.create(st.engine, kind, body, user)
    st.pool.submit(jobs.run_job, st.cfg.database_url, jid, st.cfg.data_dir)
    return {"id": jid, "status": "queued", "href": f"/api/v1/jobs/{jid}"}


def records(df: Any) -> list[dict[str, Any]]:
    """A DataFrame as JSON-safe records (NaN -> null, decimals and dates as text)."""

    out: list[dict[str, Any]] = jsonable(
        df.astype(object).where(df.notna(), None).to_dict("records")
    )
    return out
