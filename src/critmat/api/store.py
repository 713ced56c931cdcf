"""The API's tables: users (salted token hashes), jobs and the audit trail (same database and
metadata as the inventory; migration 0006)."""

from __future__ import annotations

from sqlalchemy import Boolean, Float, Integer, String, Text
from sqlalchemy.orm import Mapped, Session, mapped_column

from critmat.inventory.models import Base
from critmat.services.inventory import stage_row

__all__ = ["ROLES", "ApiAudit", "ApiJob", "ApiUser"]

#: roles in increasing power; a role may do what every role before it may
ROLES: tuple[str, ...] = ("viewer", "analyst", "operator", "admin")


class ApiUser(Base):
    """A user: the token's public id and a salted HMAC-SHA256 of its secret (shown once)."""

    __tablename__ = "api_user"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    role: Mapped[str] = mapped_column(String(10))
    token_id: Mapped[str] = mapped_column(String(16), unique=True)
    token_salt: Mapped[str] = mapped_column(String(32))
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[str] = mapped_column(String(32))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)


class ApiJob(Base):
    """A long request (simulation, plan) and its life cycle; survives a server restart."""

    __tablename__ = "api_job"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(12))  # queued running done failed cancelled
    request: Mapped[str] = mapped_column(Text)
    result: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str] = mapped_column(Text, default="")
    user: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[str] = mapped_column(String(32))
    progress: Mapped[float] = mapped_column(Float, default=0.0)  # fraction done, 0-1


class ApiAudit(Base):
    """Every write request: who, when, what, with which outcome."""

    __tablename__ = "api_audit"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ts: Mapped[str] = mapped_column(String(32))
    user: Mapped[str] = mapped_column(String(60))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(300))
    status: Mapped[int] = mapped_column(Integer)


def stage_audit(s: Session, user: str, method: str, path: str, status: int) -> None:
    """Stage the audit row of one write request in the open write transaction (inserted at its
    commit, critmat.inventory.staging; time in UTC to the second, path cut at 300)."""
    import datetime as dt

    row = {
        "ts": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "user": user or "-",
        "method": method,
        "path": path[:300],
        "status": status,
    }
    stage_row(s, ApiAudit.__table__, row)  # type: ignore[arg-type]
