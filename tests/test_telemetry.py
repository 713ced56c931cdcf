"""Live telemetry over MQTT (issue 31, item 1) against a real broker: Mosquitto on
127.0.0.1:1883 here (.ci/run starts one when none answers; CRITMAT_TEST_MQTT names another)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from critmat.database import make_engine
from critmat.inventory.ledger import Ledger
from critmat.inventory.migrate import migrate
from critmat.inventory.models import SensorReading
from critmat.inventory.monitoring import alerts
from critmat.inventory.telemetry import MAX_PAYLOAD, parse_message

URL = os.environ.get("CRITMAT_TEST_MQTT", "mqtt://127.0.0.1:1883")
HOST, PORT = URL.removeprefix("mqtt://").split(":")[0], int(URL.rsplit(":", 1)[1])


def _broker_up() -> bool:
    try:
        with socket.create_connection((HOST, PORT), timeout=1):
            return True
    except OSError:
        return False


needs_broker = pytest.mark.skipif(not _broker_up(), reason=f"no MQTT broker answers at {URL}")


def now(seconds: float = 0.0) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_a_message_becomes_a_reading_in_the_metrics_unit() -> None:
    r = parse_message("plant/x/F/A/temperature_c", b'{"ts": "2026-01-01T00:00:00Z", '
                      b'"value": 95, "unit": "F", "sensor": "T1"}')  # fmt: skip
    assert isinstance(r, dict) and r["zone"] == "F/A" and float(r["value"]) == pytest.approx(35.0)
    assert float(parse_message("F/A/temperature_c", b'{"ts": "x", "value": 300, "unit": "K"}')[
        "value"]) == pytest.approx(26.85)  # type: ignore[index]  # fmt: skip
    assert float(parse_message("F/A/rh_pct", b'{"ts": "x", "value": 0.5, "unit": "fraction"}')[
        "value"]) == pytest.approx(50.0)  # type: ignore[index]  # fmt: skip


@pytest.mark.parametrize(
    ("topic", "payload", "reason"),
    [
        ("F/A", b"{}", "topic"),
        ("F/A/pressure", b'{"ts": "x", "value": 1}', "unknown metric"),
        ("F/A/rh_pct", b"not json", "not JSON"),
        ("F/A/rh_pct", b'{"value": 1}', '"ts"'),
        ("F/A/rh_pct", b'{"ts": "x", "value": true}', "not a number"),
        ("F/A/rh_pct", b'{"ts": "x", "value": "5"}', "not a number"),
        ("F/A/rh_pct", b'{"ts": "x", "value": 5, "unit": "furlong"}', "unit 'furlong'"),
        ("F/A/rh_pct", b"[" * (MAX_PAYLOAD + 1), "KiB"),
        ("F/A/rh_pct", b"\xff\xfe", "not JSON"),
    ],
)
def test_a_bad_message_is_refused_with_its_reason(topic: str, payload: bytes, reason: str) -> None:
    r = parse_message(topic, payload)
    assert isinstance(r, str) and reason in r


@pytest.fixture
def led(tmp_path: Path) -> Ledger:
    url = f"sqlite:///{tmp_path}/tel.db"
    migrate(url)
    led = Ledger(make_engine(url))
    led.add_facility("F", "Depot", ["A"])
    led.add_lot("GA", "gallium", "kg")
    led.receive("GA", "F/A", 500, "kg")
    return led


def publish(topic_prefix: str, messages: list[tuple[str, bytes]]) -> None:
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"pub-{uuid.uuid4().hex[:8]}")
    c.connect(HOST, PORT)
    c.loop_start()
    for suffix, payload in messages:
        c.publish(f"{topic_prefix}/{suffix}", payload, qos=1).wait_for_publish(10)
    c.disconnect()
    c.loop_stop()


def run_listener(led: Ledger, prefix: str, client_id: str, until: object) -> object:
    """The service in a thread until ``until()`` is true (or 20 s); returns its stats."""
    from critmat.services.telemetry import Broker, listen

    stop, out = threading.Event(), {}
    t = threading.Thread(target=lambda: out.setdefault(
        "s", listen(led, Broker(HOST, PORT), f"{prefix}/#", client_id=client_id,
                    flush_s=0.1, stop=stop)))  # fmt: skip
    t.start()
    return stop, t, out


def readings(led: Ledger) -> int:
    with Session(led.engine) as s:
        return int(s.scalar(select(func.count()).select_from(SensorReading)) or 0)


def wait(cond: object, seconds: float = 20.0) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if cond():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


@needs_broker
def test_readings_are_stored_once_and_bad_messages_counted(led: Ledger) -> None:
    prefix, cid = f"t-{uuid.uuid4().hex[:8]}", f"l-{uuid.uuid4().hex[:8]}"
    stop, t, out = run_listener(led, prefix, cid, None)
    time.sleep(0.5)  # subscribed
    good = json.dumps({"ts": now(), "value": 21.0, "unit": "C", "sensor": "T1"}).encode()
    hot = json.dumps({"ts": now(1), "value": 95.0, "unit": "F"}).encode()  # 35 C: gallium melts
    future = json.dumps({"ts": now(3600), "value": 20}).encode()  # a clock an hour ahead
    publish(prefix, [("F/A/temperature_c", good), ("F/A/temperature_c", good),  # a resend
                     ("F/A/temperature_c", hot), ("F/B/temperature_c", good),
                     ("F/A/rh_pct", b"{oops"), ("F/A/rh_pct", b"x" * (MAX_PAYLOAD + 1)),
                     ("F/A/temperature_c", future)])  # fmt: skip
    wait(lambda: readings(led) >= 2)
    time.sleep(0.3)
    stop.set()
    t.join(20)
    s = out["s"]
    assert readings(led) == 2 and s.stored == 2 and s.duplicates == 1 and s.received == 7
    assert sum(s.refused.values()) == 4
    assert any("unknown zone" in k for k in s.refused) and "payload is not JSON" in s.refused
    a = alerts(led)
    assert len(a) == 1 and a.iloc[0]["severity"] == "critical" and "melts" in a.iloc[0]["message"]


@needs_broker
def test_what_is_published_while_the_listener_is_away_arrives_once(led: Ledger) -> None:
    """QoS 1 in a persistent session: the broker keeps the messages for the client id; they are
    acknowledged only once stored, so a restart neither loses nor repeats them."""
    prefix, cid = f"t-{uuid.uuid4().hex[:8]}", f"l-{uuid.uuid4().hex[:8]}"
    stop, t, _ = run_listener(led, prefix, cid, None)
    time.sleep(0.5)
    stop.set()
    t.join(20)
    publish(prefix, [("F/A/rh_pct", json.dumps({"ts": now(i), "value": 30 + i}).encode())
                     for i in range(5)])  # fmt: skip
    stop, t, out = run_listener(led, prefix, cid, None)
    wait(lambda: readings(led) >= 5)
    time.sleep(0.3)
    stop.set()
    t.join(20)
    assert readings(led) == 5 and out["s"].stored == 5
    stop, t, out = run_listener(led, prefix, cid, None)  # nothing is redelivered
    time.sleep(1.0)
    stop.set()
    t.join(20)
    assert readings(led) == 5 and out["s"].received == 0


@needs_broker
def test_the_cli_listener_drains_and_exits_0_on_sigterm(led: Ledger, tmp_path: Path) -> None:
    critmat = str(Path(sys.executable).parent / "critmat")
    prefix = f"t-{uuid.uuid4().hex[:8]}"
    proc = subprocess.Popen(
        [critmat, "inventory", "listen", "--broker", URL, "--topic", f"{prefix}/#",
         "--client-id", f"cli-{prefix}", "--flush-seconds", "0.2", "--db", str(led.engine.url)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stderr is not None
    assert "listening on" in proc.stderr.readline()
    time.sleep(0.5)
    publish(prefix, [("F/A/rh_pct", json.dumps({"ts": now(), "value": 41}).encode())])
    wait(lambda: readings(led) == 1)
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0 and "1 reading(s) stored" in out


@needs_broker
def test_serve_runs_the_listener_beside_the_api(led: Ledger, tmp_path: Path) -> None:
    """One flag: `critmat serve --mqtt URL` stores readings while it serves; a broker that
    does not answer stops the start with one line."""
    import httpx

    critmat = str(Path(sys.executable).parent / "critmat")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    db = str(led.engine.url)
    key = tmp_path / "ledger.key"
    key.write_text("0123456789abcdef0123456789abcdef\n")
    env = {**os.environ, "CRITMAT_DATABASE_URL": db, "CRITMAT_LEDGER_KEY_FILE": str(key)}
    bad = subprocess.run([critmat, "serve", "--port", str(port), "--mqtt", "mqtt://127.0.0.1:1"],
                         env=env, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert bad.returncode == 2 and "cannot reach the broker" in bad.stderr
    proc = subprocess.Popen([critmat, "serve", "--port", str(port), "--mqtt", URL], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        wait(lambda: _answers(httpx, port), 60)
        time.sleep(0.5)
        value = 30 + uuid.uuid4().int % 1000 / 100  # this run's reading among any queued ones
        publish("critmat", [("F/A/rh_pct", json.dumps({"ts": now(), "value": value}).encode())])
        wait(lambda: _has(led, value))
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)


def _answers(httpx: object, port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200  # type: ignore[attr-defined, no-any-return]
    except Exception:
        return False


def _has(led: Ledger, value: float) -> bool:
    with Session(led.engine) as s:
        got = s.scalars(select(SensorReading.value).where(SensorReading.metric == "rh_pct")).all()
    return any(abs(float(v) - value) < 1e-9 for v in got)


def test_a_reading_stored_before_with_another_value_is_refused_not_fatal(led: Ledger) -> None:
    """The batch path (no broker needed): a conflicting resend is counted, the batch's other
    readings are stored, and the listener goes on."""
    from critmat.inventory.telemetry import Batcher

    b = Batcher(led)
    t0, t1 = now(-60), now(-30)
    b.add("x/F/A/rh_pct", json.dumps({"ts": t0, "value": 40}).encode(), 1)
    assert b.flush() == [1] and b.stats.stored == 1
    b.add("x/F/A/rh_pct", json.dumps({"ts": t0, "value": 55}).encode(), 2)  # same time, new value
    b.add("x/F/A/rh_pct", json.dumps({"ts": t1, "value": 41}).encode(), 3)
    b.add("x/F/A/rh_pct", json.dumps({"ts": t1, "value": 500}).encode(), 4)  # impossible
    assert b.flush() == [2, 3, 4]
    assert b.stats.stored == 2 and b.stats.refused["stored before with another value"] == 1
    assert b.stats.refused["physically impossible"] == 1
    assert readings(led) == 2


def test_a_silent_sensor_raises_stale_once_and_a_reading_resolves_it(led: Ledger) -> None:
    """Issue 31, item 2: silence past 3x the stream's interval (observed: readings a minute
    apart) opens one `stale` alert; the next reading resolves it, with a note."""
    from critmat.inventory.staleness import check_stale
    from critmat.inventory.telemetry import Batcher

    def iso(t: datetime) -> str:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")

    b = Batcher(led)
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
    for i in range(6):
        b.add("x/F/A/temperature_c", json.dumps({"ts": iso(base + timedelta(minutes=i)),
                                                 "value": 20}).encode(), i + 1)  # fmt: skip
    b.flush()
    assert check_stale(led, base + timedelta(minutes=7)) == (0, 0)  # 2 min: within 3 x 60 s
    later = base + timedelta(minutes=9)  # 4 min silent
    assert check_stale(led, later) == (1, 0)
    assert check_stale(led, later) == (0, 0)  # one alert, not one per check
    a = alerts(led)
    stale = a[a["rule"] == "stale"]
    assert len(stale) == 1 and "expected every 60 s, observed" in stale.iloc[0]["message"]
    b.add("x/F/A/temperature_c", json.dumps({"ts": iso(later), "value": 20}).encode(), 9)
    b.flush()
    assert check_stale(led, later + timedelta(seconds=10)) == (0, 1)
    a = alerts(led)
    assert a.loc[a["rule"] == "stale", "status"].tolist() == ["resolved"]
    # a stream with too few readings has no observed interval: nothing is said without one given
    b.add("x/F/A/rh_pct", json.dumps({"ts": iso(base), "value": 40}).encode(), 10)
    b.flush()
    assert check_stale(led, later + timedelta(seconds=10)) == (0, 0)
    assert check_stale(led, later + timedelta(seconds=10), expected_s=60) == (1, 0)
