"""Alembic environment for the inventory schema (run through critmat.database.migrate)."""

from __future__ import annotations

from alembic import context

from critmat.database import make_engine
from critmat.inventory.models import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    engine = make_engine(config.get_main_option("sqlalchemy.url"), create=True)
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            # concurrent `inventory init` runs wait for each other; the later ones then find the
            # schema at head and do nothing (session lock, released when the connection closes)
            conn.exec_driver_sql("SELECT pg_advisory_lock(7240311)")
            conn.commit()
        context.configure(connection=conn, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run()
