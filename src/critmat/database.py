"""The database engine every part shares (the inventory, the API's users and jobs): SQLite (WAL)
by default, PostgreSQL through a URL. A low module: it knows the settings and nothing above them.
The inventory schema's migrations are :mod:`critmat.inventory.migrate`."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, make_url

from critmat.errors import CritmatError
from critmat.settings import DATABASE_ENV, DEFAULT_DATABASE_URL, Settings

__all__ = [
    "DEFAULT_URL",
    "ENV_URL",
    "database_url",
    "make_engine",
    "reader",
    "write_lock",
]

ENV_URL = DATABASE_ENV
DEFAULT_URL = DEFAULT_DATABASE_URL


def database_url(url: str | None = None) -> str:
    """The URL given, else ``$CRITMAT_DATABASE_URL``, else a SQLite file in the working folder."""
    return url or Settings.from_env().database_url


def make_engine(url: str | None = None, *, create: bool = False) -> Engine:
    """An engine whose transactions lock for writing at BEGIN on SQLite (WAL, foreign keys on).

    A SQLite file that does not exist is created only with ``create`` (``inventory init``):
    any other command on a mistyped path is refused instead of creating an empty database.
    """
    from sqlalchemy.exc import ArgumentError

    u = database_url(url)
    try:
        parsed = make_url(u)
    except ArgumentError:
        raise CritmatError(
            f"{u!r} is not a database URL (e.g. sqlite:///inventory.db or "
            "postgresql+psycopg://user@host/db)"
        ) from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise CritmatError(f"database {parsed.get_backend_name()!r}: use SQLite or PostgreSQL")
    if u.startswith("sqlite"):
        path = parsed.database
        if path and path != ":memory:":
            if not create and not Path(path).is_file():
                raise CritmatError(
                    f"no inventory database at {path}: run `critmat inventory init --db {u}`"
                )
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(u, connect_args={"timeout": 60, "isolation_level": None})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=60000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn):  # type: ignore[no-untyped-def]
            # writers take the write lock at BEGIN; readers (engine.execution_options(
            # readonly=True), critmat.database.reader) never wait for a long write (WAL)
            if conn.get_execution_options().get("readonly"):
                conn.exec_driver_sql("BEGIN")
            else:
                conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(u, pool_pre_ping=True)


def reader(engine: Engine) -> Engine:
    """The engine for read-only work: on SQLite its transactions do not take the write lock."""
    return engine.execution_options(readonly=True)


@contextlib.contextmanager
def write_lock(engine: Engine) -> Iterator[None]:
    """Serialise the write transactions of several server processes on one SQLite file with an
    exclusive lock on ``<file>.write-lock`` (``flock``), taken before ``BEGIN IMMEDIATE``.

    SQLite alone also serialises them, but a writer that finds the database locked sleeps in
    its busy handler (1, 2, 5, 10 ... 100 ms) and retries, which puts those sleeps into the tail
    latency; a process waiting on ``flock`` is woken as soon as the lock is free. Correctness
    does not depend on this lock (writers outside the server do not take it). Other databases
    (PostgreSQL's row lock wakes waiters at once), in-memory SQLite and platforms without
    ``fcntl``: no lock.
    """
    path = engine.url.database if engine.dialect.name == "sqlite" else None
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        path = None
    if not path or path == ":memory:":
        yield
        return
    with open(f"{path}.write-lock", "a+b") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
