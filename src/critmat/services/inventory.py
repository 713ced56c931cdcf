"""Operate: the inventory's use cases (ledger, lots, monitoring, valuation, maintenance, risks).

The CLI and the HTTP API call these; the implementations live in :mod:`critmat.inventory`
(SQLAlchemy on SQLite or PostgreSQL). This module is their one entry point.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from critmat.database import make_engine
from critmat.inventory import staging
from critmat.inventory.checks import InventoryError, parse_day, to_tonnes
from critmat.inventory.demo import seed_demo
from critmat.inventory.group_commit import GroupCommitter
from critmat.inventory.ledger import Ledger
from critmat.inventory.maintenance import add_equipment, maintenance_plan, record_service
from critmat.inventory.migrate import migrate
from critmat.inventory.monitoring import alerts, ingest, quality, set_alert
from critmat.inventory.proof import sign_genesis
from critmat.inventory.read_models import movements, readings
from critmat.inventory.registers import facilities, lots
from critmat.inventory.risks import add_risk, risk_register
from critmat.inventory.staging import stage_row
from critmat.inventory.valuation import (
    add_policy,
    coverage,
    holdings_vs_targets,
    read_price_feed,
    rotation_plan,
    valuation,
)
from critmat.settings import Settings

__all__ = [
    "InventoryError",
    "Ledger",
    "add_equipment",
    "add_policy",
    "add_risk",
    "alerts",
    "coverage",
    "facilities",
    "group_committer",
    "holdings",
    "holdings_vs_targets",
    "ingest",
    "ingest_records",
    "init_database",
    "lots",
    "maintenance_plan",
    "make_engine",
    "migrate",
    "movements",
    "open_ledger",
    "parse_day",
    "quality",
    "read_price_feed",
    "readings",
    "record_service",
    "risk_register",
    "rotation_plan",
    "seed_demo",
    "set_alert",
    "stage_row",
    "valuation",
]


if TYPE_CHECKING:
    from sqlalchemy import Engine

    from critmat.inventory.group_commit import GroupCommitter


def group_committer(engine: Engine) -> GroupCommitter:
    """Group commits for a server process (critmat.inventory.group_commit): concurrent ledger
    writes (pass it to each request's Ledger) and rows staged beside them, such as the audit
    trail (critmat.inventory.staging.stage_row)."""

    led = Ledger(engine)
    return GroupCommitter(
        engine,
        led._lock_head,
        store_head=led._store_head,
        savepoints=False,  # ledger writes stage their entries only once every check passed
        prefetch=staging.prefetch_keys,
    )


def open_ledger(url: str | None = None, *, create: bool = False) -> Ledger:
    """The ledger on ``url`` (else the settings' database) with the settings' key and user;
    a SQLite file is created only with ``create``."""

    st = Settings.from_env()
    return Ledger(make_engine(url, create=create), key=st.key_bytes(), user=st.user)


def init_database(url: str | None = None, key: bytes | None = None) -> tuple[str, bool]:
    """Create or upgrade the schema (Alembic) and, with a ledger key (``key``, else the
    settings'), sign a new ledger's genesis head so that its first audit verifies; returns (URL,
    genesis signed now)."""

    u = migrate(url)
    led = open_ledger(u)
    if key is not None:
        led.key = key
    try:
        return u, sign_genesis(led)
    finally:
        led.engine.dispose()


def ingest_records(led: Ledger, records: list[dict[str, object]], source: str) -> object:
    """Load sensor readings given as records (zone, timestamp, metric, value): the same checks
    and alerts as a file; ``source`` names them in the readings' source column."""
    import json
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / f"{source}.json"
        path.write_text(json.dumps(records))
        return ingest(led, path, label=f"the readings sent ({source})")


def holdings(led: Ledger, composition: list[dict[str, object]] | None = None) -> object:
    """Tonnes held per material (gross, as booked; kg converted), next to a plan's targets
    (its composition records: material, optimal_t) when given."""
    import pandas as pd

    if composition is not None:
        targets = pd.DataFrame(composition)[["material", "optimal_t"]]
        return holdings_vs_targets(led, targets)
    bal = led.balances()
    bal["held_t"] = [to_tonnes(q, u) for q, u in zip(bal["quantity"], bal["unit"], strict=True)]
    return bal.groupby("material", as_index=False)["held_t"].sum()
