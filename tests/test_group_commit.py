"""Group commit of concurrent ledger writes (critmat.inventory.group_commit), on SQLite and
PostgreSQL; idempotency lookups through the unique index."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from sqlalchemy import text

from critmat.inventory.checks import InventoryError
from critmat.inventory.group_commit import GroupCommitter
from critmat.inventory.ledger import Ledger
from tests.test_inventory import fresh, total


def test_concurrent_writes_share_commits_and_fail_alone(url: str) -> None:
    base = fresh(url)
    base.receive("LOT", "F/A", 10, "t")
    committer = GroupCommitter(base.engine, base._lock_head, store_head=base._store_head)
    n_threads, each = 20, 15
    errors: list[str] = []
    seqs: list[int] = []
    lock = threading.Lock()
    gate = threading.Barrier(n_threads)

    def client(c: int) -> None:
        led = Ledger(base.engine, user=f"client{c}", committer=committer)
        gate.wait()
        for i in range(each):
            try:
                if c == 0 and i % 5 == 0:  # far more than the lot holds: refused, alone
                    got = led.release("LOT", "F/A", 10_000, "t", "test", key=f"bad-{i}")
                else:
                    got = led.receive("LOT", "F/A", 1, "t", key=f"c{c}-{i}")
                with lock:
                    seqs.extend(got)
            except InventoryError as exc:
                with lock:
                    errors.append(str(exc))

    threads = [threading.Thread(target=client, args=(c,)) for c in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    refused = 3  # client 0, i = 0, 5, 10
    assert len(errors) == refused and all("would become" in e for e in errors)
    assert len(seqs) == len(set(seqs)) == n_threads * each - refused
    assert committer.booked == len(seqs)
    assert committer.groups < committer.booked  # requests did share commits
    rep = base.verify()
    assert rep.ok and rep.checked == 1 + len(seqs)
    assert total(base) == Decimal(10 + len(seqs))
    # a retried request returns what was booked the first time, through the committer too
    c2 = GroupCommitter(base.engine, base._lock_head, store_head=base._store_head)
    led = Ledger(base.engine, committer=c2)
    again = led.receive("LOT", "F/A", 1, "t", key="c3-4")
    assert again[0] in seqs and base.verify().checked == 1 + len(seqs)
    with pytest.raises(InventoryError, match="already used"):
        led.receive("LOT", "F/A", 2, "t", key="c3-4")
    assert base.verify().ok


def test_transfers_through_the_committer(url: str) -> None:
    base = fresh(url)
    committer = GroupCommitter(base.engine, base._lock_head, store_head=base._store_head)
    led = Ledger(base.engine, committer=committer)
    led.receive("LOT", "F/A", 5, "t")
    led.dispatch("LOT", "F/A", 2, "t", transfer="T1", carrier="c", route="r", seal="s", key="d")
    led.arrive("T1", "G/A", key="a")
    assert led.arrive("T1", "G/A", key="a")  # a retry: the same entries
    with pytest.raises(InventoryError):
        led.arrive("T1", "G/A", key="other")  # exactly once
    b = base.balances()
    assert b["quantity"].sum() == 5 and base.verify().ok


def test_idempotency_lookup_uses_the_unique_index(tmp_path: object) -> None:
    led = fresh(f"sqlite:///{tmp_path}/inv.db")
    with led.engine.connect() as c:
        plan = c.execute(
            text("EXPLAIN QUERY PLAN SELECT seq FROM ledger WHERE idempotency_key IN ('a#0')")
        ).fetchall()
    detail = " ".join(str(r[-1]) for r in plan)
    assert "USING" in detail and "INDEX" in detail and "SCAN ledger" not in detail, detail


def test_one_group_sees_its_own_staged_entries(url: str) -> None:
    """Requests queued into one group, in a known order: each sees what the earlier ones staged
    (balances, idempotency keys, transfers); a refused request leaves nothing; the entries go
    in with few INSERTs and no SAVEPOINT."""
    from sqlalchemy import event

    from critmat.services.inventory import group_committer

    base = fresh(url)
    base.receive("LOT", "F/A", 10, "t")
    committer = group_committer(base.engine)
    led = Ledger(base.engine, committer=committer)
    gate = threading.Event()
    out: dict[str, object] = {}

    def first(s: object, head: object) -> list[int]:  # holds the first group open
        gate.wait(30)
        return []

    requests = {
        "a": lambda: led.receive("LOT", "F/A", 5, "t", key="r1"),
        "b": lambda: led.release("LOT", "F/A", 12, "t", "drill", key="x1"),  # needs a's 5 t
        "c": lambda: led.release("LOT", "F/A", 4, "t", "drill"),  # 3 t left: refused
        "d": lambda: led.receive("LOT", "F/A", 5, "t", key="r1"),  # a retry of a
        "e": lambda: led.receive("LOT", "F/A", 6, "t", key="r1"),  # the key for another
        "f": lambda: led.dispatch(
            "LOT", "F/A", 2, "t", transfer="T1", carrier="c", route="r", seal="s", key="d1"
        ),
        "g": lambda: led.arrive("T1", "G/A", key="a1"),  # the transfer f staged
        "h": lambda: led.receive("LOT", "F/A", 1, "t", key="r2"),
    }

    def call(name: str) -> None:
        try:
            out[name] = requests[name]()
        except InventoryError as exc:
            out[name] = str(exc)

    statements: list[str] = []

    def seen(_c: object, _cur: object, stmt: str, *_a: object) -> None:
        statements.append(stmt.split()[0].upper() + " " + " ".join(stmt.split()[1:3]))

    holder = threading.Thread(target=lambda: committer.run(first))
    holder.start()
    while not committer._busy:
        gate.wait(0.001)
    threads = []
    for k, name in enumerate(requests):  # queued one after the other: a known order
        t = threading.Thread(target=call, args=(name,))
        t.start()
        threads.append(t)
        while len(committer._pending) < k + 1:
            gate.wait(0.001)
    event.listen(base.engine, "before_cursor_execute", seen)
    gate.set()
    for t in [holder, *threads]:
        t.join(60)
    event.remove(base.engine, "before_cursor_execute", seen)

    assert committer.groups == 2  # the holder's group, then all eight together
    assert isinstance(out["a"], list) and out["d"] == out["a"]  # the retry: same entries
    assert isinstance(out["b"], list) and isinstance(out["h"], list)
    assert "would become" in str(out["c"]) and "already used" in str(out["e"])
    assert isinstance(out["f"], list) and len(out["f"]) == 2
    assert isinstance(out["g"], list) and len(out["g"]) == 2
    b = base.balances().set_index("location")["quantity"]
    assert b["F/A"] == 10 + 5 - 12 - 2 + 1 and b["G/A"] == 2 and "in transit" not in b
    rep = base.verify()
    assert rep.ok and rep.checked == 1 + 1 + 1 + 2 + 2 + 1  # the 10 t, then a b f g h
    inserts = [s for s in statements if s.startswith("INSERT INTO ledger")]
    assert not [s for s in statements if s.startswith(("SAVEPOINT", "RELEASE"))]
    # staged entries flushed before f's and g's queries of the transfer, the rest at commit
    assert len(inserts) == 3, statements


def test_coroutines_and_threads_share_groups(url: str) -> None:
    """Coroutines (the HTTP server's writes, Ledger.submit) and threads book through one
    committer: every request booked once, a refused one fails alone, the chain verifies."""
    import asyncio

    from critmat.services.inventory import group_committer

    base = fresh(url)
    committer = group_committer(base.engine)
    led = Ledger(base.engine, user="api", committer=committer)
    thread_seqs: list[int] = []

    def threads_client(c: int) -> None:
        for i in range(10):
            thread_seqs.extend(Ledger(base.engine, committer=committer).receive(
                "LOT", "F/A", 1, "t", key=f"t{c}-{i}"
            ))  # fmt: skip

    async def main() -> list[object]:
        calls = [
            led.submit(lambda lg, i=i: lg.receive("LOT", "F/A", 2, "t", key=f"a{i}"))
            for i in range(60)
        ]
        calls.append(led.submit(lambda lg: lg.release("LOT", "F/A", 10**6, "t", "too much")))
        return await asyncio.gather(*calls, return_exceptions=True)

    workers = [threading.Thread(target=threads_client, args=(c,)) for c in range(4)]
    for t in workers:
        t.start()
    out = asyncio.run(main())
    for t in workers:
        t.join()
    booked = [s for r in out if isinstance(r, list) for s in r]
    assert len(booked) == 60 and isinstance(out[-1], InventoryError)
    assert "would become" in str(out[-1])
    assert len(set(booked + thread_seqs)) == 60 + 40
    assert committer.groups < committer.booked == 100
    assert total(base) == Decimal(60 * 2 + 40) and base.verify().ok
    # a retry through submit returns what the first booking booked
    again = asyncio.run(led.submit(lambda lg: lg.receive("LOT", "F/A", 2, "t", key="a7")))
    assert again[0] in booked and total(base) == Decimal(160)


def test_submit_runs_every_write_operation(url: str) -> None:
    """Each write operation submitted from a coroutine books what the blocking call books."""
    import asyncio

    from critmat.services.inventory import group_committer

    base = fresh(url)
    led = Ledger(base.engine, committer=group_committer(base.engine))

    async def ops() -> None:
        await led.submit(lambda lg: lg.receive("LOT", "F/A", 10, "t", key="r"))
        await led.submit(lambda lg: lg.dispatch(
            "LOT", "F/A", 4, "t", transfer="T", carrier="c", route="r", seal="s"
        ))  # fmt: skip
        await led.submit(lambda lg: lg.arrive("T", "G/A"))
        await led.submit(lambda lg: lg.release("LOT", "F/A", 1, "t", "drill"))
        await led.submit(lambda lg: lg.sell("LOT", "G/A", 1000, "kg", "rotation"))
        await led.submit(lambda lg: lg.adjust("LOT", "F/B", 2, "t", "count"))
        await led.submit(lambda lg: lg.dispatch(
            "LOT", "F/A", 1, "t", transfer="T2", carrier="c", route="r", seal="s"
        ))  # fmt: skip
        await led.submit(lambda lg: lg.lost("T2", "fell off"))
        with pytest.raises(InventoryError, match="unknown lot"):
            await led.submit(lambda lg: lg.receive("NOPE", "F/A", 1, "t"))
        with pytest.raises(InventoryError, match="no ledger write"):
            await led.submit(lambda lg: [])

    asyncio.run(ops())
    b = base.balances().set_index("location")["quantity"]
    assert b["F/A"] == 10 - 4 - 1 - 1 and b["G/A"] == 4 - 1 and b["F/B"] == 2
    assert "in transit" not in b and base.verify().ok
    with pytest.raises(InventoryError, match="needs a group committer"):
        asyncio.run(Ledger(base.engine).submit(lambda lg: lg.receive("LOT", "F/A", 1, "t")))


def test_sqlite_write_lock_serialises_processes(tmp_path: object) -> None:
    """The inter-process write lock (flock on <file>.write-lock) makes a second writer wait
    until the first releases it; PostgreSQL and in-memory SQLite take none."""
    from pathlib import Path

    from sqlalchemy import create_engine

    from critmat.database import write_lock

    led = fresh(f"sqlite:///{tmp_path}/inv.db")
    held, order = threading.Event(), []

    def second() -> None:
        held.wait(10)
        with write_lock(led.engine):
            order.append("second")

    t = threading.Thread(target=second)
    t.start()
    with write_lock(led.engine):
        held.set()
        t.join(0.3)  # still waiting for the lock
        order.append("first")
    t.join(10)
    assert order == ["first", "second"]
    assert Path(f"{tmp_path}/inv.db.write-lock").exists()
    with write_lock(create_engine("sqlite://")):  # in memory: nothing to lock
        pass
