"""Helpers for the inventory tests: database URLs (SQLite file, PostgreSQL schema) and workers."""

from __future__ import annotations

import os
import random
import uuid

PG_BASE = os.environ.get("CRITMAT_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def pg_available() -> str:
    """'' if a PostgreSQL server answers, else the reason."""
    from sqlalchemy import create_engine, text

    try:
        eng = create_engine(PG_BASE, connect_args={"connect_timeout": 3})
        with eng.connect() as c:
            c.execute(text("select 1"))
        eng.dispose()
        return ""
    except Exception as exc:  # no server: the tests say so and skip
        return f"no PostgreSQL server at {PG_BASE}: {exc.__class__.__name__}"


def pg_schema_url() -> tuple[str, str]:
    """A fresh schema on the test database; returns (url, schema)."""
    from sqlalchemy import create_engine, text

    schema = f"cm_{uuid.uuid4().hex[:10]}"
    eng = create_engine(PG_BASE)
    with eng.begin() as c:
        c.execute(text(f"CREATE SCHEMA {schema}"))
    eng.dispose()
    return f"{PG_BASE}?options=-csearch_path%3D{schema}", schema


def drop_schema(schema: str) -> None:
    from sqlalchemy import create_engine, text

    eng = create_engine(PG_BASE)
    with eng.begin() as c:
        c.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    eng.dispose()


def worker(url: str, n: int, seed: int, out: object) -> None:
    """Release small random amounts from one lot; report how much was booked."""
    from critmat.database import make_engine
    from critmat.inventory.checks import InventoryError
    from critmat.inventory.ledger import Ledger

    rng = random.Random(seed)
    led = Ledger(make_engine(url))
    booked = refused = 0
    total = 0.0
    for i in range(n):
        q = rng.choice([1, 2, 3, 5])
        try:
            if rng.random() < 0.2:
                led.receive("LOT", "F/A", q, "t", key=f"w{seed}-{i}")
                total -= q
            else:
                led.release("LOT", "F/A", q, "t", "test draw", key=f"w{seed}-{i}")
                total += q
            booked += 1
        except InventoryError:
            refused += 1
    out.put((booked, refused, total))  # type: ignore[attr-defined]


def crash_child(url: str, ready: object) -> None:
    """Book a 400-movement batch and stall half way (the parent kills this process)."""
    import time

    from critmat.database import make_engine
    from critmat.inventory.ledger import Ledger, Move

    led = Ledger(make_engine(url))
    moves = [Move("receipt", "LOT", "F/A", 1, "t") for _ in range(400)]

    def pause() -> None:
        ready.set()  # type: ignore[attr-defined]
        time.sleep(60)

    led.apply(moves, batch="crash", _pause=pause)


def arrive_child(url: str, transfer: str, zone: str, out: object) -> None:
    """Try to close one transfer (arrive or lost); report which call was booked."""
    from critmat.database import make_engine
    from critmat.inventory.checks import InventoryError
    from critmat.inventory.ledger import Ledger

    led = Ledger(make_engine(url))
    try:
        if zone:
            led.arrive(transfer, zone)
        else:
            led.lost(transfer, "sank")
        out.put("booked")  # type: ignore[attr-defined]
    except InventoryError:
        out.put("refused")  # type: ignore[attr-defined]
