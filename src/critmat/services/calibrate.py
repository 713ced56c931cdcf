"""Calibrate: fit the price response to the recorded disruptions (docs/methods.md 6.6)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from critmat.data.dataset import Dataset, UnknownChoiceError
from critmat.sim.fit import GRID, FitResult

__all__ = ["FitResult", "check_request", "grid_size", "run_calibrate"]


def grid_size() -> int:
    """Parameter sets the fit tries."""
    return int(np.prod([len(v) for v in GRID.values()]))


def check_request(ds: Dataset, event: str | None = None, events: Path | None = None) -> None:
    """Refuse a bad event id or events file before the fit starts."""
    from critmat.sim.fit import library_targets, load_user_targets

    extra = load_user_targets(events) if events is not None else []
    if event is not None:
        known = sorted({t.event for t in [*library_targets(ds)[0], *extra]})
        if event not in known:
            raise UnknownChoiceError("calibrated event", event, known)


def run_calibrate(
    ds: Dataset,
    *,
    holder: str | None = None,
    event: str | None = None,
    events: Path | None = None,
) -> tuple[pd.DataFrame, FitResult, pd.DataFrame]:
    """The calibration table (one event's rows with ``event``), parameters and exclusions."""
    from critmat.sim.fit import calibrate, library_targets, load_user_targets

    extra = load_user_targets(events) if events is not None else []
    if event is not None:
        known = sorted({t.event for t in [*library_targets(ds)[0], *extra]})
        if event not in known:
            raise UnknownChoiceError("calibrated event", event, known)
    table, params, excluded = calibrate(ds, holder=holder, extra=extra)
    if event is not None:
        table = table[table["event"] == event]
    return table, params, excluded
