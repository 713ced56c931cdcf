"""Calibrating the price response against the recorded disruptions (``critmat calibrate``).

Targets are recorded price moves of the events table: the material, the market (holder and
base year of the trade data) and the move within a window of months. Each is replayed with its
library scenario (one run: the library's events have fixed start, duration and severity) and the
simulated move is the largest world price ratio in the window from the event's start.

Free parameters (``THETA``): the demand elasticity of the materials without a literature estimate
and the precautionary-demand strength; a material with literature estimates keeps the median of
its short-run (else unspecified) demand estimates. Loss function (stated)::

    loss(theta) = sum_targets (log(1 + simulated) - log(1 + recorded))^2

minimised over a grid (log-spaced elasticities x precaution strengths). Leave-one-event-out
cross-validation fits on all events but one and predicts the held-out one; the fit function is
only ever given the training targets.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from critmat.data.dataset import Dataset, UnknownChoiceError
from critmat.data.yamlfile import load_yaml_model
from critmat.sim.events import compile_events
from critmat.sim.market import Market, SimParams, build_market
from critmat.sim.scenario import Scenario

__all__ = [
    "EXCLUDED",
    "GRID",
    "LIBRARY_TARGETS",
    "FitResult",
    "Target",
    "calibrate",
    "fit",
    "leave_one_out",
    "library_targets",
    "load_user_targets",
]

#: event_id -> (material, holder, base year of the market) for recorded price moves.
LIBRARY_TARGETS: dict[str, list[tuple[str, str, int]]] = {
    "REE-2010": [("dysprosium", "JPN", 2015)],
    "REE-2010b": [("neodymium", "JPN", 2015)],
    "GAGE-2023": [("gallium", "EU27", 2023)],
    "NI-ID-2020": [("nickel", "EU27", 2019)],
}
#: recorded events the fit cannot use, and why (shown in the calibration table).
EXCLUDED: dict[str, str] = {
    "NI-ID-2014": "no pre-ban trade year: the extract starts in 2015, after the ban, when "
    "Indonesia exported no ore",
    "GAGE-2024": "a targeted ban: the model diverts flows to other buyers and moves no world "
    "price by design",
    "GR-2023": "the record is an export volume (-94%), an input of the scenario, not a price",
    "SB-2024": "no recorded magnitude",
}
#: The grid: demand elasticity of materials without estimates x precautionary strength x world
#: stocks that absorb a loss (months of world supply).
GRID: dict[str, tuple[float, ...]] = {
    "elasticity": tuple(float(-v) for v in np.round(np.geomspace(0.01, 1.0, 15), 4)),
    # the anticipation effect is strong per unit: with |eps| ~ 0.04 a strength of 0.02 already
    # lifts the price ~1.7x on a full loss, so the grid is dense near zero
    "precaution": (0.0, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1.0),
    "buffer_months": (0.0, 1.0, 2.0, 3.0, 4.0, 6.0),
}
#: The price cap while calibrating: above the largest recorded move (Dy oxide, 26-fold).
CALIBRATION_CAP = 50.0


@dataclass(frozen=True)
class Target:
    """One recorded price move to reproduce."""

    event: str  # the event group held out together in cross-validation
    id: str
    material: str
    holder: str
    year: int
    recorded_pct: float
    window: int
    scenario: Scenario
    source: str = ""


def _parent(ev: pd.DataFrame, event_id: str) -> str:
    row = ev.loc[event_id]
    return str(row["parent_event"]) or event_id


def library_targets(ds: Dataset) -> tuple[list[Target], pd.DataFrame]:
    """The recorded price moves the fit uses, and the recorded events it leaves out (why)."""
    from critmat.sim.library import scenario_by_id

    ev = ds.events.set_index("event_id")
    out: list[Target] = []
    excluded: list[dict[str, object]] = []
    for event_id, specs in LIBRARY_TARGETS.items():
        if event_id not in ev.index:
            continue
        parent = _parent(ev, event_id)
        rec = ev.loc[event_id]
        window = rec["window_months"]
        if pd.isna(window):
            window = ev.loc[parent, "window_months"]
        sc = scenario_by_id(ds, parent)
        for mat, holder, year in specs:
            out.append(
                Target(
                    parent,
                    f"{event_id}:{mat}",
                    mat,
                    holder,
                    year,
                    float(rec["change_pct"]),
                    int(window),
                    sc,
                    f"{rec['metric']}; {rec['source']} ({rec['status']})",
                )
            )
    for event_id, why in EXCLUDED.items():
        if event_id in ev.index:
            excluded.append(
                {
                    "event": event_id,
                    "recorded_pct": ev.loc[event_id, "change_pct"],
                    "metric": ev.loc[event_id, "metric"],
                    "excluded": why,
                }
            )
    return out, pd.DataFrame(excluded)


class UserTarget(BaseModel):
    """A user's own recorded disruption (YAML), added to the fit."""

    model_config = ConfigDict(extra="forbid")

    id: str
    material: str
    holder: str
    year: Annotated[int, Field(ge=2015, le=2024)]
    recorded_pct: Annotated[float, Field(gt=-100.0)]
    window_months: Annotated[int, Field(ge=1, le=600)]
    scenario: dict[str, Any]


