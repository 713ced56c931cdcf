"""Load test of the HTTP API on loopback (a benchmark, not a unit test).

N concurrent clients book receipts (1 kg each, each with its own idempotency key) for a fixed
time against a real ``critmat serve`` process, on SQLite and on PostgreSQL. Reports movements/s
and the p50/p99 latency, and checks that nothing was lost or duplicated (the ledger holds exactly
one entry per accepted request, the balance equals their sum) and that ``verify`` passes. The
in-run baseline: the same receipts booked directly through the ledger service by one writer
(no HTTP), so the ratio shows what the HTTP layer costs; and the same receipts from N threads
through one group committer (critmat.inventory.group_commit, what the server uses), no HTTP.

    python benchmarks/bench_api_load.py --clients 20 --seconds 30
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx

CRITMAT = str(Path(sys.executable).parent / "critmat")
PG = os.environ.get("CRITMAT_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _run(env: dict[str, str], *args: str) -> str:
    return subprocess.run(
        [CRITMAT, *args], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()


def _server(env: dict[str, str], port: int) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [CRITMAT, "serve", "--port", str(port)], env=env, text=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    for _ in range(120):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.25)
    proc.kill()
    raise RuntimeError("server did not start")


def _baseline(url: str, key: bytes, n: int) -> float:
    from critmat.inventory.db import make_engine
    from critmat.inventory.ledger import Ledger

    led = Ledger(make_engine(url), key=key)
    t0 = time.perf_counter()
    for i in range(n):
        led.receive("L1", "F/A", "1", "kg", key=f"base-{i}")
    return n / (time.perf_counter() - t0)


def _in_threads(fn: Callable[[int], None], n: int) -> float:
    """Run ``fn(0) .. fn(n - 1)`` in n threads at once; returns the wall time, s."""
    threads = [threading.Thread(target=fn, args=(c,)) for c in range(n)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - t0


def _grouped(url: str, key: bytes, clients: int, n: int) -> tuple[float, float]:
    """The same receipts from ``clients`` threads through one GroupCommitter (no HTTP):
    movements/s and the mean group size."""
    from critmat.inventory.db import make_engine
    from critmat.inventory.group_commit import GroupCommitter
    from critmat.inventory.ledger import Ledger

    engine = make_engine(url)
    committer = GroupCommitter(engine, Ledger(engine)._lock_head)

    def client(c: int) -> None:
        led = Ledger(engine, key=key, committer=committer)
        for i in range(n):
            led.receive("L1", "F/A", "1", "kg", key=f"group-{c}-{i}")

    rate = clients * n / _in_threads(client, clients)
    return rate, committer.booked / max(committer.groups, 1)


def bench(label: str, url: str, clients: int, seconds: float, port: int) -> dict[str, float]:
    tmp = Path(tempfile.mkdtemp())
    keyfile = tmp / "ledger.key"
    keyfile.write_text(uuid.uuid4().hex + uuid.uuid4().hex)
    env = {**os.environ, "CRITMAT_LEDGER_KEY_FILE": str(keyfile), "CRITMAT_DATABASE_URL": url}
    _run(env, "inventory", "init")
    _run(env, "inventory", "facility", "F", "Depot", "-z", "A")
    _run(env, "inventory", "lot", "L1", "cobalt", "--unit", "kg")
    token = _run(env, "users", "add", "load", "--role", "operator")
    proc = _server(env, port)
    lat: list[float] = []
    ok = [0]
    errors = [0]
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def client(c: int) -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30,
                          headers={"Authorization": f"Bearer {token}"}) as h:  # fmt: skip
            i = 0
            while time.perf_counter() < stop:
                body = {"lot": "L1", "zone": "F/A", "quantity": "1", "unit": "kg",
                        "key": f"c{c}-{i}"}  # fmt: skip
                t0 = time.perf_counter()
                r = h.post("/api/v1/inventory/receipts", json=body)
                dt = time.perf_counter() - t0
                with lock:
                    if r.status_code == 201:
                        ok[0] += 1
                        lat.append(dt)
                    else:
                        errors[0] += 1
                i += 1

    wall = _in_threads(client, clients)
    with httpx.Client(base_url=f"http://127.0.0.1:{port}",
                      headers={"Authorization": f"Bearer {token}"}) as h:  # fmt: skip
        bal = h.get("/api/v1/inventory/balances").json()["items"]
        ver = h.get("/api/v1/inventory/verify").json()
    proc.terminate()
    proc.wait(30)
    held = sum(float(b["quantity"]) for b in bal)
    base = _baseline(url, keyfile.read_bytes().strip(), 300)
    grouped, per_group = _grouped(url, keyfile.read_bytes().strip(), clients, 30)
    q = statistics.quantiles(lat, n=100) if len(lat) > 100 else [float("nan")] * 99
    out = {
        "movements_per_s": ok[0] / wall,
        "p50_ms": 1e3 * q[49],
        "p99_ms": 1e3 * q[98],
        "errors": float(errors[0]),
        "lost_or_duplicated": float(held - ok[0]),  # read before the baseline's receipts
        "verify_ok": float(bool(ver["ok"])),
        "direct_per_s": base,
        "grouped_per_s": grouped,
    }
    print(
        f"{label:10s} {clients} clients {seconds:.0f} s: "
        f"{out['movements_per_s']:,.0f} movements/s, "
        f"p50 {out['p50_ms']:.1f} ms, p99 {out['p99_ms']:.1f} ms, errors {errors[0]}, "
        f"balance - accepted = {held - ok[0]:g}, verify {'ok' if ver['ok'] else 'FAILED'}; "
        f"direct ledger (1 writer, no HTTP): {base:,.0f}/s = {out['movements_per_s'] / base:.2f}x;"
        f" {clients} threads through one group committer (no HTTP): {grouped:,.0f}/s, "
        f"{per_group:.1f} requests per commit"
    )
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=30.0)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp()
    bench("SQLite", f"sqlite:///{tmp}/load.db", a.clients, a.seconds, 8791)
    try:
        from sqlalchemy import create_engine, text

        schema = f"load_{uuid.uuid4().hex[:8]}"
        eng = create_engine(PG)
        with eng.begin() as c:
            c.execute(text(f"CREATE SCHEMA {schema}"))
        url = f"{PG}?options=-csearch_path%3D{schema}"
        try:
            bench("PostgreSQL", url, a.clients, a.seconds, 8792)
        finally:
            with eng.begin() as c:
                c.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    except Exception as exc:  # no server: say so
        print(f"PostgreSQL skipped: {type(exc).__name__}: {exc}")


if __name__ == "__main__":
    main()
