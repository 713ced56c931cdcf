"""Alembic environment for the inventory schema (run through critmat.inventory.db.migrate)."""

from __future__ import annotations

from alembic import context

from critmat.inventory.db import make_engine
from critmat.inventory.models import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run()
