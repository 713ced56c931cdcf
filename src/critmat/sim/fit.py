"""Calibrating the price response against the recorded disruptions (``critmat calibrate``).

Targets are recorded price moves of the events table: the material, the market (holder and
base year of the trade data) and the move within a window of months. Each is replayed with its
library scenario (one run: the library's events have fixed start, duration and severity) and the
simulated move is the largest world price ratio in the window from the event's start.

Two kinds of target: the ``peak`` (largest world price ratio in the window) and the ``level``
(the ratio at the window's end: what a sustained restriction does to the price).

Free parameters (``Theta``): the demand elasticity of the materials without a literature estimate,
the precautionary-demand strength, the world stocks that absorb a loss and the months for the
long-run response (the literature's long-run supply and demand elasticities, pooled) to take
over; a material with literature estimates keeps the median of its short-run (else unspecified)
demand estimates. Loss function (stated)::

    loss(theta) = sum_targets (log(1 + simulated) - log(1 + recorded))^2

minimised over a grid, every grid point of a target simulated in one vectorised call (the grid
point of each run is a per-run parameter factor of the engine). Leave-one-event-out
cross-validation fits on all events but one and predicts the held-out one; the fit function is
only ever given the training targets.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from critmat.data.dataset import Dataset, UnknownChoiceError
from critmat.data.yamlfile import load_yaml_model
from critmat.sim.elasticities import literature_ranges, long_run_response
from critmat.sim.engine import Stockpile, simulate_chunk
from critmat.sim.events import compile_events
from critmat.sim.library import restrict_to_market, scenario_by_id
from critmat.sim.market import Market, SimParams, build_market
from critmat.sim.run import block_draws
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
#: Sustained moves: (event id of the record, material, holder, year, library scenario replayed,
#: months after the scenario's start, recorded change in percent, where the numbers come from).
LEVEL_TARGETS: list[tuple[str, str, str, int, str, int, float, str]] = [
    (
        "REE-2010b",
        "dysprosium",
        "JPN",
        2015,
        "REE-2010",
        36,
        round(100.0 * (800.0 / 150.0 - 1.0), 1),
        "events REE-2010b: Dy ~150 USD/kg at the start of 2010 (value_before) and 'later fell "
        "to ... ~800 (Dy) by 2013' (notes); mid-2013 = 36 months after 2010-07",
    ),
    (
        "GAGE-2024",
        "gallium",
        "EU27",
        2023,
        "GAGE-2023",
        22,
        150.0,
        "events GAGE-2024: Rotterdam Ga price from the pre-control price of July 2023 to May "
        "2025 (+150%, 22 months), i.e. the level 22 months into the GAGE-2023 licensing",
    ),
]
#: Peak moves read from two reported price points of the same market (``event_prices``): (event
#: id, material, holder, year, library scenario replayed, window months from its start, market,
#: the dates before and after, where the numbers come from).
PRICE_POINT_TARGETS: list[tuple[str, str, str, int, str, int, str, str, str, str]] = [
    (
        "SB-2024",
        "antimony",
        "EU27",
        2023,
        "SB-2024",
        4,
        "Rotterdam",
        "2024-08-15",
        "2024-12-31",
        "event_prices: antimony metal (ANT-LON) Rotterdam on the day licensing was announced "
        "and at the end of 2024 (the midpoint of the printed range), four months after the "
        "licences took effect (the December ban on the USA did not touch Europe's market)",
    ),
]
#: recorded events the fit cannot use, and why (shown in the calibration table).
EXCLUDED: dict[str, str] = {
    "NI-ID-2014": "no pre-ban trade year: the extract starts in 2015, after the ban, when "
    "Indonesia exported no ore",
    "GR-2023": "the record is an export volume (-94%), an input of the scenario, not a price",
}
#: The grid: demand elasticity of materials without estimates x precautionary strength x world
#: stocks that absorb a loss (months of world supply) x months for the long-run response.
GRID: dict[str, tuple[float, ...]] = {
    "elasticity": tuple(float(-v) for v in np.round(np.geomspace(0.01, 1.0, 15), 4)),
    # the anticipation effect is strong per unit: with |eps| ~ 0.04 a strength of 0.02 already
    # lifts the price ~1.7x on a full loss, so the grid is dense near zero
    "precaution": (0.0, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1.0),
    # a factor on each material's market stocks (market_response; 1: as shipped)
    "buffer_months": (0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0),
    "long_run_months": (6.0, 12.0, 24.0, 48.0, 96.0, 192.0, 384.0),
}
KEYS: tuple[str, ...] = ("elasticity", "precaution", "buffer_months", "long_run_months")
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
    kind: str = "peak"  # "peak": largest move in the window; "level": the move at its end


def _parent(ev: pd.DataFrame, event_id: str) -> str:
    row = ev.loc[event_id]
    return str(row["parent_event"]) or event_id


def library_targets(ds: Dataset) -> tuple[list[Target], pd.DataFrame]:
    """The recorded price moves the fit uses, and the recorded events it leaves out (why)."""

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
    for event_id, mat, holder, year, replay, months, pct, where in LEVEL_TARGETS:
        if event_id not in ev.index or replay not in ev.index:
            continue
        rec_l = ev.loc[event_id]
        out.append(
            Target(
                _parent(ev, replay),
                f"{event_id}:{mat}:level",
                mat,
                holder,
                year,
                pct,
                months,
                scenario_by_id(ds, replay),
                f"{rec_l['metric']!s}; {where}; {rec_l['source']!s} ({rec_l['status']!s})",
                "level",
            )
        )
    prices = ds.table("event_prices")
    for event_id, mat, holder, year, replay, window, market, d0, d1, where in PRICE_POINT_TARGETS:
        pts = prices[(prices["material"] == mat) & (prices["market"] == market)]
        pts = pts.set_index("date")
        if replay not in ev.index or not {d0, d1} <= set(pts.index):
            continue
        mid = (pts["value_low"] + pts["value_high"]) / 2.0
        pct = round(100.0 * (float(mid[d1]) / float(mid[d0]) - 1.0), 1)
        out.append(
            Target(
                _parent(ev, replay),
                f"{event_id}:{mat}",
                mat,
                holder,
                year,
                pct,
                window,
                scenario_by_id(ds, replay),
                f"{where}; {pts.loc[d1, 'source']!s} ({pts.loc[d1, 'status']!s})",
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

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    id: str
    material: str
    holder: str
    year: Annotated[int, Field(ge=2015, le=2024)]
    recorded_pct: Annotated[float, Field(gt=-100.0)]
    window_months: Annotated[int, Field(ge=1, le=600)]
    kind: Literal["peak", "level"] = "peak"
    scenario: dict[str, Any]


class UserTargets(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

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
            t.kind,
        )
        for t in doc.targets
    ]


@dataclass(frozen=True)
class FitResult:
    """The fitted parameters, their range over the cross-validation folds, and the settings."""

    elasticity: float
    precaution: float
    buffer_months: float
    long_run_months: float
    loss: float
    elasticity_folds: tuple[float, float]
    precaution_folds: tuple[float, float]
    buffer_months_folds: tuple[float, float]
    long_run_months_folds: tuple[float, float]
    long_run_response: float
    long_run_source: str
    sourced_elasticities: dict[str, float]
    price_cap: float
    grid: dict[str, list[float]]
    loss_function: str = "sum over targets of (log(1 + simulated) - log(1 + recorded))^2"

    def to_dict(self) -> dict[str, object]:
        import dataclasses

        return dataclasses.asdict(self)


#: (elasticity without estimates, precaution, buffer months, long-run months)
Theta = tuple[float, ...]
Evaluate = Callable[[Target, Theta], float]


@dataclass
class Evaluator:
    """Simulated move of a target for parameters theta (markets and events built once).

    The first call for a target simulates every point of ``grid`` at once: one run per point,
    the point's values given to the engine as per-run parameter factors (the library's events
    are fixed, so every run sees the same events); a theta off the grid is simulated alone.
    """

    ds: Dataset
    base: SimParams
    sourced: dict[str, float] = field(default_factory=dict)
    grid: dict[str, tuple[float, ...]] = field(default_factory=lambda: dict(GRID))
    _markets: dict[tuple[str, int], Market] = field(default_factory=dict)
    _cache: dict[tuple[str, Theta], float] = field(default_factory=dict)

    def params(self, theta: Theta) -> SimParams:
        import dataclasses

        return dataclasses.replace(
            self.base,
            elasticity=theta[0],
            precaution=theta[1],
            buffer_months=theta[2],
            long_run_months=theta[3],
            elasticities={**self.base.elasticities, **self.sourced},
        )

    def __call__(self, target: Target, theta: Theta) -> float:
        key = (target.id, tuple(theta))
        if key not in self._cache:
            points = list(itertools.product(*(self.grid[k] for k in KEYS)))
            if tuple(theta) in set(points) and (target.id, points[0]) not in self._cache:
                self._run(target, points)
            if key not in self._cache:
                self._run(target, [tuple(theta)])
        return self._cache[key]

    def _run(self, target: Target, thetas: list[Theta], chunk: int = 1024) -> None:
        import dataclasses

        mk = (target.holder, target.year)
        if mk not in self._markets:
            self._markets[mk] = build_market(self.ds, target.holder, target.year)
        market = self._markets[mk]
        if target.material not in market.materials:
            self._cache.update({(target.id, th): float("nan") for th in thetas})
            return
        # unit base values: each run's factor is its grid value (the sourced elasticity of a
        # material with literature estimates stays as it is: factor 1)
        unit = dataclasses.replace(
            # buffer_months 0: each material's own market stocks (market_response), the run's
            # factor multiplying them
            self.params((-1.0, 1.0, 0.0, 1.0)),
            elasticities={m: v for m, v in {**self.base.elasticities, **self.sourced}.items()},
        )
        sourced = target.material in unit.elasticities
        sc, _ = restrict_to_market(target.scenario, market)
        ev = compile_events(sc, market, unit)
        empty = Stockpile.empty(market.n_materials)
        for i in range(0, len(thetas), chunk):
            part = np.array(thetas[i : i + chunk], np.float64)
            n = len(part)
            draws = block_draws(ev, seed=0, block=0, n=n, horizon=sc.horizon_months)
            f = {
                "elasticity": np.ones(n) if sourced else -part[:, 0],
                "precaution": part[:, 1],
                "buffer_months": part[:, 2],
                "long_run_months": part[:, 3],
            }
            draws = dataclasses.replace(
                draws, factors={k: v.astype(np.float32) for k, v in f.items()}
            )
            out = simulate_chunk(market, unit, ev, draws, empty, sc.horizon_months, True)
            for j in range(n):
                th = tuple(float(x) for x in part[j])
                self._cache[target.id, th] = simulated_move(
                    out["full_price_row"][j], market, ev, target
                )


def simulated_move(price: np.ndarray, market: Market, ev: Any, target: Target) -> float:
    """World price change (percent) from the target's event start: the largest within the
    window (``peak``) or the one at the window's end (``level``)."""
    i = market.index(target.material)
    starts = [
        int(s) for s, m in zip(ev.start, ev.mat, strict=True) if m == i and isinstance(s, float)
    ]
    t0 = min(starts) if starts else 0
    path = price[i] / float(market.price0[i])
    if target.kind == "level":
        t = t0 + target.window
        return float(100.0 * (path[t] - 1.0)) if t < path.size else float("nan")
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
    keys = [k for k in KEYS if k in grid]
    best: tuple[Theta, float] = (tuple(grid[k][0] for k in keys), np.inf)
    for point in itertools.product(*(grid[key] for key in keys)):
        theta: Theta = tuple(float(x) for x in point)
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
                        "loo_long_run_months": theta[3] if len(theta) > 3 else float("nan"),
                        "loo_train_loss": loss,
                    }
                )
    return pd.DataFrame(rows)


def sourced_elasticities(ds: Dataset) -> dict[str, float]:
    """Median short-run (else unspecified) literature demand elasticity per material."""

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

    lr, lr_src = long_run_response(ds)
    base = SimParams(price_cap=CALIBRATION_CAP, long_run_response=lr)
    ev = Evaluator(ds, base, sourced_elasticities(ds), dict(grid))
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
                "kind": t.kind,
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
        theta[3],
        loss,
        span("loo_elasticity"),
        span("loo_precaution"),
        span("loo_buffer_months"),
        span("loo_long_run_months"),
        lr,
        lr_src,
        dict(ev.sourced),
        CALIBRATION_CAP,
        {k: list(v) for k, v in grid.items()},
    )
    return table, params, excluded
