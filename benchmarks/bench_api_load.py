"""Load test of the HTTP API on loopback (a benchmark, not a unit test).

N concurrent clients book receipts (1 kg each, each with its own idempotency key) against a real
``critmat serve`` process, on SQLite and on PostgreSQL:

- closed loop: each client sends its next request when the previous one answers (the most the
  server books with N requests in flight);
- paced: the same N clients send together ``--rate`` requests/s, evenly spaced; latency counts
  from when a request was due, so a stalled server cannot hide its queue (no coordinated
  omission).

Both for 1 and 2 server processes (``--processes``). The client is one asyncio process writing
raw HTTP/1.1 on keep-alive connections (about 0.2 ms of CPU per request, so it leaves the two
cores to the server; an httpx client in threads took about a core by itself). Every run checks
that nothing was lost or duplicated (the balance equals the accepted requests) and that
``verify`` passes. In-run baselines: the same receipts booked through the ledger directly by one
writer (no HTTP), and from N threads through one group committer (no HTTP).

    python benchmarks/bench_api_load.py --clients 20 --seconds 20 --rate 500
"""

from __future__ import annotations

import argparse
import asyncio
import json
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


def _server(env: dict[str, str], port: int, processes: int) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [CRITMAT, "serve", "--port", str(port), "--processes", str(processes),
         "--no-access-log"],
        env=env, text=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    for _ in range(240):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.25)
    proc.kill()
    raise RuntimeError("server did not start")


