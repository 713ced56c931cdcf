"""Serve: building the HTTP application and managing its users from the settings."""

from __future__ import annotations

from typing import Any

__all__ = ["add_user", "build_app"]


def add_user(database_url: str | None, name: str, role: str) -> str:
    """Create an API user in the (migrated) database; returns the token, shown once."""
    from critmat.api.auth import add_user as add
    from critmat.inventory.db import database_url as url_of
    from critmat.inventory.db import make_engine, migrate

    url = url_of(database_url)
    migrate(url)
    return add(make_engine(url), name, role)


def build_app(database_url: str | None = None, *, workers: int = 1, **kw: Any) -> Any:
    """The FastAPI application with the settings' database, ledger key and data overlay."""
    from critmat.api.app import ApiConfig, create_app
    from critmat.errors import CritmatError
    from critmat.inventory.db import database_url as url_of
    from critmat.settings import Settings

    st = Settings.from_env()
    key = st.key_bytes()
    if key is None:
        raise CritmatError(
            "set CRITMAT_LEDGER_KEY_FILE to a key file of at least 16 bytes: the server refuses "
            "to start without a secret"
        )
    cfg = ApiConfig(url_of(database_url), key, st.data_dir, workers, **kw)
    return create_app(cfg)
