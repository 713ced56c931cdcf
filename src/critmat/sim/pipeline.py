"""A scenario run assembled: the scenario resolved (file, library id or `stochastic`), its events
compiled with the stochastic generator's on the market, and simulated. The maths of one run; the
use cases around it are critmat.services.simulate and the planners."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from critmat.data.dataset import Dataset, InputError
from critmat.sim.events import EventTable, compile_events, concat
from critmat.sim.generator import stochastic_events
from critmat.sim.library import restrict_to_market, scenario_by_id
from critmat.sim.market import Market, SimParams, build_market
from critmat.sim.run import SimResult, simulate
from critmat.sim.scenario import Scenario, StochasticSpec, load_scenario
from critmat.sim.stockpile import StockpileSpec

__all__ = ["resolve_scenario", "run_scenario"]


def resolve_scenario(ds: Dataset, ref: str) -> Scenario:
    """A scenario from a YAML path, a library id (``GR-2023``) or ``stochastic``."""
    if ref == "stochastic":
        return Scenario(name="stochastic", description="random disruptions only", stochastic={})
    if Path(ref).suffix in (".yaml", ".yml") or Path(ref).exists():
        return load_scenario(ref)
    return scenario_by_id(ds, ref)


def build_events(
    ds: Dataset, scenario: Scenario, market: Market, params: SimParams
) -> tuple[EventTable, list[str]]:
    """Compile a scenario's events (and its stochastic part) for a market."""
    sc, dropped = restrict_to_market(scenario, market)
    if scenario.events and not sc.events and scenario.stochastic is None:
        raise InputError(
            f"scenario {scenario.name!r} touches nothing in the {market.holder} market: "
            + "; ".join(dropped)
        )
    ev = compile_events(sc, market, params)
    if scenario.stochastic is not None:
        spec = StochasticSpec.model_validate(scenario.stochastic)
        ev = concat(ev, stochastic_events(ds, market, spec, scenario.horizon_months))
    return ev, dropped


def run_scenario(
    ds: Dataset,
    scenario: Scenario,
    holder: str,
    *,
    year: int = 2023,
    runs: int = 1000,
    seed: int = 0,
    stockpile: StockpileSpec | None = None,
    params: SimParams | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Callable[[int], None] | None = None,
    store: Path | None = None,
) -> tuple[SimResult, list[str]]:
    """Build the holder's market, compile the scenario and simulate it; returns result and notes."""
    p = params or SimParams()
    market = build_market(ds, holder, year, params=p)
    ev, dropped = build_events(ds, scenario, market, p)
    sp = (stockpile or StockpileSpec()).arrays(market)
    res = simulate(
        market,
        ev,
        runs=runs,
        seed=seed,
        horizon=scenario.horizon_months,
        scenario=scenario.name,
        stockpile=sp,
        params=p,
        workers=workers,
        scheduler=scheduler,
        progress=progress,
        store=store,
    )
    return res, [*market.notes, *dropped]
