"""The inventory schema (and the API's users and jobs beside it) brought up to date with Alembic."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from critmat.database import database_url

__all__ = ["migrate"]


def migrate(url: str | None = None, revision: str = "head") -> str:
    """Bring the database to ``revision`` with Alembic; returns the URL used."""
    from alembic import command
    from alembic.config import Config

    u = database_url(url)
    cfg = Config()
    cfg.set_main_option(
        "script_location", str(Path(str(resources.files("critmat.inventory"))) / "migrations")
    )
    cfg.set_main_option("sqlalchemy.url", u.replace("%", "%%"))
    command.upgrade(cfg, revision)
    return u
