"""Jobs: long requests run in a worker process pool, their state in the database.

A job is ``queued`` -> ``running`` -> ``done`` | ``failed`` (| ``cancelled``). The worker
process reads the request from the database and writes the result (JSON) back, so a job is never
lost with the server: at start-up, a job left ``queued`` or ``running`` by a stopped server is
marked ``failed`` with the reason.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from critmat.api.store import ApiJob
from critmat.database import make_engine, reader
from critmat.errors import CritmatError
from critmat.report.jsonsafe import jsonable
from critmat.services.context import open_dataset
from critmat.usecases import registry
from critmat.usecases.registry import REGISTRY

__all__ = ["KINDS", "cancel", "create", "get", "recent", "recover", "run_job"]

#: the job kinds: the registry's use cases answered as jobs (critmat.usecases)
KINDS = tuple(k for k, uc in REGISTRY.items() if uc.is_job)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def create(engine: Engine, kind: str, request: dict[str, Any], user: str) -> str:
    """Store a queued job; returns its id."""
    if kind not in KINDS:
        raise CritmatError(f"unknown job kind {kind!r}")
    jid = uuid.uuid4().hex
    with Session(engine) as s, s.begin():
        s.add(
            ApiJob(
                id=jid,
                kind=kind,
                status="queued",
                request=json.dumps(request),
                result="",
                error="",
                user=user,
                created_at=_now(),
                updated_at=_now(),
                progress=0.0,
            )
        )
    return jid


def get(engine: Engine, jid: str) -> dict[str, Any]:
    """A job's state (and result when done)."""

    with Session(reader(engine)) as s:
        j = s.get(ApiJob, jid)
    if j is None:
        raise CritmatError(f"no job {jid!r}")
    return {
        "id": j.id,
        "kind": j.kind,
        "status": j.status,
        "user": j.user,
        "created_at": j.created_at,
        "updated_at": j.updated_at,
        "progress": j.progress,
        "error": j.error or None,
        "result": json.loads(j.result) if j.result else None,
    }


def recent(engine: Engine, limit: int = 50) -> list[dict[str, Any]]:
    """The newest jobs, without their results."""

    with Session(reader(engine)) as s:
        rows = s.scalars(select(ApiJob).order_by(ApiJob.created_at.desc()).limit(limit)).all()
        return [
            {"id": j.id, "kind": j.kind, "status": j.status, "user": j.user,
             "created_at": j.created_at, "updated_at": j.updated_at, "progress": j.progress,
             "error": j.error or None}
            for j in rows
        ]  # fmt: skip


def cancel(engine: Engine, jid: str) -> str:
    """Cancel a queued or running job (a running one's result is discarded)."""
    with Session(engine) as s, s.begin():
        j = s.get(ApiJob, jid)
        if j is None:
            raise CritmatError(f"no job {jid!r}")
        if j.status in ("done", "failed", "cancelled"):
            raise CritmatError(f"job {jid} is {j.status} already")
        j.status, j.updated_at = "cancelled", _now()
        return j.status


def recover(engine: Engine) -> int:
    """Mark jobs a stopped server left queued or running as failed; returns how many."""
    with Session(engine) as s, s.begin():
        res = s.execute(
            update(ApiJob)
            .where(ApiJob.status.in_(("queued", "running")))
            .values(
                status="failed",
                error="the server stopped while the job was queued or running; submit it again",
                updated_at=_now(),
            )
        )
        return int(res.rowcount or 0)  # type: ignore[attr-defined]


class _Cancelled(Exception):
    """The job was cancelled while it ran: stop the work."""


class _Progress:
    """A simulation's progress callback: records the fraction done (at most twice a second)
    and stops the work when the job was cancelled meanwhile."""

    def __init__(self, engine: Engine, jid: str, request: dict[str, Any]) -> None:
        self.engine, self.jid = engine, jid
        self.total = max(int(request.get("runs") or 1), 1)
        self.done, self.last = 0, 0.0

    def __call__(self, n: int) -> None:
        import time

        self.done += n
        now = time.monotonic()
        if now - self.last < 0.5 and self.done < self.total:
            return
        self.last = now
        if not _set(self.engine, self.jid, progress=min(self.done / self.total, 1.0)):
            raise _Cancelled


def _set(engine: Engine, jid: str, **values: str | float) -> bool:
    """Update a job unless it was cancelled meanwhile; returns whether it was updated."""
    with Session(engine) as s, s.begin():
        res = s.execute(
            update(ApiJob)
            .where(ApiJob.id == jid, ApiJob.status != "cancelled")
            .values(updated_at=_now(), **values)
        )
        return bool(res.rowcount)  # type: ignore[attr-defined]


def run_job(database_url: str, jid: str, data_dir: str | None = None) -> None:
    """Run one job (in a worker process): read the request, call the service, store the result."""

    engine = make_engine(database_url)
    with Session(engine) as s:
        j = s.scalar(select(ApiJob).where(ApiJob.id == jid))
        if j is None or j.status != "queued":
            return
        kind, request = j.kind, json.loads(j.request)
    if not _set(engine, jid, status="running"):
        return
    try:
        result = _execute(kind, request, data_dir, _Progress(engine, jid, request))
    except _Cancelled:
        engine.dispose()
        return
    except CritmatError as exc:
        _set(engine, jid, status="failed", error=str(exc))
        return
    except Exception as exc:  # a bug: the job says so, the server keeps running
        _set(engine, jid, status="failed", error=f"internal error ({type(exc).__name__})")
        return
    _set(
        engine,
        jid,
        status="done",
        progress=1.0,
        result=json.dumps(jsonable(result), allow_nan=False),
    )
    engine.dispose()


def _execute(
    kind: str, request: dict[str, Any], data_dir: str | None, progress: _Progress | None = None
) -> dict[str, Any]:
    """A job's result: the registry's use case (critmat.usecases), its JSON."""
    return registry.run_job(kind, open_dataset(data_dir), request, progress)
