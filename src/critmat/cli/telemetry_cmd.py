"""``critmat inventory listen``: live sensor readings from an MQTT broker (docs/inventory.md)."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Annotated

import typer

from critmat.cli.inventory_common import DbOpt, open_ledger, refused


@refused
def listen(
    broker: Annotated[
        str, typer.Option(help="mqtt://HOST:PORT (or mqtts:// for TLS).")
    ] = "mqtt://127.0.0.1:1883",
    topic: Annotated[
        str, typer.Option(help="Subscription; the last three levels are FACILITY/ZONE/METRIC.")
    ] = "critmat/#",
    client_id: Annotated[
        str, typer.Option(help="Session id: the broker keeps what arrives while it is away.")
    ] = "critmat-listener",
    username: Annotated[str | None, typer.Option(help="Broker user.")] = None,
    password_file: Annotated[
        Path | None, typer.Option(help="File holding the broker password.")
    ] = None,
    tls_ca: Annotated[Path | None, typer.Option(help="CA certificate (turns TLS on).")] = None,
    flush_seconds: Annotated[
        float, typer.Option(min=0.05, max=60.0, help="Store and acknowledge every N seconds.")
    ] = 1.0,
    stale_after: Annotated[
        float | None,
        typer.Option(
            min=1.0,
            help="Expected seconds between a sensor's readings (default: "
            "each stream's observed interval); silent past 3x: a stale alert.",
        ),
    ] = None,
    seconds: Annotated[
        float | None,
        typer.Option(min=0.1, help="Stop after N seconds (default: run until stopped)."),
    ] = None,
    db: DbOpt = None,
) -> None:
    """Listen to sensor readings over MQTT until stopped (Ctrl-C or SIGTERM: stores what it
    holds and exits 0)."""
    from critmat.services.telemetry import broker_from_url
    from critmat.services.telemetry import listen as run

    where = broker_from_url(broker, username=username, password_file=password_file,
                            ca_file=tls_ca)  # fmt: skip
    led = open_ledger(db)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    if seconds is not None:
        threading.Timer(seconds, stop.set).start()
    typer.echo(f"listening on {where.host}:{where.port} to {topic} (Ctrl-C stops)", err=True)
    stats = run(led, where, topic, client_id=client_id, flush_s=flush_seconds, stop=stop,
                stale_after=stale_after)  # fmt: skip
    typer.echo(stats.line())