class UserTargets(BaseModel):
    model_config = ConfigDict(extra="forbid")

    targets: list[UserTarget]


def load_user_targets(path: str | Path) -> list[Target]:
    """Read a YAML file of recorded moves (``targets:`` list; docs/scenarios.md)."""
    doc = load_yaml_model(path, UserTargets, "calibration events")
    return [
        Target(
            t.id,
            t.id,
            t.material,
            t.holder,
            t.year,
            t.recorded_pct,
            t.window_months,
            Scenario.model_validate(t.scenario),
            f"user file {path}",
        )
        for t in doc.targets
    ]


@dataclass(frozen=True)
class FitResult:
    """The fitted parameters, their range over the cross-validation folds, and the settings."""

    elasticity: float
    precaution: float
    buffer_months: float
    loss: float
    elasticity_folds: tuple[float, float]
    precaution_folds: tuple[float, float]
    buffer_months_folds: tuple[float, float]
    sourced_elasticities: dict[str, float]
    price_cap: float
    grid: dict[str, list[float]]
    loss_function: str = "sum over targets of (log(1 + simulated) - log(1 + recorded))^2"

    def to_dict(self) -> dict[str, object]:
        import dataclasses

        return dataclasses.asdict(self)


Theta = tuple[float, float, float]  # (elasticity without estimates, precaution, buffer months)
Evaluate = Callable[[Target, Theta], float]


@dataclass
class Evaluator:
    """Simulated move of a target for parameters theta (markets and events built once)."""

    ds: Dataset
    base: SimParams
    sourced: dict[str, float] = field(default_factory=dict)
    _markets: dict[tuple[str, int], Market] = field(default_factory=dict)
    _cache: dict[tuple[str, Theta], float] = field(default_factory=dict)

    def params(self, theta: Theta) -> SimParams:
        import dataclasses

        return dataclasses.replace(
            self.base,
            elasticity=theta[0],
            precaution=theta[1],
            buffer_months=theta[2],
            elasticities={**self.base.elasticities, **self.sourced},
        )

    def __call__(self, target: Target, theta: Theta) -> float:
        key = (target.id, theta)
        if key not in self._cache:
            self._cache[key] = self._run(target, theta)
        return self._cache[key]

    def _run(self, target: Target, theta: Theta) -> float:
        from critmat.sim.library import restrict_to_market
        from critmat.sim.run import simulate

        mk = (target.holder, target.year)
        if mk not in self._markets:
            self._markets[mk] = build_market(self.ds, target.holder, target.year)
        market = self._markets[mk]
        if target.material not in market.materials:
            return float("nan")
        p = self.params(theta)
        sc, _ = restrict_to_market(target.scenario, market)
        ev = compile_events(sc, market, p)
        res = simulate(
            market, ev, runs=1, seed=0, horizon=sc.horizon_months, params=p, keep_full_runs=1
        )
        return simulated_move(res.paths["price_row"][0], market, ev, target)


def simulated_move(price: np.ndarray, market: Market, ev: Any, target: Target) -> float:
    """Largest world price change (percent) within the target's window from its event start."""
    i = market.index(target.material)
    starts = [
        int(s) for s, m in zip(ev.start, ev.mat, strict=True) if m == i and isinstance(s, float)
    ]
    t0 = min(starts) if starts else 0
    path = price[i] / float(market.price0[i])
    win = path[t0 : t0 + target.window + 1]
    return float(100.0 * (win.max() - 1.0)) if win.size else float("nan")


