"""``critmat serve --processes N``: several server processes on one port (SO_REUSEPORT), one
ledger; and the start-up settling of the garbage collector. Real processes and sockets."""

from __future__ import annotations

import gc
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest

CRITMAT = str(Path(sys.executable).parent / "critmat")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(env: dict[str, str], *args: str) -> str:
    return subprocess.run(
        [CRITMAT, *args], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()


@pytest.mark.slow
def test_two_server_processes_share_one_port_and_one_ledger(tmp_path: Path) -> None:
    key = tmp_path / "ledger.key"
    key.write_text(uuid.uuid4().hex * 2)
    env = {
        **os.environ,
        "CRITMAT_LEDGER_KEY_FILE": str(key),
        "CRITMAT_DATABASE_URL": f"sqlite:///{tmp_path}/inv.db",
    }
    _run(env, "inventory", "init")
    _run(env, "inventory", "facility", "F", "Depot", "-z", "A")
    _run(env, "inventory", "lot", "L1", "cobalt", "--unit", "kg")
    token = _run(env, "users", "add", "op", "--role", "operator")
    port = _free_port()
    proc = subprocess.Popen(
        [CRITMAT, "serve", "--port", str(port), "--processes", "2", "--no-access-log"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}/api/v1"
    auth = {"Authorization": f"Bearer {token}"}
    try:
        for _ in range(240):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.25)
        else:
            raise AssertionError("the server did not start")
        kids = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
        serving = [k for k in kids if b"spawn_main" in Path(f"/proc/{k}/cmdline").read_bytes()]
        assert len(serving) >= 2, kids  # two server processes (and maybe a resource tracker)
        statuses: list[int] = []

        def client(c: int) -> None:  # a connection each: the kernel spreads them
            with httpx.Client(base_url=base, headers=auth, timeout=60) as h:
                for i in range(15):
                    body = {"lot": "L1", "zone": "F/A", "quantity": "1", "unit": "kg",
                            "key": f"c{c}-{i}"}  # fmt: skip
                    statuses.append(h.post("/inventory/receipts", json=body).status_code)
                # a retry of the first request: booked once, whichever process answers
                body = {"lot": "L1", "zone": "F/A", "quantity": "1", "unit": "kg",
                        "key": f"c{c}-0"}  # fmt: skip
                statuses.append(h.post("/inventory/receipts", json=body).status_code)

        threads = [threading.Thread(target=client, args=(c,)) for c in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert statuses == [201] * len(statuses) and len(statuses) == 8 * 16
        with httpx.Client(base_url=base, headers=auth, timeout=60) as h:
            items = h.get("/inventory/balances").json()["items"]
            assert sum(float(b["quantity"]) for b in items) == 8 * 15
            assert h.get("/inventory/verify").json()["ok"] is True
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(60)
    assert code == 0, proc.stderr.read() if proc.stderr else ""
    with socket.socket() as s:  # every process stopped: the port is free again
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))


def test_settle_freezes_what_was_loaded_at_start() -> None:
    from critmat.api.bootstrap import settle

    app = object()
    try:
        assert settle(app) is app
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
