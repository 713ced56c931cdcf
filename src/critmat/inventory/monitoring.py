"""Condition monitoring: sensor files in, threshold and anomaly alerts out, degradation derived.

Limits per storage class (critmat.data.catalogue storage classes) are labelled assumptions except
where the dataset has a sourced fact (gallium melts at 29.8 C, storage table). A zone's limits are
the strictest of the materials it currently holds. Alerts:

- ``threshold``: a reading outside the zone's limits opens an alert when an excursion starts
  (``critical`` if it exceeds the limit by more than 10% of the limit, else ``warning``); the
  excursion ends once readings are back inside by a 2% margin (hysteresis against flicker);
- ``anomaly``: a robust z-score ``0.6745 (x - median) / MAD`` over the previous 24 readings of the
  same zone and metric above 5 opens a ``warning`` (Iglewicz & Hoaglin 1993 modified z-score).

Degradation: a lot's quality grade falls from 100 by a per-class rate (percent per day) for the
time its zone spent out of limits (assumption rates, docs/inventory.md).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from critmat.data.catalogue import STORAGE_CLASS
from critmat.data.schemas import Column, Issue, TableSpec, coerce_frame, validate_frame
from critmat.inventory.checks import InventoryError
from critmat.inventory.models import Alert, Facility, SensorReading, Zone

if TYPE_CHECKING:
    from critmat.inventory.ledger import Ledger

__all__ = [
    "LIMITS",
    "METRICS",
    "STATE_LIMITS",
    "IngestReport",
    "alerts",
    "check_readings",
    "ingest",
    "quality",
    "set_alert",
    "store_readings",
    "zone_ids",
]

METRICS = ("temperature_c", "rh_pct", "o2_pct", "door_open")
#: storage class -> metric -> (low, high); None = no bound. Assumptions except gallium's 29.8 C.
LIMITS: dict[str, dict[str, tuple[float | None, float | None]]] = {
    "default": {"temperature_c": (-20.0, 40.0), "rh_pct": (None, 80.0)},
    "chemical_salt": {"temperature_c": (0.0, 35.0), "rh_pct": (None, 60.0)},
    "reactive_metal": {
        "temperature_c": (-10.0, 35.0),
        "rh_pct": (None, 40.0),
        "o2_pct": (None, 1.0),
    },
    "rare_earth_oxide": {"rh_pct": (None, 60.0)},
    "low_melting_metal": {"temperature_c": (-10.0, 29.8)},  # gallium melting point (storage table)
    "semiconductor_grade": {"temperature_c": (5.0, 30.0), "rh_pct": (None, 50.0)},
    "graphite": {"rh_pct": (None, 70.0)},
}
#: limits whose crossing changes the material's state or safety, not only its grade: an alert is
#: critical at once (storage class -> metric -> (side, limit, why, with its source))
STATE_LIMITS: dict[str, dict[str, tuple[str, float, str]]] = {
    "low_melting_metal": {
        "temperature_c": ("high", 29.8, "gallium melts at 29.76 C (CRC Handbook of Chemistry "
                          "and Physics): liquid metal attacks its packaging and other metals"),
    },
}  # fmt: skip
#: grade points lost per day out of limits, by storage class (assumption)
DEGRADATION_PER_DAY = {
    "reactive_metal": 2.0,
    "chemical_salt": 0.5,
    "low_melting_metal": 0.5,
    "semiconductor_grade": 0.3,
}
DEFAULT_DEGRADATION = 0.1
WINDOW, Z_LIMIT = 24, 5.0
#: what a sensor can physically read (outside: a broken sensor or a typo, refused)
PHYSICAL: dict[str, tuple[float, float]] = {
    "temperature_c": (-90.0, 150.0),
    "rh_pct": (0.0, 100.0),
    "o2_pct": (0.0, 100.0),
    "door_open": (0.0, 1.0),
}
#: the earliest timestamp a reading may carry
EARLIEST = pd.Timestamp("1990-01-01", tz="UTC")
#: how far a reading's timestamp may lie ahead of this machine's clock (sensor clocks drift; a
#: reading from the future beyond this is a wrong clock or time zone, refused)
CLOCK_SKEW = pd.Timedelta(minutes=5)


@dataclass
class IngestReport:
    """What one file added."""

    file: str
    readings: int
    alerts: int
    duplicates: int = 0  # readings already loaded (same zone, time, metric and value): skipped


def _limits(materials: list[str]) -> dict[str, tuple[float | None, float | None]]:
    out: dict[str, tuple[float | None, float | None]] = dict(LIMITS["default"])
    for m in materials:
        for metric, (lo, hi) in LIMITS.get(STORAGE_CLASS.get(m, ""), {}).items():
            olo, ohi = out.get(metric, (None, None))
            nlo = lo if olo is None else (olo if lo is None else max(lo, olo))
            nhi = hi if ohi is None else (ohi if hi is None else min(hi, ohi))
            out[metric] = (nlo, nhi)
    return out


SENSOR_SPEC = TableSpec(
    name="sensor",
    description="Sensor readings: zone (FACILITY/ZONE), ISO timestamp, metric, value.",
    key=("zone", "timestamp", "metric"),
    columns=(
        Column(name="zone"),
        Column(name="timestamp"),
        Column(name="metric", choices=frozenset(METRICS)),
        Column(name="value", kind="float"),
    ),
)


def _read(path: Path, label: str) -> tuple[pd.DataFrame, list[Issue]]:
    """Read and validate a sensor file with the dataset's schema machinery; ``label`` names it
    in the issues (the path, or what the records came from)."""
    try:
        if path.suffix == ".json":
            raw = pd.DataFrame(json.loads(path.read_text())).astype(str)
        else:
            raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except Exception as exc:  # unreadable: reported like any other bad input
        return pd.DataFrame(), [
            Issue(check="sensor", table="sensor", file=label, message=f"cannot be read: {exc}")
        ]
    return check_readings(raw, label)


def check_readings(raw: pd.DataFrame, label: str) -> tuple[pd.DataFrame, list[Issue]]:
    """The checks every reading passes, from a file or a message (text columns zone,
    timestamp, metric, value): schema, ISO 8601 time within EARLIEST .. now + CLOCK_SKEW,
    physically possible value. Returns the readings (zone, ts, metric, value) and the issues."""
    frame, issues = coerce_frame(raw, SENSOR_SPEC, file=label)
    if issues:
        return frame, issues
    issues = validate_frame(frame, SENSOR_SPEC, file=label)
    ts = pd.to_datetime(frame["timestamp"], errors="coerce", utc=True, format="ISO8601")
    issues += [
        Issue(
            check="schema",
            table="sensor",
            file=label,
            line=int(i) + 2,
            column="timestamp",
            message=f"not a date-time: {frame['timestamp'].iloc[int(i)]!r}",
        )
        for i in np.flatnonzero(ts.isna().to_numpy())[:50]
    ]
    now = pd.Timestamp.now(tz="UTC")
    # the rows to look at, found with whole-column comparisons (a loop over every row cost
    # about 60 us a reading); the messages are then written for those rows only
    metrics = frame["metric"].astype(str).to_numpy()
    values = pd.to_numeric(frame["value"], errors="coerce").to_numpy(np.float64)
    lo_all = np.array([PHYSICAL.get(m, (-np.inf, np.inf))[0] for m in metrics], np.float64)
    hi_all = np.array([PHYSICAL.get(m, (-np.inf, np.inf))[1] for m in metrics], np.float64)
    with np.errstate(invalid="ignore"):
        bad_v = ~np.isfinite(values) | (values < lo_all) | (values > hi_all)
    bad_t = (ts.notna() & ((ts < EARLIEST) | (ts > now + CLOCK_SKEW))).to_numpy()
    for i in (int(k) for k in np.flatnonzero(bad_v | bad_t)):
        if len(issues) >= 50:
            break
        t, metric, v = ts.iloc[i], str(metrics[i]), float(values[i])
        lo, hi = PHYSICAL.get(metric, (-np.inf, np.inf))
        if not np.isfinite(v) or v < lo or v > hi:
            issues.append(
                Issue(check="sensor", table="sensor", file=label, line=i + 2, column="value",
                      message=f"{metric} {v:g} is physically impossible (range {lo} to {hi})")
            )  # fmt: skip
        if pd.notna(t) and not (EARLIEST <= t <= now + CLOCK_SKEW):
            issues.append(
                Issue(check="sensor", table="sensor", file=label, line=i + 2,
                      column="timestamp",
                      message=f"{frame['timestamp'].iloc[i]} is outside {EARLIEST.date()} to "
                      f"now ({now:%Y-%m-%dT%H:%M}Z) plus the allowed clock skew of "
                      f"{CLOCK_SKEW.total_seconds() / 60:g} minutes")
            )  # fmt: skip
    out = pd.DataFrame(
        {"zone": frame["zone"], "ts": ts, "metric": frame["metric"], "value": frame["value"]}
    )
    return out, issues


def ingest(led: Ledger, path: str | Path, *, label: str | None = None) -> IngestReport:
    """Load a sensor file (CSV or JSON records: zone, timestamp, metric, value) and raise alerts;
    ``label`` names the readings in messages instead of the file's path (records sent over HTTP
    are written to a temporary file whose path means nothing to the sender).

    Raises
    ------
    InventoryError
        Listing file, line, column and reason of every bad cell or unknown zone; nothing is loaded.
    """
    p = Path(path)
    where = label or str(p)
    df, issues = _read(p, where)
    return store_readings(led, df, p.name, where, issues=issues, title=label)


def zone_ids(led: Ledger) -> dict[str, int]:
    """``FACILITY/ZONE`` -> zone id of every registered zone."""
    with Session(led.engine) as s:
        rows = s.execute(select(Zone.id, Facility.code, Zone.code).join(Facility)).all()
    return {f"{f}/{z}": zid for zid, f, z in rows}


def store_readings(
    led: Ledger,
    df: pd.DataFrame,
    source: str,
    where: str,
    *,
    issues: list[Issue] | None = None,
    title: str | None = None,
) -> IngestReport:
    """Store checked readings (:func:`check_readings`) in one transaction and raise their
    alerts; readings already stored are skipped (counted as duplicates).

    Raises
    ------
    InventoryError
        On any issue (including an unknown zone); nothing is stored.
    """
    title = title or f"sensor file {where}"
    issues = list(issues or [])
    bal = led.balances()  # read before the write transaction (SQLite: one writer at a time)
    with Session(led.engine) as s, s.begin():
        zones = {
            f"{f}/{z}": zid
            for zid, f, z in s.execute(
                select(Zone.id, Facility.code, Zone.code).join(Facility)
            ).all()
        }
        if not issues:
            issues = _zone_issues(df["zone"], zones, where)
        if issues:
            lines = "\n  ".join(str(i) for i in issues[:20])
            raise InventoryError(f"{title} refused; nothing was loaded:\n  {lines}")
        df = df.sort_values("ts", kind="stable")
        df, n_dup = _new_readings(s, df, zones, title)
        n_alerts = 0
        for zone, g in df.groupby("zone"):
            mats = sorted(set(bal.loc[bal["location"] == zone, "material"]))
            lim = _limits(mats)
            for metric, gm in g.groupby("metric"):
                n_alerts += _load_series(
                    s, zones[str(zone)], str(metric), gm, lim.get(str(metric), (None, None)),
                    mats, source,
                )  # fmt: skip
    return IngestReport(where, len(df), n_alerts, n_dup)


def _state_change(metric: str, v: float, mats: list[str]) -> str:
    """Why a reading changes the state of a material held in the zone (STATE_LIMITS), or ""."""
    for m in mats:
        rule = STATE_LIMITS.get(STORAGE_CLASS.get(m, ""), {}).get(metric)
        if rule is not None:
            side, limit, why = rule
            if (side == "high" and v > limit) or (side == "low" and v < limit):
                return why
    return ""


def _beyond(v: float, lo: float | None, hi: float | None) -> str:
    """Which limit a reading passed, in words ("above the limit 29.8"), never a raw None."""
    if hi is not None and v > hi:
        return f"above the limit {hi:g}" + (f" (range {lo:g}-{hi:g})" if lo is not None else "")
    assert lo is not None
    return f"below the limit {lo:g}" + (f" (range {lo:g}-{hi:g})" if hi is not None else "")


def _zone_issues(zones_given: pd.Series, zones: dict[str, int], where: str) -> list[Issue]:
    """One issue per reading whose zone is not in the register (line numbers of a CSV)."""
    return [
        Issue(check="sensor", table="sensor", file=where, line=i + 2, column="zone",
              message=f"unknown zone {z!r}; known: " + ", ".join(sorted(zones)))
        for i, z in enumerate(zones_given)
        if z not in zones
    ]  # fmt: skip


def _load_series(
    s: Session,
    zid: int,
    metric: str,
    readings: pd.DataFrame,
    limits: tuple[float | None, float | None],
    mats: list[str],
    source: str,
) -> int:
    """Store one zone's readings of one metric (oldest first) and raise their alerts: a
    threshold alert when a reading leaves the spec limits, an anomaly alert when a reading
    inside them is far from the recent ones (robust z-score); returns the alerts raised."""
    hist = [
        float(v)
        for v in s.scalars(
            select(SensorReading.value)
            .where(SensorReading.zone_id == zid, SensorReading.metric == metric)
            .order_by(SensorReading.ts.desc())
            .limit(WINDOW)
        ).all()
    ][::-1]
    lo, hi = limits
    was_out = bool(hist) and _out(hist[-1], lo, hi)
    n = 0
    new: list[dict[str, object]] = []
    for ts, v in zip(readings["ts"], readings["value"], strict=True):
        stamp = ts.isoformat()
        new.append({"zone_id": zid, "ts": stamp, "metric": metric, "value": v, "source": source})
        out = _out(v, lo, hi)
        alert = None
        if out and not was_out:
            span = abs(hi if hi is not None and v > hi else lo or 0.0) or 1.0
            bound = hi if hi is not None and v > hi else lo
            sev = "critical" if abs(v - (bound or 0.0)) > 0.1 * span else "warning"
            state = _state_change(metric, v, mats)
            if state:
                sev = "critical"
            why = f"{metric} {v:g} {_beyond(v, lo, hi)} for {', '.join(mats) or 'empty zone'}"
            why += f"; {state}" if state else ""
            alert = ("threshold", sev, why)
        elif not out and len(hist) >= WINDOW // 2:
            med = float(np.median(hist))
            mad = float(np.median(np.abs(np.array(hist) - med)))
            z = 0.6745 * (v - med) / mad if mad > 0 else 0.0
            if abs(z) > Z_LIMIT:
                why = (f"{metric} {v:g}: robust z-score {z:.1f} against the last {len(hist)} "
                       f"readings (median {med:g})")  # fmt: skip
                alert = ("anomaly", "warning", why)
        if alert is not None:
            rule, sev, why = alert
            s.add(Alert(zone_id=zid, ts=stamp, metric=metric, value=v, rule=rule, severity=sev,
                        status="open", note="", message=why))  # fmt: skip
            n += 1
        # an excursion ends only once the value is back inside by a 2% margin
        was_out = out or (was_out and _out(v, *_inner(lo, hi)))
        hist = [*hist[-(WINDOW - 1) :], v]
    if new:  # one multi-row insert, not an object per reading
        s.execute(insert(SensorReading), new)
    return n


def _new_readings(
    s: Session, df: pd.DataFrame, zones: dict[str, int], name: str
) -> tuple[pd.DataFrame, int]:
    """Drop readings already loaded (ingest is idempotent); a reading loaded with another value
    is refused."""
    if df.empty:
        return df, 0
    lo, hi = df["ts"].min().isoformat(), df["ts"].max().isoformat()
    have = {
        (zid, ts, metric): float(v)
        for zid, ts, metric, v in s.execute(
            select(
                SensorReading.zone_id, SensorReading.ts, SensorReading.metric, SensorReading.value
            ).where(SensorReading.ts >= lo, SensorReading.ts <= hi)
        )
    }
    keep = []
    for z, t, m, v in zip(df["zone"], df["ts"], df["metric"], df["value"], strict=True):
        old = have.get((zones[str(z)], t.isoformat(), str(m)))
        if old is not None and abs(old - float(v)) > 1e-4:
            raise InventoryError(
                f"{name}: {z} {t.isoformat()} {m} was loaded before as {old:g}, "
                f"now {float(v):g}; nothing was loaded"
            )
        keep.append(old is None)
    mask = np.array(keep, bool)
    return df[mask], int((~mask).sum())


def _inner(lo: float | None, hi: float | None) -> tuple[float | None, float | None]:
    """Limits tightened by 2% of their size (the hysteresis band of an excursion's end)."""
    return (
        None if lo is None else lo + 0.02 * abs(lo),
        None if hi is None else hi - 0.02 * abs(hi),
    )


def _out(v: float, lo: float | None, hi: float | None) -> bool:
    return (lo is not None and v < lo) or (hi is not None and v > hi)


def alerts(led: Ledger, status: str | None = None) -> pd.DataFrame:
    """Alerts, newest first (optionally of one status)."""
    q = (
        select(
            Alert.id,
            Facility.code,
            Zone.code,
            Alert.ts,
            Alert.metric,
            Alert.value,
            Alert.rule,
            Alert.severity,
            Alert.status,
            Alert.message,
            Alert.note,
        )
        .join(Zone, Zone.id == Alert.zone_id)
        .join(Facility)
    )
    if status:
        q = q.where(Alert.status == status)
    with Session(led.engine) as s:
        rows = s.execute(q.order_by(Alert.ts.desc())).all()
    df = pd.DataFrame(
        rows,
        columns=[
            "id",
            "facility",
            "zone",
            "ts",
            "metric",
            "value",
            "rule",
            "severity",
            "status",
            "message",
            "note",
        ],
    )
    df["value"] = df["value"].astype(float)
    return df


def set_alert(led: Ledger, alert_id: int, status: str, note: str = "") -> None:
    """Acknowledge or resolve an alert (resolution needs a note)."""
    if status not in ("acknowledged", "resolved"):
        raise InventoryError("status must be 'acknowledged' or 'resolved'")
    if status == "resolved" and not note:
        raise InventoryError("resolving an alert needs a note saying what was done")
    with Session(led.engine) as s, s.begin():
        a = s.get(Alert, alert_id)
        if a is None:
            raise InventoryError(f"no alert {alert_id}")
        if a.status == "resolved":
            raise InventoryError(f"alert {alert_id} is resolved already")
        a.status, a.note = status, note or a.note


def quality(led: Ledger) -> pd.DataFrame:
    """Quality grade per lot and zone: 100 minus degradation for the time out of limits."""
    bal = led.balances()
    bal = bal[bal["location"] != "in transit"]
    rows = []
    with Session(led.engine) as s:
        for _, b in bal.iterrows():
            fac, _, zone = str(b["location"]).partition("/")
            zid = s.scalar(
                select(Zone.id).join(Facility).where(Facility.code == fac, Zone.code == zone)
            )
            lim = _limits([str(b["material"])])
            hours = 0.0
            for metric, (lo, hi) in lim.items():
                rs = s.execute(
                    select(SensorReading.ts, SensorReading.value)
                    .where(SensorReading.zone_id == zid, SensorReading.metric == metric)
                    .order_by(SensorReading.ts)
                ).all()
                for (t0, v0), (t1, _v1) in itertools.pairwise(rs):
                    if _out(float(v0), lo, hi):
                        d = dt.datetime.fromisoformat(t1) - dt.datetime.fromisoformat(t0)
                        hours += d.total_seconds() / 3600
            rate = DEGRADATION_PER_DAY.get(
                STORAGE_CLASS.get(str(b["material"]), ""), DEFAULT_DEGRADATION
            )
            rows.append(
                {
                    "lot": b["lot"],
                    "material": b["material"],
                    "location": b["location"],
                    "hours_out_of_limits": hours,
                    "grade": max(0.0, 100.0 - rate * hours / 24.0),
                }
            )
    return pd.DataFrame(rows)
