"""Live telemetry: sensor messages from a broker, checked one by one, stored in batches.

Topic convention: ``.../<facility>/<zone>/<metric>`` (the last three levels, whatever the prefix),
payload a JSON object ``{"ts": "2026-03-01T12:00:00Z", "value": 24.1, "unit": "C", "sensor":
"T-17"}`` (``unit`` and ``sensor`` optional). Every reading passes the file ingest's checks
(:func:`critmat.inventory.monitoring.check_readings`: metric known, ISO 8601 time not before 1990
nor beyond the clock skew, physically possible value; zone registered) after its unit is
converted to the metric's (``F`` and ``K`` to ``C``; ``%`` for shares). A message that fails is
refused with its reason and counted; it never stops the listener. Accepted readings wait in a
batch that :meth:`Batcher.flush` stores in one transaction (alerts raised as for a file); a
reading already stored (a broker's redelivery) is skipped. The message ids of a flushed batch
are returned so that the caller acknowledges them only once they are stored (MQTT QoS 1 with
manual acknowledgement: nothing acknowledged is lost).
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from critmat.inventory.checks import InventoryError
from critmat.inventory.monitoring import METRICS, check_readings, store_readings, zone_ids

if TYPE_CHECKING:
    from critmat.inventory.ledger import Ledger

__all__ = ["MAX_PAYLOAD", "Batcher", "ListenStats", "parse_message"]

#: the largest payload accepted (a reading is a few dozen bytes)
MAX_PAYLOAD = 64 * 1024
#: unit -> (metric's unit, conversion) per metric
UNITS: dict[str, dict[str, tuple[float, float]]] = {
    "temperature_c": {"c": (1.0, 0.0), "°c": (1.0, 0.0), "degc": (1.0, 0.0),
                      "f": (5 / 9, -32 * 5 / 9), "°f": (5 / 9, -32 * 5 / 9),
                      "k": (1.0, -273.15)},
    "rh_pct": {"%": (1.0, 0.0), "pct": (1.0, 0.0), "%rh": (1.0, 0.0), "fraction": (100.0, 0.0)},
    "o2_pct": {"%": (1.0, 0.0), "pct": (1.0, 0.0), "fraction": (100.0, 0.0)},
    "door_open": {"": (1.0, 0.0), "bool": (1.0, 0.0)},
}  # fmt: skip


@dataclass
class ListenStats:
    """What a listener did (printed when it stops)."""

    received: int = 0
    stored: int = 0
    duplicates: int = 0
    alerts: int = 0
    stale: int = 0  # silent streams alarmed (critmat.inventory.staleness)
    resumed: int = 0
    refused: Counter[str] = field(default_factory=Counter)

    def line(self) -> str:
        why = "; ".join(f"{k}: {v}" for k, v in self.refused.most_common())
        return (f"{self.received} message(s): {self.stored} reading(s) stored, "
                f"{self.duplicates} already stored, {self.alerts} alert(s), "
                f"{self.stale} silent sensor(s) alarmed, {self.resumed} resumed, "
                f"{sum(self.refused.values())} refused" + (f" ({why})" if why else ""))  # fmt: skip


def parse_message(topic: str, payload: bytes) -> dict[str, str] | str:
    """One message as a reading (text fields zone, timestamp, metric, value in the metric's
    unit, sensor), or the reason it is refused."""
    levels = topic.split("/")
    if len(levels) < 3 or not all(levels[-3:]):
        return "topic: expected .../FACILITY/ZONE/METRIC"
    facility, zone, metric = levels[-3:]
    if metric not in METRICS:
        return f"unknown metric {metric!r} (known: {', '.join(METRICS)})"
    if len(payload) > MAX_PAYLOAD:
        return f"payload over {MAX_PAYLOAD // 1024} KiB"
    try:
        doc = json.loads(payload)
    except (UnicodeDecodeError, ValueError):
        return "payload is not JSON"
    if not isinstance(doc, dict) or "ts" not in doc or "value" not in doc:
        return 'payload: expected a JSON object with "ts" and "value"'
    v = doc["value"]
    if isinstance(v, bool) or not isinstance(v, int | float):
        return f"value: not a number ({v!r:.40})"
    unit = str(doc.get("unit", "") or "").strip().lower()
    known = UNITS[metric]
    if unit and unit not in known:
        return f"unit {unit!r} for {metric} (known: {', '.join(k for k in known if k)})"
    a, b = known[unit] if unit else next(iter(known.values()))  # none given: the metric's own
    return {"zone": f"{facility}/{zone}", "timestamp": str(doc["ts"]), "metric": metric,
            "value": repr(a * float(v) + b), "sensor": str(doc.get("sensor", ""))[:80]}  # fmt: skip


class Batcher:
    """Checks each message as it arrives and stores the accepted ones in batches (thread-safe:
    the network thread adds, another thread flushes)."""

    def __init__(self, led: Ledger, source: str = "mqtt", batch_max: int = 2000) -> None:
        self.led, self.source, self.batch_max = led, source, batch_max
        #: set when a batch is full: the listener stores it at once, not at the next tick
        self.full = threading.Event()
        self.stats = ListenStats()
        self._lock = threading.Lock()
        self._rows: list[dict[str, str]] = []
        self._mids: list[int] = []
        self._zones = zone_ids(led)

    def add(self, topic: str, payload: bytes, mid: int = 0) -> str | None:
        """One message: kept for the next flush, or refused (returns the reason)."""
        reading = parse_message(topic, payload)
        reason = reading if isinstance(reading, str) else self._check(reading)
        with self._lock:
            self.stats.received += 1
            self._mids.append(mid)  # a refused message is acknowledged too: resending won't help
            if reason is not None:
                self.stats.refused[_reason(reason)] += 1
                return reason
            assert not isinstance(reading, str)
            self._rows.append(reading)
            if len(self._mids) >= self.batch_max:
                self.full.set()
        return None

    def _check(self, reading: dict[str, str]) -> str | None:
        """The zone now (so an unknown one is refused at once); the value and time are checked
        with the file ingest's rules over the whole batch when it is stored (one pass)."""
        if reading["zone"] not in self._zones:
            self._zones = zone_ids(self.led)  # a zone registered since the listener started
            if reading["zone"] not in self._zones:
                return f"unknown zone {reading['zone']!r}"
        return None

    def flush(self) -> list[int]:
        """Check the batch's readings (:func:`check_readings`, vectorised: a reading that
        fails is refused and counted, the others go on), store them in one transaction and
        return the ids of every message taken since the last flush, to acknowledge now."""
        with self._lock:
            rows, mids = self._rows, self._mids
            self._rows, self._mids = [], []
            self.full.clear()
        if not rows:
            return mids
        raw = pd.DataFrame(rows).drop_duplicates(["zone", "timestamp", "metric", "value"])
        resent = len(rows) - len(raw)
        cols = ["zone", "timestamp", "metric", "value"]
        raw = raw.reset_index(drop=True)[cols]
        while True:  # the schema pass stops before the time and range pass: repeat until clean
            df, issues = check_readings(raw, "message")
            if not issues:
                break
            bad = sorted({int(i.line) - 2 for i in issues if i.line is not None})
            if not bad:  # an issue without a row: nothing can be told apart
                raise InventoryError(f"batch refused: {issues[0]}")
            for issue in issues:
                self.stats.refused[_reason(issue.message)] += 1
            raw = raw.drop(index=bad).reset_index(drop=True)
        try:
            reps = [store_readings(self.led, df, self.source, "telemetry", title="batch")]
        except InventoryError:  # a reading stored before with another value: one by one
            reps = []
            for k in range(len(df)):
                try:
                    reps.append(store_readings(self.led, df.iloc[k : k + 1], self.source,
                                               "telemetry", title="reading"))  # fmt: skip
                except InventoryError:
                    self.stats.refused["stored before with another value"] += 1
        with self._lock:
            self.stats.stored += sum(r.readings for r in reps)
            self.stats.duplicates += sum(r.duplicates for r in reps) + resent
            self.stats.alerts += sum(r.alerts for r in reps)
        return mids


def _reason(message: str) -> str:
    """A refusal's kind, for the counts (the message without the figures)."""
    text = message.split(":")[0].split(" (")[0]
    for kind in ("physically impossible", "is outside", "not a date-time", "unknown zone"):
        if kind in message:
            return {"is outside": "time outside the allowed window"}.get(kind, kind)
    return text
