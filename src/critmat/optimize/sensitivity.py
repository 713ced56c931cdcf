"""How sure is the plan: a tornado over the major assumptions and ranges on the tonnes.

- **Tornado** (:func:`tornado`): each assumption is set to its low and its high value in turn, the
  scenarios are re-simulated where the assumption acts inside the simulator (price elasticity,
  event rates, horizon), the stock is re-optimised and evaluated on fresh scenarios with the full
  accounting. Rows: assumption, setting, value, total cost, spending, and the tonnes per material.
- **Ranges on the tonnes** (:func:`tonnes_ranges`): the optimisation is repeated on bootstrap
  resamples of the scenarios (rows of Q and of the end values, with replacement), each with the
  loss per tonne and the holding cost drawn from their assumption ranges; the 5th, 50th and 95th
  percentiles of each material's tonnes are reported.

Re-simulations use the plan's own seeds (common random numbers) and the bootstrap draws from a
stream derived from the plan's seed, so the result is the same for the same seed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from critmat.data.dataset import Dataset
from critmat.optimize.problem import F64, Problem
from critmat.sim.elasticities import pooled_range
from critmat.sim.market import Market, SimParams
from critmat.sim.run import SimResult
from critmat.sim.scenario import Scenario, StochasticSpec
from critmat.streams import Streams

__all__ = ["ASSUMPTIONS", "Assumption", "assumptions_from_data", "tonnes_ranges", "tornado"]


@dataclass(frozen=True)
class Assumption:
    """One assumption of the tornado: its base, low and high values and where it acts."""

    name: str
    low: float
    high: float
    where: str  # "sim" (re-simulate) or "problem" (re-optimise only)
    unit: str
    source: str


#: The major assumptions and their ranges (all labelled assumptions; docs/methods.md, 7.5).
ASSUMPTIONS: tuple[Assumption, ...] = (
    Assumption("price elasticity of demand", -0.05, -0.3, "sim", "",
               "short-run range of the metals literature (metal_price_elasticities: nickel, "
               "cobalt, copper estimates mostly -0.05 to -0.3)"),
    Assumption("loss per tonne unmet", 0.01, 0.10, "problem", "dependency share",
               "the share of the using sectors' value added lost per share of the material "
               "missing (docs/methods.md 6.7) at the ends of its range"),
    Assumption("event rates", 0.5, 2.0, "sim", "x base",
               "the stochastic generator's restriction and crisis rates halved and doubled"),
    Assumption("holding cost", 0.5, 1.5, "problem", "x base",
               "storage, insurance and financing halved and raised by half"),
    Assumption("horizon", 36.0, 84.0, "sim", "months", "three and seven years instead of five"),
)  # fmt: skip


def assumptions_from_data(ds: Dataset) -> list[Assumption]:
    """:data:`ASSUMPTIONS` with the elasticity range computed from the shipped literature
    estimates (interquartile range of the pooled short-run demand elasticities)."""

    r = pooled_range(ds, "demand", "short_run")
    if not r["n"]:
        return list(ASSUMPTIONS)
    mats = ", ".join(
        sorted(set(ds.table("elasticity_estimates").query("kind == 'demand'")["material"]))
    )
    el = Assumption(
        "price elasticity of demand",
        round(r["p75"], 3),
        round(r["p25"], 3),
        "sim",
        "",
        f"interquartile range of {int(r['n'])} short-run demand estimates ({mats}; "
        "elasticity_estimates, GLOMBO / Dahl MEDS)",
    )
    return [el if a.name == el.name else a for a in ASSUMPTIONS]


#: Simulate (scenario, params, seed, runs) -> result on the plan's market; supplied by the plan.
Simulator = Callable[[Scenario, SimParams, int, int], SimResult]
#: Build the sizing problem for a simulation result with a loss multiplier and holding scale.
ProblemBuilder = Callable[[SimResult, float, float], Problem]


def _variant(
    a: Assumption, value: float, scenario: Scenario, params: SimParams
) -> tuple[Scenario, SimParams, float, float, str]:
    """Scenario, parameters, loss multiplier and holding scale for one setting."""
    loss, hold, note = params.loss_dependency, 1.0, ""
    if a.name == "price elasticity of demand":
        params = dataclasses.replace(params, elasticity=value)
    elif a.name == "loss per tonne unmet":
        loss = value
    elif a.name == "holding cost":
        hold = value
    elif a.name == "horizon":
        scenario = scenario.model_copy(update={"horizon_months": int(value)})
    elif a.name == "event rates":
        if scenario.stochastic is None:
            note = "the scenario has no random events: event rates do not apply"
        else:
            spec = StochasticSpec.model_validate(scenario.stochastic)
            spec = spec.model_copy(
                update={
                    "base_rate": spec.base_rate * value,
                    "crisis_rate": spec.crisis_rate * value,
                }
            )
            scenario = scenario.model_copy(update={"stochastic": spec.model_dump()})
    return scenario, params, loss, hold, note


def tornado(
    market: Market,
    scenario: Scenario,
    params: SimParams,
    simulate: Simulator,
    build: ProblemBuilder,
    solve: Callable[[Problem], F64],
    *,
    base_opt: SimResult,
    base_fresh: SimResult,
    seeds: tuple[int, int],
    runs: int,
    eval_runs: int,
    base_total: float,
    assumptions: Sequence[Assumption] = ASSUMPTIONS,
) -> pd.DataFrame:
    """One row per assumption and setting: the re-optimised plan and its evaluated total cost.

    Common random numbers: an assumption that acts in the simulator is re-simulated with the
    plan's own seeds (``seeds`` = optimisation, evaluation), and one that acts only on the
    sizing problem reuses the plan's simulations, so a difference comes from the assumption, not
    from sampling noise.
    """
    rows = []
    for a in assumptions:
        for setting, value in (("low", a.low), ("high", a.high)):
            sc, pr, loss, hold, note = _variant(a, value, scenario, params)
            if note:
                rows.append({"assumption": a.name, "setting": setting, "value": value,
                             "unit": a.unit, "note": note})  # fmt: skip
                continue
            if a.where == "sim":
                opt = simulate(sc, pr, seeds[0], runs)
                fresh = simulate(sc, pr, seeds[1], eval_runs)
            else:
                opt, fresh = base_opt, base_fresh
            x = solve(build(opt, loss, hold))
            terms = build(fresh, loss, hold).objective(x)
            rows.append(
                {
                    "assumption": a.name,
                    "setting": setting,
                    "value": value,
                    "unit": a.unit,
                    "total_cost_usd": terms["total_cost"],
                    "delta_total_cost_usd": terms["total_cost"] - base_total,
                    "spent_usd": terms["acquisition"],
                    "expected_loss_usd": terms["expected_loss"],
                    "note": a.source,
                    **{f"t_{m}": float(v) for m, v in zip(market.materials, x, strict=True)},
                }
            )
    return pd.DataFrame(rows)


def tonnes_ranges(
    prob: Problem,
    solve: Callable[[Problem], F64],
    *,
    seed: int,
    replicates: int = 200,
    loss_range: tuple[float, float] = (0.5, 2.0),
    holding_range: tuple[float, float] = (0.5, 1.5),
) -> pd.DataFrame:
    """Percentiles of each material's optimal tonnes over bootstrap resamples of the scenarios,
    each with the loss per tonne scaled by a log-uniform draw from ``loss_range`` and the holding
    cost by a uniform draw from ``holding_range``.
    """
    rng = Streams(seed).generator("plan_sensitivity")
    s_n = prob.n_scenarios
    xs = np.empty((replicates, prob.n_materials))
    for b in range(replicates):
        idx = rng.integers(0, s_n, s_n)
        f_loss = float(np.exp(rng.uniform(np.log(loss_range[0]), np.log(loss_range[1]))))
        f_hold = rng.uniform(*holding_range)
        pb = dataclasses.replace(
            prob,
            shortfall=prob.shortfall[idx],
            end_value=prob.end_value[idx],
            value_lost=prob.value_lost * f_loss,
            holding=prob.holding * f_hold,
        )
        xs[b] = solve(pb)
    q = np.percentile(xs, [5, 50, 95], axis=0)
    return pd.DataFrame(
        {
            "material": prob.materials,
            "p05_t": q[0],
            "p50_t": q[1],
            "p95_t": q[2],
            "replicates": replicates,
        }
    )
