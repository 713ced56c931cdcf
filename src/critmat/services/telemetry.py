"""Live telemetry from an MQTT broker (critmat inventory listen; critmat.inventory.telemetry).

Subscribes with QoS 1 in a persistent session (``clean_session`` off, a fixed client id) so the
broker keeps what is published while the listener is away or reconnecting; acknowledges a
message only once its batch is stored (manual acknowledgement); reconnects with backoff; runs
until ``stop`` is set (the CLI sets it on SIGTERM or Ctrl-C), then stores and acknowledges what
it holds and disconnects.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from critmat.errors import CritmatError
from critmat.inventory.ledger import Ledger
from critmat.inventory.staleness import check_stale
from critmat.inventory.telemetry import Batcher, ListenStats
from critmat.services.inventory import open_ledger

__all__ = ["Broker", "beside", "broker_from_url", "listen"]


@dataclass(frozen=True)
class Broker:
    """Where to listen (``mqtt://host:port`` or ``mqtts://``)."""

    host: str
    port: int
    tls: bool = False
    username: str | None = None
    password: str | None = None
    ca_file: Path | None = None


def broker_from_url(
    url: str, *, username: str | None = None, password_file: Path | None = None,
    ca_file: Path | None = None,
) -> Broker:  # fmt: skip
    """A broker from ``mqtt://HOST[:PORT]`` (1883) or ``mqtts://HOST[:PORT]`` (8883), with a
    password read from a file (never from the command line, where ``ps`` shows it)."""
    u = urlsplit(url)
    if u.scheme not in ("mqtt", "mqtts") or not u.hostname:
        raise CritmatError(f"--broker {url!r}: expected mqtt://HOST:PORT or mqtts://HOST:PORT")
    tls = u.scheme == "mqtts" or ca_file is not None
    try:
        port = u.port or (8883 if tls else 1883)
    except ValueError:
        raise CritmatError(f"--broker {url!r}: the port is not a number 1-65535") from None
    password = None
    if password_file is not None:
        try:
            password = password_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise CritmatError(f"--password-file {password_file}: {exc.strerror}") from None
    if ca_file is not None and not ca_file.is_file():
        raise CritmatError(f"--tls-ca {ca_file}: no such file")
    return Broker(u.hostname, port, tls, username, password, ca_file)


def listen(
    led: Ledger,
    broker: Broker,
    topic: str = "critmat/#",
    *,
    client_id: str = "critmat-listener",
    flush_s: float = 1.0,
    stop: threading.Event | None = None,
    on_flush: Callable[[ListenStats], None] | None = None,
    stale_after: float | None = None,
    stale_every_s: float = 10.0,
) -> ListenStats:
    """Listen until ``stop`` is set; returns what was received, stored and refused. Every
    ``stale_every_s`` seconds, silent streams are alarmed (critmat.inventory.staleness;
    ``stale_after``: their expected interval, s, else each stream's observed one)."""
    stop = stop or threading.Event()
    batch = Batcher(led, source=f"mqtt:{broker.host}:{broker.port}")
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id,
                         clean_session=False, protocol=mqtt.MQTTv311)  # fmt: skip
    client.manual_ack_set(True)
    client.reconnect_delay_set(min_delay=1, max_delay=30)
    if broker.username is not None:
        client.username_pw_set(broker.username, broker.password)
    if broker.tls:
        client.tls_set(ca_certs=str(broker.ca_file) if broker.ca_file else None,
                       cert_reqs=ssl.CERT_REQUIRED)  # fmt: skip

    def on_connect(c: mqtt.Client, _u: object, _f: object, rc: object, _p: object) -> None:
        if not getattr(rc, "is_failure", False):  # (re)connected: the session's subscription
            c.subscribe(topic, qos=1)

    def on_message(_c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        batch.add(msg.topic, bytes(msg.payload), msg.mid)

    client.on_connect = on_connect
    client.on_message = on_message
    try:
        client.connect(broker.host, broker.port, keepalive=30)
    except OSError as exc:
        raise CritmatError(f"cannot reach the broker {broker.host}:{broker.port}: {exc}") from None
    client.loop_start()
    try:
        checked = 0.0
        while not stop.is_set():
            batch.full.wait(flush_s)  # every tick, or at once when a batch is full
            _flush(client, batch, on_flush)
            if time.monotonic() - checked >= stale_every_s:
                opened, resumed = check_stale(led, datetime.now(UTC), stale_after)
                batch.stats.stale += opened
                batch.stats.resumed += resumed
                checked = time.monotonic()
        time.sleep(0.2)  # what the network thread is handing over as the stop came
        _flush(client, batch, on_flush)
    finally:
        client.disconnect()
        client.loop_stop()
    return batch.stats


def _flush(
    client: mqtt.Client, batch: Batcher, on_flush: Callable[[ListenStats], None] | None
) -> None:
    for mid in batch.flush():
        if mid:
            client.ack(mid, 1)
    if on_flush is not None:
        on_flush(batch.stats)


def beside(
    database: str | None, broker_url: str, topic: str = "critmat/#",
    client_id: str = "critmat-server",
) -> tuple[threading.Event, threading.Thread]:  # fmt: skip
    """A listener in a thread of the serving process (critmat serve --mqtt): the broker is
    checked now (a bad URL or an unreachable broker stops the start); set the event to stop."""
    broker = broker_from_url(broker_url)
    try:
        socket.create_connection((broker.host, broker.port), timeout=5).close()
    except OSError as exc:
        raise CritmatError(f"--mqtt {broker_url}: cannot reach the broker: {exc}") from None
    led, stop = open_ledger(database), threading.Event()
    thread = threading.Thread(target=listen, args=(led, broker, topic),
                              kwargs={"client_id": client_id, "stop": stop},
                              name="critmat-mqtt", daemon=True)  # fmt: skip
    thread.start()
    return stop, thread
