"""One place that reads the environment: :class:`Settings`.

``CRITMAT_DATA``: an overlay directory of user tables (docs/data.md); ``CRITMAT_DATABASE_URL``:
the inventory database (SQLite file by default, PostgreSQL by URL). Command-line options win over
the environment; nothing else in critmat reads ``os.environ``. Import cost: standard library only.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["DATABASE_ENV", "DATA_ENV", "DEFAULT_DATABASE_URL", "Settings"]

DATA_ENV = "CRITMAT_DATA"
DATABASE_ENV = "CRITMAT_DATABASE_URL"
DEFAULT_DATABASE_URL = "sqlite:///critmat-inventory.db"


@dataclass(frozen=True)
class Settings:
    """Environment and defaults, read once."""

    data_dir: str | None = None
    database_url: str = DEFAULT_DATABASE_URL

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        e = os.environ if env is None else env
        return cls(
            data_dir=e.get(DATA_ENV) or None,
            database_url=e.get(DATABASE_ENV) or DEFAULT_DATABASE_URL,
        )
