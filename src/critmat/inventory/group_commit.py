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

Coroutines (the HTTP server's write routes) submit with :meth:`GroupCommitter.arun`: they wait
on the event loop, not in a thread each; a thread is used only to book, and it keeps booking
groups while the oldest waiting request is a coroutine (which has no thread of its own).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from critmat.database import write_lock

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
    #: set when the request is booked (``done``) or made the next group's leader (a thread)
    wake: threading.Event = field(default_factory=threading.Event)
    #: a coroutine's request: its event loop and the future it awaits (set when booked)
    loop: asyncio.AbstractEventLoop | None = None
    signal: asyncio.Future[None] | None = None
    done: bool = False
    result: list[int] | None = None
    error: BaseException | None = None

    def notify(self) -> None:
        """Wake the waiting thread or coroutine."""
        if self.loop is None:
            self.wake.set()
            return
        with contextlib.suppress(RuntimeError):  # a closed loop (server stopped): nobody waits
            self.loop.call_soon_threadsafe(_resolve, self.signal)

    def outcome(self) -> list[int]:
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return self.result


def _resolve(fut: asyncio.Future[None] | None) -> None:
    if fut is not None and not fut.done():
        fut.set_result(None)


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
        self._leading: asyncio.Future[None] | None = None

    def run(self, fn: Write, key: str | None = None) -> list[int]:
        """Book ``fn`` (with its idempotency ``key``, if any) with the next group and return
        its sequence numbers (or raise its own error). Leader/follower: while a group books,
        requests queue; when it is done, the leader wakes the oldest waiting request alone (no
        herd of waiters), which takes every queued one (up to ``max_group``) and books them
        together; the others are woken with their results."""
        req = _Request(fn, key)
        if not self._enqueue(req):
            req.wake.wait()  # booked by a leader, or named the next leader
        if not req.done:  # the oldest waiting request leads: its own is in the group
            self._lead(once=True)
        return req.outcome()

    async def arun(self, fn: Write, key: str | None = None) -> list[int]:
        """:meth:`run` for a coroutine: waits on its event loop until its group is booked;
        when no group is booking, it starts the booking in a thread of the loop's executor,
        which goes on with the groups of waiting coroutines (the coroutine itself returns as
        soon as its own group is booked)."""
        loop = asyncio.get_running_loop()
        signal = loop.create_future()
        req = _Request(fn, key, loop=loop, signal=signal)
        if self._enqueue(req):
            self._leading = loop.run_in_executor(None, self._lead)  # kept: not collected
        await signal
        return req.outcome()

    def _enqueue(self, req: _Request) -> bool:
        """Queue a request; True when it is to lead (no group is booking)."""
        with self._lock:
            self._pending.append(req)
            lead = not self._busy
            self._busy = True
        return lead

    def _lead(self, once: bool = False) -> None:
        """Book the queued requests group after group, in this thread. Hand over to the oldest
        waiting request when it is a thread; go on while it is a coroutine (``once``: a
        caller's own thread books one group, then starts a thread for coroutines)."""
        while True:
            with self._lock:
                group = self._pending[: self.max_group]
                del self._pending[: self.max_group]
            nxt: _Request | None = None
            try:
                self._book(group)
            finally:
                with self._lock:
                    nxt = self._pending[0] if self._pending else None
                    if nxt is None:
                        self._busy = False
                    elif nxt.loop is None:
                        nxt.wake.set()  # a waiting thread leads next (still busy)
            if nxt is None or nxt.loop is None:
                return
            if once:  # coroutines wait: a thread of their own books for them
                threading.Thread(target=self._lead, name="group-commit", daemon=True).start()
                return

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
            req.notify()

    def _transaction(self, group: list[_Request]) -> None:

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
