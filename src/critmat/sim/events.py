"""Events as arrays: a static table of event slots and per-run random draws.

Every event of a scenario (and every channel of the stochastic generator) is a *slot* j. The
static part (kind, material, country, stage, shape parameters) is the same for all runs; start,
duration and severity are drawn per run from the slot's specification. Draws come from one
``numpy.random.Generator`` per block of runs (see :mod:`critmat.sim.run`), in a fixed order, so a
block's draws do not depend on how blocks are grouped into chunks or workers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from critmat.data.dataset import UnknownChoiceError
from critmat.sim.market import STAGES, Market, SimParams
from critmat.sim.scenario import (
    Chokepoint,
    DemandShock,
    Distribution,
    Embargo,
    ExportRestriction,
    Outage,
    Scenario,
    Withholding,
)

__all__ = [
    "KINDS",
    "SLOT_FIELDS",
    "EventTable",
    "add_slot",
    "build_table",
    "compile_events",
    "concat",
    "draw_spec",
    "new_columns",
]

KINDS = ("export_restriction", "embargo", "chokepoint", "outage", "demand_shock", "withholding")
Spec = float | Distribution | tuple[str, float, float]  # tuple: ("exp_start", rate, horizon) etc.


@dataclass
class EventTable:
    """Static description of J event slots."""

    kind: npt.NDArray[np.int8]
    mat: npt.NDArray[np.int32]
    country: npt.NDArray[np.int32]  # -1: none
    stage: npt.NDArray[np.int8]
    direct: npt.NDArray[np.float32]  # 1 if the holder's own imports are hit
    world: npt.NDArray[np.float32]  # factor on world supply loss (price effect)
    lag: npt.NDArray[np.int32]
    quota: npt.NDArray[np.float32]
    fr_months: npt.NDArray[np.int32]
    fr: npt.NDArray[np.float32]
    route_share: npt.NDArray[np.float32]
    delay: npt.NDArray[np.int32]
    loss: npt.NDArray[np.float32]
    demand_scale: npt.NDArray[np.float32] = field(
        default_factory=lambda: np.zeros(0, np.float32)
    )  # share of the material's demand a demand shock applies to (its sector; 1 = all)
    crisis: npt.NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, bool))
    crisis_rate: float = 0.0  # per month: one crisis may start several crisis-member slots
    crisis_join: float = 0.0  # probability that a member slot joins the crisis
    start: list[Spec] = field(default_factory=list)
    duration: list[Spec] = field(default_factory=list)
    severity: list[Spec] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        return int(self.kind.shape[0])


#: Static per-slot fields and their defaults (an unused field keeps its default).
SLOT_DEFAULTS: dict[str, float] = {
    "kind": 0,
    "mat": 0,
    "country": -1,
    "stage": 1,
    "direct": 1.0,
    "world": 1.0,
    "lag": 0,
    "quota": 0.0,
    "fr_months": 0,
    "fr": 0.0,
    "route_share": 0.0,
    "delay": 0,
    "loss": 0.0,
}
SLOT_FIELDS = tuple(SLOT_DEFAULTS)


def new_columns() -> dict[str, list[object]]:
    """Empty per-field lists for building a table slot by slot."""
    return {k: [] for k in SLOT_FIELDS}


def add_slot(cols: dict[str, list[object]], **values: float) -> None:
    """Append one slot; fields not given take their :data:`SLOT_DEFAULTS`."""
    unknown = set(values) - set(SLOT_FIELDS)
    if unknown:
        raise KeyError(f"unknown slot fields: {sorted(unknown)}")
    for k in SLOT_FIELDS:
        cols[k].append(values.get(k, SLOT_DEFAULTS[k]))


def build_table(
    cols: dict[str, list[object]],
    start: Sequence[Spec],
    dur: Sequence[Spec],
    sev: Sequence[Spec],
    labels: list[str],
) -> EventTable:
    dt = {
        "kind": np.int8,
        "mat": np.int32,
        "country": np.int32,
        "stage": np.int8,
        "lag": np.int32,
        "fr_months": np.int32,
        "delay": np.int32,
    }
    arrays = {k: np.asarray(v, dtype=dt.get(k, np.float32)) for k, v in cols.items()}
    crisis = np.zeros(len(labels), bool)
    return EventTable(
        **arrays,  # type: ignore[arg-type]
        demand_scale=np.ones(len(labels), np.float32),
        crisis=crisis,
        start=list(start),
        duration=list(dur),
        severity=list(sev),
        labels=labels,
    )


def compile_events(scenario: Scenario, market: Market, params: SimParams) -> EventTable:
    """Turn a scenario's events into slots for ``market``.

    Raises
    ------
    UnknownChoiceError
        For an event naming a material outside the market or an unknown country.
    """
    cols = new_columns()
    start: list[Spec] = []
    dur: list[Spec] = []
    sev: list[Spec] = []
    labels: list[str] = []
    scales: list[float] = []
    for i, ev in enumerate(scenario.events):
        m = market.index(ev.material)
        country = getattr(ev, "country", None)
        c = market.country_index(country) if country else -1
        if country and c < 0:
            raise UnknownChoiceError(
                f"country in events[{i}] (no trade or production with it)",
                country,
                market.countries,
            )
        stage = STAGES.index(getattr(ev, "stage", "refining"))
        direct, world, scale = 1.0, 1.0, 1.0
        row: dict[str, float] = {}
        if isinstance(ev, ExportRestriction):
            targeted = bool(ev.targets)
            direct = 1.0 if (not targeted or market.holder in ev.targets) else 0.0
            world = params.targeted_world_factor if targeted else 1.0
            row.update(
                lag=ev.licensing_lag_months,
                quota=ev.quota,
                fr_months=ev.frontrun_months,
                fr=ev.frontrun,
            )
        elif isinstance(ev, Embargo):
            direct = 1.0 if ev.target == market.holder else 0.0
            # the share of the target's diverted imports that finds no other seller within
            # the horizon (as for a targeted restriction): it is lost to the world market
            world = params.targeted_world_factor
        elif isinstance(ev, Chokepoint):
            world = 0.0
            row.update(route_share=ev.route_share, delay=ev.delay_months, loss=ev.loss)
        elif isinstance(ev, DemandShock):
            direct, world = 0.0, 0.0
            if ev.sector != "all":
                if ev.sector not in market.sectors:
                    raise UnknownChoiceError(
                        f"sector in events[{i}]", ev.sector, ["all", *market.sectors]
                    )
                scale = float(market.sector_share[m, market.sectors.index(ev.sector)])
        elif isinstance(ev, Outage | Withholding):
            pass
        add_slot(
            cols,
            kind=KINDS.index(ev.type),
            mat=m,
            country=c,
            stage=stage,
            direct=direct,
            world=world,
            **row,
        )
        start.append(float(ev.start))
        dur.append(ev.duration if isinstance(ev.duration, Distribution) else float(ev.duration))
        sev.append(ev.severity if isinstance(ev.severity, Distribution) else float(ev.severity))
        labels.append(ev.label or f"{ev.type} {country or ''} {ev.material}".strip())
        scales.append(scale)
    table = build_table(cols, start, dur, sev, labels)
    table.demand_scale = np.asarray(scales, np.float32)
    return table


def concat(a: EventTable, b: EventTable) -> EventTable:
    """Slots of ``a`` followed by slots of ``b``."""
    arrays = {k: np.concatenate([getattr(a, k), getattr(b, k)]) for k in SLOT_FIELDS}
    return EventTable(
        **arrays,
        demand_scale=np.concatenate([a.demand_scale, b.demand_scale]),
        crisis=np.concatenate([a.crisis, b.crisis]),
        crisis_rate=max(a.crisis_rate, b.crisis_rate),
        crisis_join=max(a.crisis_join, b.crisis_join),
        start=a.start + b.start,
        duration=a.duration + b.duration,
        severity=a.severity + b.severity,
        labels=a.labels + b.labels,
    )


def draw_spec(spec: Spec, rng: np.random.Generator, n: int) -> npt.NDArray[np.float64]:
    """``n`` draws of one specification: a fixed number, a distribution, or a generator rule."""
    if isinstance(spec, float | int):
        return np.full(n, float(spec))
    if isinstance(spec, tuple):
        rule, a, b = spec
        if rule == "exp_start":  # first arrival of a Poisson process, rate a per month, cut at b
            t = rng.exponential(1.0 / a, n) if a > 0 else np.full(n, np.inf)
            return np.minimum(t, b)
        raise ValueError(f"unknown draw rule {rule}")
    if spec.dist == "uniform":
        return rng.uniform(spec.low or 0.0, spec.high or 0.0, n)
    if spec.dist == "triangular":
        lo, hi = spec.low or 0.0, spec.high or 0.0
        if hi == lo:
            return np.full(n, lo)
        return rng.triangular(lo, spec.mode if spec.mode is not None else lo, hi, n)
    return (spec.median or 1.0) * np.exp((spec.sigma or 0.0) * rng.standard_normal(n))
