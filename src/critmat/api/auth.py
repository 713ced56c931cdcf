"""Users and bearer tokens: ``cm_<id>_<secret>``; the database keeps only a salted
HMAC-SHA256 of the secret, so a leaked database does not leak tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from critmat.api.store import ROLES, ApiUser
from critmat.database import reader
from critmat.errors import CritmatError

__all__ = ["Principal", "add_user", "authenticate", "cached", "may"]


@dataclass(frozen=True)
class Principal:
    """An authenticated user."""

    name: str
    role: str


def _digest(salt: str, secret: str) -> str:
    return hmac.new(bytes.fromhex(salt), secret.encode(), hashlib.sha256).hexdigest()


def _new_token() -> tuple[str, str, str]:
    """(public id, secret, salt) of a new token."""
    return secrets.token_hex(8), secrets.token_urlsafe(32), secrets.token_hex(16)


def list_users(engine: Engine) -> list[dict[str, object]]:
    """Every user: name, role, created, disabled, the token's public id (never the secret)."""
    with Session(reader(engine)) as s:
        users = s.scalars(select(ApiUser).order_by(ApiUser.name)).all()
        return [{"name": u.name, "role": u.role, "created_at": u.created_at,
                 "disabled": bool(u.disabled), "token_id": u.token_id} for u in users]  # fmt: skip


def _user(s: Session, name: str) -> ApiUser:
    u = s.scalar(select(ApiUser).where(ApiUser.name == name))
    if u is None:
        raise CritmatError(f"unknown user {name!r}")
    return u


def set_disabled(engine: Engine, name: str, disabled: bool) -> None:
    """Disable (or enable again) a user: its token is refused at once by this process and
    within :data:`CACHE_SECONDS` by every other server process."""
    with Session(engine) as s, s.begin():
        _user(s, name).disabled = disabled
    _forget(name)


def rotate_token(engine: Engine, name: str) -> str:
    """A new token for a user (shown once); the old one is refused at once by this process and
    within :data:`CACHE_SECONDS` by every other server process."""
    token_id, secret, salt = _new_token()
    with Session(engine) as s, s.begin():
        u = _user(s, name)
        u.token_id, u.token_salt, u.token_hash = token_id, salt, _digest(salt, secret)
    _forget(name)
    return f"cm_{token_id}_{secret}"


def _forget(name: str) -> None:
    """Drop the cached verifications of a user's tokens."""
    for k in [k for k, (_, p) in _CACHE.items() if p.name == name]:
        _CACHE.pop(k, None)


def add_user(engine: Engine, name: str, role: str) -> str:
    """Create a user; returns the token (shown once, never stored)."""
    if role not in ROLES:
        raise CritmatError(f"unknown role {role!r}; roles: {', '.join(ROLES)}")
    if not name or len(name) > 60 or any(c.isspace() or ord(c) < 32 for c in name):
        raise CritmatError("a user name is 1-60 characters without spaces")
    token_id, secret, salt = _new_token()
    with Session(engine) as s, s.begin():
        if s.scalar(select(ApiUser).where(ApiUser.name == name)) is not None:
            raise CritmatError(f"user {name!r} exists already")
        s.add(
            ApiUser(
                name=name,
                role=role,
                token_id=token_id,
                token_salt=salt,
                token_hash=_digest(salt, secret),
                created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                disabled=False,
            )
        )
    return f"cm_{token_id}_{secret}"


#: verified tokens, kept for a short time so each request does not read the users table; a
#: disabled user or a removed token stops working within this many seconds
CACHE_SECONDS = 30.0
_CACHE: dict[str, tuple[float, Principal]] = {}


def authenticate(engine: Engine, token: str) -> Principal | None:
    """The user a token belongs to, or None (constant-time comparison; verified tokens are
    cached for :data:`CACHE_SECONDS`, keyed by a digest of the token, never the token)."""
    hit = cached(engine, token)
    if hit is not None:
        return hit
    import time

    p = _lookup(engine, token)
    if p is not None:
        if len(_CACHE) > 10_000:
            _CACHE.clear()
        _CACHE[_cache_key(engine, token)] = (time.monotonic(), p)
    return p


def cached(engine: Engine, token: str) -> Principal | None:
    """The user of a token verified less than :data:`CACHE_SECONDS` ago, else None (no database
    access: the server checks this on its event loop and looks up only on a miss)."""
    import time

    hit = _CACHE.get(_cache_key(engine, token))
    if hit is not None and time.monotonic() - hit[0] < CACHE_SECONDS:
        return hit[1]
    return None


def _cache_key(engine: Engine, token: str) -> str:
    return hashlib.sha256(f"{id(engine)}:{token}".encode()).hexdigest()


def _lookup(engine: Engine, token: str) -> Principal | None:
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != "cm" or len(parts[1]) != 16:
        return None

    with Session(reader(engine)) as s:
        u = s.scalar(select(ApiUser).where(ApiUser.token_id == parts[1]))
    if u is None or u.disabled:
        return None
    if not hmac.compare_digest(u.token_hash, _digest(u.token_salt, parts[2])):
        return None
    return Principal(u.name, u.role)


def may(p: Principal, role: str) -> bool:
    """Whether ``p`` has ``role`` or a more powerful one."""
    return ROLES.index(p.role) >= ROLES.index(role)
