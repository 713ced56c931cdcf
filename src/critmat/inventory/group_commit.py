"""Group commit: concurrent ledger writes in one process share one transaction and one commit.

Every ledger write appends to one hash chain, so writers serialise on the chain head. With many
concurrent clients each taking the head lock in its own transaction, they queue on the database
lock (SQLite's busy handler sleeps and retries; PostgreSQL's row lock) and the tail latency grows
with the queue. A :class:`GroupCommitter` lets one group at a time write for the process: requests
wait in a queue while a group books; then one of them (the leader, in its own thread: no hand-off
to another thread) takes every waiting request (up to ``max_group``), books them one after the
other inside one transaction holding the head lock, commits once and wakes each request with
its sequence numbers or its own error. Ledger writes check everything before they stage their
entries (critmat.inventory.staging), so a refused request (a negative balance, a reused key) has
written nothing and the others go on; the staged entries of the whole group are inserted at once
and the group's idempotency keys looked up in one query. Writes that may fail after writing use
a SAVEPOINT each (``savepoints=True``). A group whose commit fails is retried one request at a
time, so no request fails because of another. Several server processes stay correct: each group
still takes the database's head lock.
"""

from __future__ import annotations

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
    key: str | None = None
    #: set when the request is booked (``done``) or made the next group's leader
    wake: threading.Event = field(default_factory=threading.Event)
    done: bool = False
    result: list[int] | None = None
    error: BaseException | None = None


class GroupCommitter:
    """Group commit for an engine (module docstring); ``lock_head(session)`` takes and returns
    the chain head (critmat.inventory.ledger.Ledger._lock_head) and ``store_head`` writes it back
    once per group; ``lock_head`` returns None for rows outside the chain. Thread-safe; no
    thread of its own: the first waiting request leads the next group in its own thread."""

    def __init__(
        self,
        engine: Engine,
        lock_head: Callable[[Session], HeadView | None],
        *,
        store_head: Callable[[Session, HeadView], None] | None = None,
        max_group: int = 256,
        savepoints: bool = True,
        prefetch: Callable[[Session, list[str]], None] | None = None,
    ) -> None:
        self.engine = engine
        self.lock_head = lock_head
        #: writes the advanced head back once per group (not needed for rows outside the chain)
        self.store_head = store_head
        self.max_group = max_group
        #: False only for writes that raise before they write anything (the ledger's)
        self.savepoints = savepoints
        #: called once per group with the requests' idempotency keys, after the head lock
        self.prefetch = prefetch
        self.groups = 0  # commits made (for the benchmark and tests)
        self.booked = 0  # requests booked
        self._lock = threading.Lock()
        self._pending: list[_Request] = []
        self._busy = False  # a leader is booking (or was just named)

    def run(self, fn: Write, key: str | None = None) -> list[int]:
        """Book ``fn`` (with its idempotency ``key``, if any) with the next group and return
        its sequence numbers (or raise its own error). Leader/follower: while a group books,
        requests queue; when it is done, the leader wakes the oldest waiting request alone (no
        herd of waiters), which takes every queued one (up to ``max_group``) and books them
        together; the others are woken with their results."""
        req = _Request(fn, key)
        with self._lock:
            self._pending.append(req)
            lead = not self._busy
            self._busy = True
        if not lead:
            req.wake.wait()  # booked by a leader, or named the next leader
        if not req.done:
            with self._lock:  # the oldest waiting request leads: its own is in the group
                group = self._pending[: self.max_group]
                del self._pending[: self.max_group]
            try:
                self._book(group)
            finally:
                with self._lock:
                    if self._pending:
                        self._pending[0].wake.set()  # the next leader (still busy)
                    else:
                        self._busy = False
        if req.error is not None:
            raise req.error
        assert req.result is not None
        return req.result

    def _book(self, group: list[_Request]) -> None:
        try:
            self._transaction(group)
        except Exception as exc:  # alone: its own error; a group's commit failed: each alone
            if len(group) == 1:
                group[0].result, group[0].error = None, exc
            for req in group if len(group) > 1 else []:
                req.result, req.error = None, None
                try:
                    self._transaction([req])
                except Exception as exc:
                    req.result, req.error = None, exc
        for req in group:
            req.done = True
            req.wake.set()

    def _transaction(self, group: list[_Request]) -> None:
        from critmat.inventory.db import write_lock

        with write_lock(self.engine), Session(self.engine) as s, s.begin():
            head = self.lock_head(s)  # None: rows outside the chain (the API's audit trail)
            view = HeadView(0, "", "") if head is None else HeadView(head.seq, head.hash, head.mac)
            if self.prefetch is not None:
                self.prefetch(s, [r.key for r in group if r.key is not None])
            if len(group) == 1:  # alone: its own transaction, no savepoint needed
                group[0].result = group[0].fn(s, view)
            for req in group if len(group) > 1 else []:
                before = (view.seq, view.hash, view.mac)
                try:
                    if self.savepoints:
                        with s.begin_nested():
                            req.result = req.fn(s, view)
                    else:
                        req.result = req.fn(s, view)
                except Exception as exc:
                    req.result, req.error = None, exc
                    view.seq, view.hash, view.mac = before
            if head is not None and view != head:
                if self.store_head is None:
                    raise RuntimeError("a chain committer needs store_head")
                self.store_head(s, view)
        self.groups += 1
        self.booked += sum(r.error is None for r in group)
