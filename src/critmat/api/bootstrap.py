"""The HTTP face's bootstrap: building the application and managing its users from the
settings (``critmat serve``, ``critmat users``, the multi-process launcher)."""

from __future__ import annotations

from typing import Any

from critmat.api import jobs
from critmat.api.app import ApiConfig, create_app
from critmat.api.auth import add_user as add
from critmat.api.auth import list_users, rotate_token, set_disabled
from critmat.database import database_url as url_of
from critmat.database import make_engine
from critmat.errors import CritmatError
from critmat.services.inventory import init_database, migrate
from critmat.settings import Settings

__all__ = ["add_user", "build_app", "prepare_processes", "settle"]


def add_user(database_url: str | None, name: str, role: str) -> str:
    """Create an API user in the (migrated) database; returns the token, shown once."""

    url = url_of(database_url)
    migrate(url)
    return add(make_engine(url), name, role)


def users(database_url: str | None) -> list[dict[str, object]]:
    """The API's users (``critmat users list``)."""
    return list_users(_engine(database_url))


def disable_user(database_url: str | None, name: str, disabled: bool = True) -> None:
    """Disable or enable a user (``critmat users disable|enable``)."""
    set_disabled(_engine(database_url), name, disabled)


def new_token(database_url: str | None, name: str) -> str:
    """A new token for a user, the old one refused (``critmat users rotate-token``)."""
    return rotate_token(_engine(database_url), name)


def _engine(database_url: str | None) -> Any:
    url = url_of(database_url)
    migrate(url)
    return make_engine(url)


def build_app(
    database_url: str | None = None, *, workers: int = 1, recover: bool = True, **kw: Any
) -> Any:
    """The FastAPI application with the settings' database, ledger key and data overlay;
    ``recover``: mark jobs a stopped server left running as failed (once per server, not per
    process)."""

    key = _ledger_key()
    cfg = ApiConfig(
        url_of(database_url), key, Settings.from_env().data_dir, workers, recover=recover, **kw
    )
    return create_app(cfg)


def _ledger_key() -> bytes:

    key = Settings.from_env().key_bytes()
    if key is None:
        raise CritmatError(
            "set CRITMAT_LEDGER_KEY_FILE to a key file of at least 16 bytes: the server refuses "
            "to start without a secret"
        )
    return key


def prepare_processes(database_url: str | None) -> str:
    """Before several server processes start: check the settings, migrate the database and
    recover stopped jobs once; returns the database URL each process opens (each then builds
    its application with ``build_app(url, recover=False)``)."""

    url = url_of(database_url)
    key = _ledger_key()  # refused here, before any process starts
    init_database(url, key)
    jobs.recover(make_engine(url))
    return url


def settle(app: Any) -> Any:
    """Before a server process takes requests: move everything loaded at start (the dataset,
    the routes, the modules) out of the garbage collector's generations (``gc.freeze``).

    Measured under load (docs/performance.md): without it, each full collection walked the
    loaded dataset and stopped the process for 130-140 ms every ~2.6 s, which set the p99
    latency of every request in flight at that moment."""
    import gc

    gc.collect()
    gc.freeze()
    return app
