"""One place that reads the environment: :class:`Settings`.

``CRITMAT_DATA``: an overlay directory of user tables (docs/data.md); ``CRITMAT_DATABASE_URL``:
the inventory database (SQLite file by default, PostgreSQL by URL); ``CRITMAT_LEDGER_KEY_FILE``
(or ``CRITMAT_LEDGER_KEY``): the key that MACs the ledger's chain head, kept outside the
database. Command-line options win over the environment; nothing else in critmat reads
``os.environ``. Import cost: standard library only.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from critmat.errors import CritmatError

__all__ = [
    "DATABASE_ENV",
    "DATA_ENV",
    "DEFAULT_DATABASE_URL",
    "LEDGER_KEY_ENV",
    "LEDGER_KEY_FILE_ENV",
    "USER_ENV",
    "Settings",
]

DATA_ENV = "CRITMAT_DATA"
DATABASE_ENV = "CRITMAT_DATABASE_URL"
#: the ledger's MAC key (docs/inventory.md, "Threat model"): a file (preferred) or the value
LEDGER_KEY_FILE_ENV = "CRITMAT_LEDGER_KEY_FILE"
LEDGER_KEY_ENV = "CRITMAT_LEDGER_KEY"
#: who books ledger entries from this shell (the HTTP API sets it per request)
USER_ENV = "CRITMAT_USER"
DEFAULT_DATABASE_URL = "sqlite:///critmat-inventory.db"


@dataclass(frozen=True)
class Settings:
    """Environment and defaults, read once."""

    data_dir: str | None = None
    database_url: str = DEFAULT_DATABASE_URL
    ledger_key_file: str | None = None
    ledger_key: str | None = None
    user: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        e = os.environ if env is None else env
        return cls(
            data_dir=e.get(DATA_ENV) or None,
            database_url=e.get(DATABASE_ENV) or DEFAULT_DATABASE_URL,
            ledger_key_file=e.get(LEDGER_KEY_FILE_ENV) or None,
            ledger_key=e.get(LEDGER_KEY_ENV) or None,
            # bookings from the command line name the OS user when CRITMAT_USER is not set
            user=e.get(USER_ENV) or e.get("USER") or e.get("LOGNAME") or "",
        )

    def key_bytes(self) -> bytes | None:
        """The ledger key (file contents, stripped, or the value), None when none is set."""
        from pathlib import Path

        if self.ledger_key_file:
            p = Path(self.ledger_key_file)
            if not p.is_file():
                raise CritmatError(f"ledger key file {p} does not exist")
            key = p.read_bytes().strip()
        elif self.ledger_key:
            key = self.ledger_key.encode()
        else:
            return None
        if len(key) < 16:
            raise CritmatError("the ledger key must be at least 16 bytes")
        return key
