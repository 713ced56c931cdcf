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


def add_user(engine: Engine, name: str, role: str) -> str:
    """Create a user; returns the token (shown once, never stored)."""
    if role not in ROLES:
        raise CritmatError(f"unknown role {role!r}; roles: {', '.join(ROLES)}")
    if not name or len(name) > 60 or any(c.isspace() or ord(c) < 32 for c in name):
        raise CritmatError("a user name is 1-60 characters without spaces")
    token_id, secret, salt = secrets.token_hex(8), secrets.token_urlsafe(32), secrets.token_hex(16)
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
