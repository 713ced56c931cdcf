"""Group commit: concurrent ledger writes in one process share one transaction and one commit.

Every ledger write appends to one hash chain, so writers serialise on the chain head. With many
concurrent clients each taking the head lock in its own transaction, they queue on the database
lock (SQLite's busy handler sleeps and retries; PostgreSQL's row lock) and the tail latency grows
with the queue. A :class:`GroupCommitter` lets one group at a time write for the process: requests
wait in a queue while a group books; then one of them (the leader, in its own thread: no hand-off
to another thread) takes every waiting request (up to ``max_group``), books each in its own
SAVEPOINT inside one transaction holding the head lock, commits once and wakes each request with
its sequence numbers or its own error. A request that fails (a negative balance, a reused
key) rolls back only its savepoint; a group whose commit fails is retried one request at a time,
so no request fails because of another. Several server processes stay correct: each group still
takes the database's head lock.
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
    done: threading.Event = field(default_factory=threading.Event)
    result: list[int] | None = None
    error: BaseException | None = None


class GroupCommitter:
    """Group commit for an engine (module docstring); ``lock_head(session)`` takes and returns
    the chain head (critmat.inventory.ledger.Ledger._lock_head), or returns None for rows outside
    the chain (the HTTP API's audit trail is grouped the same way). Thread-safe; no thread of its
    own: the first waiting request leads the next group in its own thread."""

    def __init__(
        self, engine: Engine, lock_head: Callable[[Session], Any], *, max_group: int = 256
    ) -> None:
        self.engine = engine
        self.lock_head = lock_head
        self.max_group = max_group
        self.groups = 0  # commits made (for the benchmark and tests)
        self.booked = 0  # requests booked
        self._cond = threading.Condition()
        self._pending: list[_Request] = []
        self._busy = False

    def run(self, fn: Write) -> list[int]:
        """Book ``fn`` with the next group and return its sequence numbers (or raise its own
        error). Leader/follower: while a group books, requests queue; when it is done, one
        waiting request takes every queued one (up to ``max_group``) and books them together,
        the others find theirs booked."""
        req = _Request(fn)
        with self._cond:
            self._pending.append(req)
            while self._busy and not req.done.is_set():
                self._cond.wait()
            if not req.done.is_set():
                self._busy = True
                group = self._pending[: self.max_group]
                del self._pending[: self.max_group]
            else:
                group = []
        if group:
            try:
                self._book(group)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()
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
            req.done.set()

    def _transaction(self, group: list[_Request]) -> None:
        with Session(self.engine) as s, s.begin():
            head = self.lock_head(s)  # None: rows outside the chain (the API's audit trail)
            view = (
                HeadView(head.seq, head.hash, head.mac) if head is not None else HeadView(0, "", "")
            )
            if len(group) == 1:  # alone: its own transaction, no savepoint needed
                group[0].result = group[0].fn(s, view)
            for req in group if len(group) > 1 else []:
                before = (view.seq, view.hash, view.mac)
                try:
                    with s.begin_nested():
                        req.result = req.fn(s, view)
                except Exception as exc:
                    req.result, req.error = None, exc
                    view.seq, view.hash, view.mac = before
            if head is not None:
                head.seq, head.hash, head.mac = view.seq, view.hash, view.mac
        self.groups += 1
        self.booked += sum(r.error is None for r in group)
