"""Benchmark of live telemetry (issue 31): readings published to a real MQTT broker (a Mosquitto
started here on a free port, configured as a telemetry broker is: no cap on the messages in
flight to a client or queued for it; Mosquitto's defaults, 20 and 1,000, hold a subscriber that
acknowledges only what it has stored to 20 messages per batch and drop a burst) at a steady rate
(default 5,000/s) by a publisher in another process, taken by ``critmat.services.telemetry.listen``,
checked, stored and alert-evaluated; throughput, publish-to-stored latency (p50/p99; a reading
counts as stored when the batch that holds it commits) and the listener's peak memory, on SQLite
and PostgreSQL, next to the file ingest of the same readings (``critmat inventory ingest``'s path)
measured in the same run.

Run: ``.venv/bin/python benchmarks/bench_telemetry.py [N] [RATE]``; results are recorded in
docs/performance.md.
"""

from __future__ import annotations

import json
import multiprocessing
import platform
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from critmat.database import make_engine
from critmat.inventory.ledger import Ledger
from critmat.inventory.migrate import migrate
from critmat.inventory.monitoring import ingest
from critmat.inventory.telemetry import ListenStats
from critmat.services.telemetry import Broker, listen

HOST = "127.0.0.1"
PORT = 1883  # replaced by the dedicated broker's port in main()
CONF = (
    "listener {port} 127.0.0.1\nallow_anonymous true\n"
    "max_inflight_messages 0\nmax_queued_messages 0\n"
)
PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def ledger(url: str) -> Ledger:
    migrate(url)
    led = Ledger(make_engine(url))
    led.add_facility("F", "Depot", ["A", "B", "C", "D"])
    led.add_lot("GA", "gallium", "kg")
    led.receive("GA", "F/A", 500, "kg")
    return led


def readings(n: int) -> list[tuple[str, dict[str, object]]]:
    """n readings over four zones and two metrics, one second apart, ending now."""
    t0 = datetime.now(UTC) - timedelta(seconds=n + 10)
    out = []
    for i in range(n):
        zone, metric = "ABCD"[i % 4], ("temperature_c", "rh_pct")[(i // 4) % 2]
        value = 20.0 + (i % 7) * 0.1 if metric == "temperature_c" else 40.0 + (i % 5)
        ts = (t0 + timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        out.append((f"F/{zone}/{metric}", {"ts": ts, "value": value, "unit": "", "sensor": "B"}))
    return out


def publisher(prefix: str, n: int, rate: float, port: int, out: Any) -> None:
    """In a process of its own (not competing with the listener for one interpreter): ``n``
    readings at ``rate`` per second, QoS 1; puts the wall-clock send times on ``out``."""
    pub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"pub-{prefix}")
    pub.max_inflight_messages_set(1000)
    pub.max_queued_messages_set(0)
    pub.connect(HOST, port)
    pub.loop_start()
    sent, infos = [], []
    t0 = time.time()
    for i, (topic, doc) in enumerate(readings(n)):
        ahead = t0 + i / rate - time.time()
        if ahead > 0:
            time.sleep(ahead)
        sent.append(time.time())
        infos.append(pub.publish(f"{prefix}/{topic}", json.dumps(doc), qos=1))
    for info in infos:
        info.wait_for_publish(120)
    pub.disconnect()
    pub.loop_stop()
    out.put(sent)


def via_broker(url: str, n: int, rate: float) -> dict[str, float]:
    led = ledger(url)
    prefix, flushes = f"bench-{uuid.uuid4().hex[:6]}", []
    stop = threading.Event()

    def on_flush(s: ListenStats) -> None:
        flushes.append((time.time(), s.stored))

    th = threading.Thread(target=listen, args=(led, Broker(HOST, PORT), f"{prefix}/#"),
                          kwargs={"client_id": f"bench-{prefix}", "flush_s": 0.25,
                                  "stop": stop, "on_flush": on_flush})  # fmt: skip
    th.start()
    time.sleep(1.0)
    ctx = multiprocessing.get_context("spawn")
    q = ctx.Queue()
    proc = ctx.Process(target=publisher, args=(prefix, n, rate, PORT, q))
    start = time.time()  # for the time-out only: the child's start-up is not counted
    proc.start()
    sent = q.get(timeout=300)
    proc.join(60)
    while (not flushes or flushes[-1][1] < n) and time.time() - start < 300:
        time.sleep(0.05)
    end = flushes[-1][0] if flushes else time.time()
    stop.set()
    th.join(60)
    when = np.array([t for t, _ in flushes])
    count = np.array([c for _, c in flushes])
    idx = np.searchsorted(count, np.arange(1, n + 1))  # the flush that stored reading i
    done = when[np.minimum(idx, len(when) - 1)]
    lat = done - np.array(sent)
    took = end - sent[0]  # from the first publish to the last reading stored
    return {"stored": float(count[-1]), "seconds": took, "per_s": n / took,
            "p50_s": float(np.percentile(lat, 50)),
            "p99_s": float(np.percentile(lat, 99))}  # fmt: skip


def via_file(url: str, n: int) -> float:
    """Readings per second of the file ingest of the same readings."""
    led = ledger(url)
    rows = [{"zone": t.rsplit("/", 1)[0], "timestamp": d["ts"], "metric": t.rsplit("/", 1)[1],
             "value": d["value"]} for t, d in readings(n)]  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "r.json"
        path.write_text(json.dumps(rows))
        t0 = time.perf_counter()
        ingest(led, path)
        return n / (time.perf_counter() - t0)


def broker(tmp: str) -> subprocess.Popen[bytes]:
    """A Mosquitto on a free port with the telemetry configuration (CONF)."""
    global PORT
    with socket.socket() as s:
        s.bind((HOST, 0))
        PORT = s.getsockname()[1]
    conf = Path(tmp) / "mosquitto.conf"
    conf.write_text(CONF.format(port=PORT))
    proc = subprocess.Popen(["mosquitto", "-c", str(conf)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    for _ in range(50):
        try:
            socket.create_connection((HOST, PORT), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("mosquitto did not start")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    rate = float(sys.argv[2]) if len(sys.argv) > 2 else 5_000.0
    print(
        f"machine: {platform.machine()}, Python {platform.python_version()}; {n:,} readings "
        f"published at {rate:,.0f}/s from another process"
    )
    with tempfile.TemporaryDirectory() as tmp:
        mq = broker(tmp)
        for name, url in (("SQLite", f"sqlite:///{tmp}/bench.db"), ("PostgreSQL", PG)):
            if name == "PostgreSQL":
                from sqlalchemy import create_engine, text

                schema = f"bench_{uuid.uuid4().hex[:8]}"
                eng = create_engine(PG)
                with eng.begin() as c:
                    c.execute(text(f"CREATE SCHEMA {schema}"))
                url = f"{PG}?options=-csearch_path%3D{schema}"
            r = via_broker(url, n, rate)
            f = (
                via_file(url.replace("bench.db", "file.db"), n)
                if name == "SQLite"
                else float("nan")
            )
            print(f"{name}: {r['stored']:,.0f} stored in {r['seconds']:.1f} s = {r['per_s']:,.0f} "
                  f"readings/s; latency p50 {r['p50_s']:.2f} s, p99 {r['p99_s']:.2f} s"
                  + (f"; file ingest of the same readings {f:,.0f}/s "
                     f"(broker path {r['per_s'] / f:.2f}x)" if f == f else ""))  # fmt: skip
            if name == "PostgreSQL":
                with eng.begin() as c:
                    c.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        mq.terminate()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of the process: {peak:,.0f} MiB")


if __name__ == "__main__":
    main()
