"""Group commit: concurrent ledger writes in one process share one transaction and one commit.

Every ledger write appends to one hash chain, so writers serialise on the chain head. With many
concurrent clients each taking the head lock in its own transaction, they queue on the database
lock (SQLite's busy handler sleeps and retries; PostgreSQL's row lock) and the tail latency grows
with the queue. A :class:`GroupCommitter` gives the process one writer thread instead: requests
wait in a queue; the writer takes every waiting request (up to ``max_group``), books each in its
own SAVEPOINT inside one transaction holding the head lock, commits once and wakes each request
with its sequence numbers or its own error. A request that fails (a negative balance, a reused
key) rolls back only its savepoint; a group whose commit fails is retried one request at a time,
so no request fails because of another. Several server processes stay correct: each group still
takes the database's head lock.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

__all__ = ["GroupCommitter", "HeadView", "Write"]

#: a write: books into the open session holding the head lock, returns sequence numbers
Write = Callable[[Session, Any], list[int]]


@dataclass
class HeadView:
    """The chain head while a group books: its requests advance this copy, and the head row is
    written once per group instead of once per request."""

    seq: int
    hash: str
    mac: str


@dataclass
class _Request:
    fn: Write
    done: threading.Event = field(default_factory=threading.Event)
    result: list[int] | None = None
    error: BaseException | None = None


class GroupCommitter:
    """One writer thread for an engine (module docstring); ``lock_head(session)`` takes and
    returns the chain head (critmat.inventory.ledger.Ledger._lock_head)."""

    def __init__(
        self, engine: Engine, lock_head: Callable[[Session], Any], *, max_group: int = 256
    ) -> None:
        self.engine = engine
        self.lock_head = lock_head
        self.max_group = max_group
        self.groups = 0  # commits made (for the benchmark and tests)
        self.booked = 0  # requests booked
        self._q: queue.Queue[_Request | None] = queue.Queue()
        self._thread: threading.Thread | None = None  # started by the first write
        self._start = threading.Lock()

    def run(self, fn: Write, timeout: float | None = 120.0) -> list[int]:
        """Book ``fn`` with the next group; blocks until its group has committed (the writer
        thread starts with the first write, and again after :meth:`close`)."""
        with self._start:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, name="ledger-writer", daemon=True
                )
                self._thread.start()
            req = _Request(fn)
            self._q.put(req)  # under the lock: never behind a stop marker (close)
        if not req.done.wait(timeout):
            raise TimeoutError("the ledger writer did not answer in time")
        if req.error is not None:
            raise req.error
        assert req.result is not None
        return req.result

    def close(self) -> None:
        """Finish the queued requests and stop the writer (a later write starts it again: an
        application's lifespan may stop and start several times)."""
        with self._start:
            if self._thread is not None:
                self._q.put(None)
                self._thread.join(timeout=60)
                self._thread = None

    def _loop(self) -> None:
        while True:
            first = self._q.get()
            if first is None:
                return
            group = [first]
            while len(group) < self.max_group:
                try:
                    nxt = self._q.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    self._q.put(None)  # stop after this group
                    break
                group.append(nxt)
            self._book(group)

    def _book(self, group: list[_Request]) -> None:
        try:
            self._transaction(group)
        except Exception:  # the commit itself failed: each request alone, so each gets its own
            for req in group:
                req.result, req.error = None, None
                try:
                    self._transaction([req])
                except Exception as exc:
                    req.result, req.error = None, exc
        for req in group:
            req.done.set()

    def _transaction(self, group: list[_Request]) -> None:
        with Session(self.engine) as s, s.begin():
            head = self.lock_head(s)
            view = HeadView(head.seq, head.hash, head.mac)
            for req in group:
                before = (view.seq, view.hash, view.mac)
                try:
                    with s.begin_nested():
                        req.result = req.fn(s, view)
                except Exception as exc:
                    req.result, req.error = None, exc
                    view.seq, view.hash, view.mac = before
            head.seq, head.hash, head.mac = view.seq, view.hash, view.mac
        self.groups += 1
        self.booked += sum(r.error is None for r in group)