def _loss(targets: Sequence[Target], evaluate: Evaluate, theta: Theta) -> float:
    err = [
        (np.log1p(evaluate(t, theta) / 100.0) - np.log1p(t.recorded_pct / 100.0)) ** 2
        for t in targets
    ]
    err = [e for e in err if np.isfinite(e)]
    return float(np.sum(err)) if err else float("inf")


def fit(
    targets: Sequence[Target], evaluate: Evaluate, grid: dict[str, tuple[float, ...]] = GRID
) -> tuple[Theta, float]:
    """The grid point of least loss over ``targets`` (and that loss)."""
    keys = ("elasticity", "precaution", "buffer_months")
    best: tuple[Theta, float] = ((grid[keys[0]][0], grid[keys[1]][0], grid[keys[2]][0]), np.inf)
    for e, k, b in itertools.product(*(grid[key] for key in keys)):
        theta: Theta = (e, k, b)
        loss = _loss(targets, evaluate, theta)
        if loss < best[1]:
            best = (theta, loss)
    return best


def leave_one_out(
    targets: Sequence[Target], evaluate: Evaluate, grid: dict[str, tuple[float, ...]] = GRID
) -> pd.DataFrame:
    """For each event: fit on the others, predict its targets out of sample."""
    rows = []
    for event in dict.fromkeys(t.event for t in targets):
        train = [t for t in targets if t.event != event]
        theta, loss = fit(train, evaluate, grid)
        for t in targets:
            if t.event == event:
                rows.append(
                    {
                        "event": event,
                        "id": t.id,
                        "loo_pct": evaluate(t, theta),
                        "loo_elasticity": theta[0],
                        "loo_precaution": theta[1],
                        "loo_buffer_months": theta[2],
                        "loo_train_loss": loss,
                    }
                )
    return pd.DataFrame(rows)


def sourced_elasticities(ds: Dataset) -> dict[str, float]:
    """Median short-run (else unspecified) literature demand elasticity per material."""
    from critmat.sim.elasticities import literature_ranges

    r = literature_ranges(ds)
    r = r[r["kind"] == "demand"]
    out: dict[str, float] = {}
    for mat, g in r.groupby("material"):
        pick = g[g["horizon"] == "short_run"]
        pick = pick if len(pick) else g[g["horizon"] == "unspecified"]
        if len(pick):
            out[str(mat)] = float(pick["median"].iloc[0])
    return out


def calibrate(
    ds: Dataset,
    *,
    holder: str | None = None,
    extra: Sequence[Target] = (),
    grid: dict[str, tuple[float, ...]] = GRID,
) -> tuple[pd.DataFrame, FitResult, pd.DataFrame]:
    """Fit on the library's recorded moves (and ``extra``), with leave-one-event-out predictions.

    Returns the table (target, recorded, fitted, out-of-sample), the parameters (fit and the
    range over the folds) and the recorded events left out with their reasons.
    """
    targets, excluded = library_targets(ds)
    if holder is not None:
        h = ds.resolve_holder(holder)
        targets = [
            Target(t.event, t.id, t.material, h, t.year, t.recorded_pct, t.window, t.scenario,
                   t.source)
            for t in targets
        ]  # fmt: skip
    targets = [*targets, *extra]
    if not targets:
        raise UnknownChoiceError("calibration target", "", list(LIBRARY_TARGETS))
    ev = Evaluator(ds, SimParams(price_cap=CALIBRATION_CAP), sourced_elasticities(ds))
    theta, loss = fit(targets, ev, grid)
    loo = leave_one_out(targets, ev, grid).set_index("id")
    table = pd.DataFrame(
        [
            {
                "event": t.event,
                "target": t.id,
                "material": t.material,
                "holder": t.holder,
                "year": t.year,
                "window_months": t.window,
                "recorded_pct": t.recorded_pct,
                "fitted_pct": ev(t, theta),
                "loo_pct": loo.loc[t.id, "loo_pct"],
                "elasticity_used": ev.sourced.get(t.material, theta[0]),
                "elasticity_source": "literature median"
                if t.material in ev.sourced
                else "calibrated",
                "source": t.source,
            }
            for t in targets
        ]
    )

    def span(col: str) -> tuple[float, float]:
        return float(loo[col].min()), float(loo[col].max())

    params = FitResult(
        theta[0],
        theta[1],
        theta[2],
        loss,
        span("loo_elasticity"),
        span("loo_precaution"),
        span("loo_buffer_months"),
        dict(ev.sourced),
        CALIBRATION_CAP,
        {k: list(v) for k, v in grid.items()},
    )
    return table, params, excluded