async def _client(
    c: int, port: int, token: str, stop: float, gap: float, first: float, out: list[float]
) -> tuple[int, int]:
    """One keep-alive connection; ``gap`` > 0: a request every ``gap`` s from ``first``."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    auth = f"Authorization: Bearer {token}\r\n".encode()
    ok = bad = i = 0
    due = first
    while True:
        if gap:
            now = time.perf_counter()
            if due > now:
                await asyncio.sleep(due - now)
            t0, due = due, due + gap
        else:
            t0 = time.perf_counter()
        if t0 >= stop:
            break
        body = json.dumps({"lot": "L1", "zone": "F/A", "quantity": "1", "unit": "kg",
                           "key": f"{uuid.uuid4().hex[:8]}-{c}-{i}"}).encode()  # fmt: skip
        writer.write(
            b"POST /api/v1/inventory/receipts HTTP/1.1\r\nHost: load\r\n" + auth
            + b"Content-Type: application/json\r\nContent-Length: "
            + str(len(body)).encode() + b"\r\n\r\n" + body
        )  # fmt: skip
        head = await reader.readuntil(b"\r\n\r\n")
        size = next(
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        await reader.readexactly(size)
        if head.split(b" ", 2)[1] == b"201":
            ok += 1
            out.append(time.perf_counter() - t0)
        else:
            bad += 1
        i += 1
    writer.close()
    return ok, bad


async def _load(
    port: int, token: str, clients: int, seconds: float, rate: float
) -> dict[str, float]:
    lat: list[float] = []
    start = time.perf_counter() + 0.05
    gap = clients / rate if rate else 0.0
    cpu0 = time.process_time()
    res = await asyncio.gather(*[
        _client(c, port, token, start + seconds, gap, start + c / rate if rate else 0.0, lat)
        for c in range(clients)
    ])  # fmt: skip
    wall = time.perf_counter() - start
    ok, bad = sum(r[0] for r in res), sum(r[1] for r in res)
    q = statistics.quantiles(lat, n=100) if len(lat) > 100 else [float("nan")] * 99
    return {
        "per_s": ok / wall, "ok": ok, "errors": bad, "p50_ms": 1e3 * q[49],
        "p99_ms": 1e3 * q[98], "max_ms": 1e3 * max(lat, default=float("nan")),
        "client_cpu_ms_per_request": 1e3 * (time.process_time() - cpu0) / max(ok + bad, 1),
    }  # fmt: skip


def _baseline(url: str, key: bytes, n: int) -> float:
    from critmat.database import make_engine
    from critmat.inventory.ledger import Ledger

    led = Ledger(make_engine(url), key=key)
    t0 = time.perf_counter()
    for i in range(n):
        led.receive("L1", "F/A", "1", "kg", key=f"base-{uuid.uuid4().hex[:8]}-{i}")
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
    """The same receipts from ``clients`` threads through the server's group committer (no
    HTTP): movements/s and the mean group size."""
    from critmat.database import make_engine
    from critmat.inventory.ledger import Ledger
    from critmat.services.inventory import group_committer

    engine = make_engine(url)
    committer = group_committer(engine)
    tag = uuid.uuid4().hex[:8]

    def client(c: int) -> None:
        led = Ledger(engine, key=key, committer=committer)
        for i in range(n):
            led.receive("L1", "F/A", "1", "kg", key=f"group-{tag}-{c}-{i}")

    rate = clients * n / _in_threads(client, clients)
    return rate, committer.booked / max(committer.groups, 1)


def bench(label: str, url: str, a: argparse.Namespace, port: int) -> None:
    tmp = Path(tempfile.mkdtemp())
    keyfile = tmp / "ledger.key"
    keyfile.write_text(uuid.uuid4().hex + uuid.uuid4().hex)
    env = {**os.environ, "CRITMAT_LEDGER_KEY_FILE": str(keyfile), "CRITMAT_DATABASE_URL": url}
    _run(env, "inventory", "init")
    _run(env, "inventory", "facility", "F", "Depot", "-z", "A")
    _run(env, "inventory", "lot", "L1", "cobalt", "--unit", "kg")
    token = _run(env, "users", "add", "load", "--role", "operator")
    key = keyfile.read_bytes().strip()
    accepted = 0.0
    for processes in (1, 2):
        proc = _server(env, port, processes)
        try:
            asyncio.run(_load(port, token, a.clients, 2.0, 0))  # warm-up (counted below)
            runs = {"closed": asyncio.run(_load(port, token, a.clients, a.seconds, 0))}
            if a.rate:
                runs[f"{a.rate:g}/s"] = asyncio.run(
                    _load(port, token, a.clients, a.seconds, a.rate)
                )
            with httpx.Client(base_url=f"http://127.0.0.1:{port}/api/v1", timeout=60,
                              headers={"Authorization": f"Bearer {token}"}) as h:  # fmt: skip
                held = sum(float(b["quantity"]) for b in h.get("/inventory/balances").json()
                           ["items"])  # fmt: skip
                ok = h.get("/inventory/verify").json()["ok"]
        finally:
            proc.terminate()
            proc.wait(60)
        accepted = held  # every 201 so far, warm-ups included
        for mode, r in runs.items():
            print(
                f"{label:10s} {processes} process{'es' if processes > 1 else '  '} "
                f"{a.clients} clients {mode:>7s}: {r['per_s']:6,.0f} movements/s, "
                f"p50 {r['p50_ms']:5.1f} ms, p99 {r['p99_ms']:5.1f} ms, "
                f"max {r['max_ms']:6.1f} ms, errors {r['errors']}; client "
                f"{r['client_cpu_ms_per_request']:.2f} ms CPU/request"
            )
        print(f"{label:10s} balance = accepted: {held:g}; verify {'ok' if ok else 'FAILED'}")
        if not ok:
            raise SystemExit("the ledger does not verify after the load")
    base = _baseline(url, key, 300)
    grouped, per_group = _grouped(url, key, a.clients, 30)
    print(
        f"{label:10s} the ledger alone (no HTTP): one writer {base:,.0f}/s; {a.clients} threads "
        f"through one group committer {grouped:,.0f}/s ({per_group:.1f} requests per commit); "
        f"{accepted:g} receipts accepted over HTTP, none lost or duplicated"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--rate", type=float, default=500.0, help="paced run (0: none)")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp()
    bench("SQLite", f"sqlite:///{tmp}/load.db", a, 8791)
    try:
        from sqlalchemy import create_engine, text

        schema = f"load_{uuid.uuid4().hex[:8]}"
        eng = create_engine(PG)
        with eng.begin() as c:
            c.execute(text(f"CREATE SCHEMA {schema}"))
        url = f"{PG}?options=-csearch_path%3D{schema}"
        try:
            bench("PostgreSQL", url, a, 8792)
        finally:
            with eng.begin() as c:
                c.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    except Exception as exc:  # no server: say so
        print(f"PostgreSQL skipped: {type(exc).__name__}: {exc}")


if __name__ == "__main__":
    main()
