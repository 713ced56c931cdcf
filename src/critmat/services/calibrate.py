"""Calibrate: fit the price response to the recorded disruptions (docs/methods.md 6.6)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from critmat.data.dataset import Dataset, UnknownChoiceError
from critmat.services.context import resolve
from critmat.sim.fit import GRID, FitResult, calibrate, library_targets, load_user_targets
from critmat.usecases.outcome import Outcome
from critmat.usecases.requests import CalibrateRequest

__all__ = ["FitResult", "check_request", "grid_size", "run_calibrate"]


def grid_size() -> int:
    """Parameter sets the fit tries."""
    return int(np.prod([len(v) for v in GRID.values()]))


def check_request(ds: Dataset, event: str | None = None, events: Path | None = None) -> None:
    """Refuse a bad event id or events file before the fit starts."""

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

    extra = load_user_targets(events) if events is not None else []
    if event is not None:
        known = sorted({t.event for t in [*library_targets(ds)[0], *extra]})
        if event not in known:
            raise UnknownChoiceError("calibrated event", event, known)
    table, params, excluded = calibrate(ds, holder=holder, extra=extra)
    if event is not None:
        table = table[table["event"] == event]
    return table, params, excluded


def calibrate_result(table: pd.DataFrame, params: FitResult, excluded: pd.DataFrame) -> Outcome:
    """A calibration as every face shows it (critmat.usecases): the targets against the
    record, the fitted parameters and the recorded events not used."""
    readme = {
        "loss function": params.loss_function,
        **{k: str(v) for k, v in params.to_dict().items() if k != "grid"},
    }
    return Outcome(tables={"targets": table, "excluded": excluded}, readme=readme,
                   fields={"parameters": params.to_dict()}, main="targets")  # fmt: skip


def calibrate_outcome(
    ds: Dataset, req: CalibrateRequest, progress: Callable[[int], None] | None = None
) -> Outcome:
    """The registry's runner."""
    return calibrate_result(*run_calibrate(ds, holder=req.holder, event=req.event))


def check_calibrate_request(ds: Dataset, req: CalibrateRequest) -> None:
    """A calibration request is refused now for an unknown holder or event."""

    resolve(ds, holder=req.holder)
    check_request(ds, req.event)
