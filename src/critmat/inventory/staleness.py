"""Sensors that fall silent are alarms (issue 31, item 2).

A stream (a zone's metric) whose last reading is older than ``MARGIN`` times its expected
interval opens a ``stale`` alert (``warning``); a later reading resolves it, with a note saying
when the readings resumed (the life cycle kept in the alert table). The expected interval is the
one given (``critmat inventory listen --stale-after SECONDS``), else the median gap between the
stream's last ``WINDOW`` readings (at least ``MIN_READINGS`` of them; the alert says which).
``MARGIN`` = 3: two missed readings and some jitter (an assumption).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from critmat.inventory.models import Alert, SensorReading

if TYPE_CHECKING:
    from critmat.inventory.ledger import Ledger

__all__ = ["MARGIN", "check_stale"]

MARGIN = 3.0
WINDOW = 25
MIN_READINGS = 4


def check_stale(led: Ledger, now: dt.datetime, expected_s: float | None = None) -> tuple[int, int]:
    """Open a ``stale`` alert for every silent stream without one and resolve those whose
    stream reads again; returns (opened, resolved)."""
    opened = resolved = 0
    with Session(led.engine) as s, s.begin():
        last = s.execute(
            select(SensorReading.zone_id, SensorReading.metric, func.max(SensorReading.ts))
            .group_by(SensorReading.zone_id, SensorReading.metric)
        ).all()  # fmt: skip
        open_ = {(a.zone_id, a.metric): a for a in s.scalars(
            select(Alert).where(Alert.rule == "stale", Alert.status != "resolved"))}  # fmt: skip
        for zid, metric, ts in last:
            silent = (pd.Timestamp(now) - pd.Timestamp(ts)).total_seconds()
            every, how = (
                (expected_s, "given") if expected_s else (_observed(s, zid, metric), "observed")
            )
            if every is None:
                continue
            alert = open_.get((zid, metric))
            if silent > MARGIN * every and alert is None:
                s.add(Alert(zone_id=zid, ts=pd.Timestamp(now).isoformat(), metric=metric,
                            value=round(silent, 1), rule="stale", severity="warning",
                            status="open", note="",
                            message=f"{metric}: no reading for {silent / 60:,.0f} min (expected "
                            f"every {every:,.0f} s, {how}; alarm past {MARGIN:g}x)"))  # fmt: skip
                opened += 1
            elif silent <= MARGIN * every and alert is not None:
                alert.status, alert.note = "resolved", f"readings resumed ({ts})"
                resolved += 1
    return opened, resolved


def _observed(s: Session, zid: int, metric: str) -> float | None:
    """The median gap (s) between the stream's last readings; None with too few of them."""
    ts = s.scalars(
        select(SensorReading.ts)
        .where(SensorReading.zone_id == zid, SensorReading.metric == metric)
        .order_by(SensorReading.ts.desc())
        .limit(WINDOW)
    ).all()  # fmt: skip
    if len(ts) < MIN_READINGS:
        return None
    gaps = -np.diff(
        pd.to_datetime(pd.Series(ts), utc=True, format="ISO8601").to_numpy()
    ) / np.timedelta64(1, "s")
    gaps = gaps[gaps > 0]
    return float(np.median(gaps)) if len(gaps) else None
