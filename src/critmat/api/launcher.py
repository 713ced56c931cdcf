"""Several server processes on one port (``critmat serve --processes N``).

Each process binds its own listening socket with ``SO_REUSEPORT``, so the kernel spreads new
connections over the processes when they arrive. uvicorn's own ``--workers`` shares one socket
instead: the first process to wake accepts a whole burst of connections, and with keep-alive
clients one process stayed at 88% of a core while the other idled at 31% (measured,
docs/performance.md). Where ``SO_REUSEPORT`` is missing (Windows), one process serves.

The parent migrates the database and recovers stopped jobs once (critmat.api.bootstrap), starts
the processes (spawned: no inherited connections), and stops them all on Ctrl-C or SIGTERM, or
when one of them exits.
"""

from __future__ import annotations

import multiprocessing
import signal
import socket
import time
from typing import Any

from critmat.api.bootstrap import build_app, settle

__all__ = ["serve_processes"]


def serve_processes(
    database_url: str, workers: int, processes: int, host: str, port: int, access_log: bool
) -> int:
    """Run ``processes`` server processes on ``host:port`` for a database prepared by
    critmat.api.bootstrap.prepare_processes, each with ``workers`` job processes; returns the
    exit status (0 after a requested stop, 1 when a process exited by itself)."""
    if not hasattr(socket, "SO_REUSEPORT"):  # pragma: no cover - Windows
        processes = 1
    _bind(host, port).close()  # a taken port or bad address is refused here, once
    ctx = multiprocessing.get_context("spawn")
    args = (database_url, workers, host, port, access_log)
    procs = [
        ctx.Process(target=_one, args=args, name=f"critmat-serve-{i}") for i in range(processes)
    ]
    stop = {"requested": False}

    def on_signal(_sig: int, _frame: Any) -> None:
        stop["requested"] = True

    old = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        for p in procs:
            p.start()
        while not stop["requested"] and all(p.is_alive() for p in procs):
            time.sleep(0.2)
    finally:
        for p in procs:
            if p.is_alive():
                p.terminate()  # uvicorn stops gracefully on SIGTERM
        for p in procs:
            p.join(30)
            if p.is_alive():  # pragma: no cover - a process that does not stop
                p.kill()
        for s, h in old.items():
            signal.signal(s, h)
    return 0 if stop["requested"] else 1


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if hasattr(socket, "SO_REUSEPORT"):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def _one(database_url: str, workers: int, host: str, port: int, access_log: bool) -> None:
    """One server process: its own SO_REUSEPORT socket and application (the parent migrated
    the database and recovered the jobs)."""
    import uvicorn

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops us with SIGTERM
    sock = _bind(host, port)
    app = settle(build_app(database_url, workers=workers, recover=False))
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="info",
        access_log=access_log,
    )
    uvicorn.Server(config).run(sockets=[sock])
