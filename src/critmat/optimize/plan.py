"""The full planning run: assess -> simulate -> optimise -> evaluate (``critmat plan``).

Every figure of the result carries where it came from: the dataset (holder, base year), the
scenario set (name, runs, seed) and the configuration (costs, caps, floors), recorded in
``PlanResult.provenance``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator

from critmat.data.catalogue import MATERIALS, STORAGE_CLASSES
from critmat.data.dataset import Dataset
from critmat.data.yamlfile import load_yaml_model
from critmat.errors import InfeasibleRequestError
from critmat.optimize.cvar import solve_cvar_cuts
from critmat.optimize.evaluate import GapEstimate, saa_gap, total_cost
from critmat.optimize.lp import solve_lp
from critmat.optimize.marginal import solve_marginal
from critmat.optimize.plan_tables import (
    OTHER_CLASS,
    composition_table,
    provenance,
    storage_classes,
)
from critmat.optimize.problem import F64, Problem
from critmat.optimize.rules import RULES, rule_scope, rule_stock
from critmat.optimize.sensitivity import assumptions_from_data, tonnes_ranges, tornado
from critmat.risk.assess import assess
from critmat.sim.elasticities import default_uncertainty
from critmat.sim.engine import Stockpile
from critmat.sim.loss import LOSS_DEPENDENCY_RANGE, loss_per_tonne
from critmat.sim.market import Market, SimParams, build_market
from critmat.sim.pipeline import build_events, resolve_scenario
from critmat.sim.run import SimResult, simulate
from critmat.sim.scenario import Scenario
from critmat.sim.stockpile import MAX_T
from critmat.streams import derive_seed

__all__ = ["PlanConfig", "PlanResult", "load_plan_config", "run_plan"]

Share = Annotated[float, Field(ge=0.0, le=1.0)]


class PlanConfig(BaseModel):
    """Planning inputs; every default is documented in docs/methods.md ("Decide")."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    year: int = 2023
    scenario: str = "stochastic"
    runs: Annotated[int, Field(ge=10, le=1_000_000)] = 2000
    eval_runs: Annotated[int, Field(ge=10, le=1_000_000)] = 2000
    batches: Annotated[int, Field(ge=2, le=50)] = 5
    seed: int = 0
    risk: Literal["expectation", "cvar"] = "expectation"
    alpha: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.95
    storage_cost_share: Share = 0.01
    insurance_share: Share = 0.005
    financing_rate: Share = 0.04
    cap_share: Annotated[float, Field(gt=0.0, le=1.0)] = 0.10
    floors_t: dict[str, Annotated[float, Field(ge=0.0, le=MAX_T)]] = Field(default_factory=dict)
    capacity_t: dict[str, Annotated[float, Field(ge=0.0, le=MAX_T)]] = Field(default_factory=dict)
    frontier: list[Annotated[float, Field(ge=0.0, le=100.0)]] = Field(
        default_factory=lambda: [0.0, 0.1, 0.25, 0.5, 1.0, 1.5, 2.0], min_length=1
    )
    max_release_share: Share = 0.5
    buy_spread_share: Share = 0.02
    sell_spread_share: Share = 0.05
    degradation_share_per_year: Share = 0.005
    residual_value: bool = True
    residual_price: Literal["base", "scenario"] = "base"
    #: draw the uncertain parameters per run (docs/methods.md 6.4); the default since issue 28
    parameter_uncertainty: bool = True
    #: per material: factor on the holder's demand (``critmat plan --forecast``: the projected
    #: demand over the horizon relative to the base year, critmat.services.forecast)
    demand_growth: dict[str, Annotated[float, Field(gt=0.0, le=100.0)]] = Field(
        default_factory=dict
    )
    #: per material: factor on the base price (a price forecast's first years, relative to the
    #: last recorded year)
    price_factor: dict[str, Annotated[float, Field(gt=0.0, le=100.0)]] = Field(default_factory=dict)
    #: per material: the early-warning multiplier of the random disruptions' rates
    event_rate_multiplier: dict[str, Annotated[float, Field(ge=0.0, le=100.0)]] = Field(
        default_factory=dict
    )

    @field_validator("floors_t")
    @classmethod
    def _known_materials(cls, v: dict[str, float]) -> dict[str, float]:

        unknown = sorted(set(v) - {m.id for m in MATERIALS})
        if unknown:
            raise ValueError(f"unknown material(s) {', '.join(unknown)}; use critmat material ids")
        return v

    @field_validator("capacity_t")
    @classmethod
    def _known_classes(cls, v: dict[str, float]) -> dict[str, float]:

        known = [*STORAGE_CLASSES, OTHER_CLASS]
        unknown = sorted(set(v) - set(known))
        if unknown:
            raise ValueError(
                f"unknown storage class(es) {', '.join(unknown)}; classes: {', '.join(known)}"
            )
        return v


def load_plan_config(path: str | Path | None) -> PlanConfig:
    """Read a plan YAML file (``None``: defaults)."""
    if path is None:
        return PlanConfig()
    return load_yaml_model(path, PlanConfig, "plan config", empty_ok=True)


@dataclass
class PlanResult:
    """Everything the report shows."""

    holder: str
    budget: float
    config: PlanConfig
    market: Market
    assessment: pd.DataFrame
    composition: pd.DataFrame
    comparison: pd.DataFrame
    frontier: pd.DataFrame
    gap: GapEstimate | None
    sim_no_stock: SimResult
    sim_with_stock: SimResult
    timings: dict[str, float] = field(default_factory=dict)
    provenance: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    sensitivity: pd.DataFrame | None = None  # tornado rows (critmat.optimize.sensitivity)
    tonnes_ranges: pd.DataFrame | None = None  # bootstrap percentiles of the tonnes
    #: tonnes of each material per compared plan (rows: plan, columns: materials): the stocks
    #: behind every figure of the comparison table, so charts show the same numbers
    plan_stocks: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: the one-screen summary (critmat.services.plan.plan_summary)
    summary: list[str] = field(default_factory=list)
    #: decisions beyond the sizing (critmat plan --policy/--schedule/--coalition/--options):
    #: section title -> (tables by name, notes), filled by critmat.services.plan
    extras: dict[str, tuple[dict[str, pd.DataFrame], list[str]]] = field(default_factory=dict)


def _problem(
    market: Market,
    sim: SimResult,
    budget: float,
    cfg: PlanConfig,
    classes: list[str],
    params: SimParams,
) -> Problem:
    """The sizing problem on a simulation's scenarios, with the full accounting (docs/methods.md,
    "Decide"): holding over the scenario's horizon, the purchase spread, and the worth of the
    stock left at the end, net of the sale spread and degradation: at the base price by default
    (``residual_price: scenario`` uses each scenario's final price; ``residual_value: false``
    values it at zero, the earlier model)."""
    price = market.price0.astype(np.float64)
    years = sim.horizon / 12.0
    hold = price * (cfg.storage_cost_share + cfg.insurance_share + cfg.financing_rate) * years
    cap = np.where(market.world_exports_t > 0, cfg.cap_share * market.world_exports_t, np.inf)
    floor = np.array([cfg.floors_t.get(m, 0.0) for m in market.materials])
    q = sim.aggregates["shortfall"].astype(np.float64)
    if cfg.residual_value:
        kept = (1.0 - cfg.sell_spread_share) * (1.0 - cfg.degradation_share_per_year) ** years
        ratio = (
            sim.aggregates["final_price_ratio"].astype(np.float64)
            if cfg.residual_price == "scenario"
            else np.ones_like(q)
        )
        end = ratio * price[None, :] * kept
    else:
        end = np.zeros_like(q)
    return Problem(
        materials=list(market.materials),
        shortfall=q,
        price=price,
        value_lost=loss_per_tonne(market, params),
        holding=hold,
        budget=budget,
        floor=floor,
        cap=cap.astype(np.float64),
        storage_class=classes,
        capacity=dict(cfg.capacity_t),
        risk=cfg.risk,
        alpha=cfg.alpha,
        end_value=end,
        transaction=cfg.buy_spread_share * price,
    )


def _solver(p: Problem) -> F64:
    """Exact methods first: marginal analysis (expectation, budget only), cutting planes (CVaR,
    critmat.optimize.cvar), the extensive LP for the expectation with storage capacity."""
    if p.risk == "expectation" and not p.capacity:
        return solve_marginal(p).x
    if p.risk == "cvar":
        return solve_cvar_cuts(p).x
    return solve_lp(p).x


def run_plan(
    ds: Dataset,
    holder: str,
    budget: float,
    cfg: PlanConfig | None = None,
    *,
    current: Stockpile | None = None,
    stage: Callable[[str], None] | None = None,
    sensitivity: bool = False,
) -> PlanResult:
    """Assess, simulate, optimise and evaluate for a holder and a budget (USD); with
    ``sensitivity``, also the tornado over the major assumptions and the ranges on the tonnes."""
    c = cfg or PlanConfig()
    clock = _Clock(stage)
    params = SimParams()
    if c.parameter_uncertainty:
        params = dataclasses.replace(params, uncertainty=default_uncertainty(ds, params.elasticity))
    # the cheap checks first: a request that cannot be met fails before any expensive step
    scenario = resolve_scenario(ds, c.scenario)
    market = build_market(ds, holder, c.year, params=params)
    market, scenario, forecast_notes = _apply_forecast(market, scenario, c)
    _check_request(market, budget, c)
    events, dropped = build_events(ds, scenario, market, params)
    eval_seed = derive_seed(c.seed, "evaluation")
    with clock("assess"):
        crit = assess(ds, market.holder, c.year, methods=["eu-crm"])
    # monthly paths only where the report draws them (the fan of the evaluation runs)
    run = functools.partial(simulate, market, events, horizon=scenario.horizon_months,
                            scenario=scenario.name, params=params, keep_full_runs=0)  # fmt: skip
    with clock("simulate"):
        base = run(runs=c.runs, seed=c.seed)
        fresh = run(runs=c.eval_runs, seed=eval_seed, keep_full_runs=200)
    with clock("optimise"):
        classes = storage_classes(ds, market)
        prob = _problem(market, base, budget, c, classes, params)
        x = _solver(prob)
    with clock("evaluate"):
        ev_prob = _problem(market, fresh, budget, c, classes, params)
        gap = None
        if c.risk == "expectation":
            batch_runs = (run(runs=c.runs, seed=derive_seed(c.seed, "saa_batches", k))
                          for k in range(c.batches))  # fmt: skip
            batches = [_problem(market, b, budget, c, classes, params) for b in batch_runs]
            gap = saa_gap(batches, _solver, x, ev_prob)
        stock = Stockpile(
            x.astype(np.float32),
            (c.max_release_share * market.demand0).astype(np.float32),
            np.zeros(market.n_materials, np.float32),
        )
        with_stock = run(runs=c.eval_runs, seed=eval_seed, stockpile=stock)
        comparison, plan_stocks = _compare(market, ev_prob, x, prob.shortfall, budget, current)
        frontier = _frontier(prob, ev_prob, budget, c)
    sens = ranges = None
    if sensitivity:
        with clock("sensitivity"):
            sens, ranges = _how_sure(
                ds, market, scenario, params, c, classes, budget, prob, ev_prob, x, base, fresh
            )
    return PlanResult(
        market.holder, budget, c, market, crit,
        composition_table(market, params, x, prob.cap, base, current),
        comparison, frontier, gap, fresh, with_stock, clock.seconds,
        provenance(market, scenario, params, c, eval_seed),
        [*market.notes, *forecast_notes, *dropped, *_budget_note(prob, x),
         *_scope_note(market, prob.shortfall)],
        sens, ranges, plan_stocks,
    )  # fmt: skip


class _Clock:
    """Announces each stage (``stage``, for a progress display) and times it (seconds)."""

    def __init__(self, stage: Callable[[str], None] | None) -> None:
        self.say = stage or (lambda _s: None)
        self.seconds: dict[str, float] = {}

    @contextlib.contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        self.say(name)
        t0 = time.perf_counter()
        yield
        self.seconds[name] = time.perf_counter() - t0


def _apply_forecast(
    market: Market, scenario: Scenario, c: PlanConfig
) -> tuple[Market, Scenario, list[str]]:
    """The forecast's factors on demand, price and the random disruptions' rates."""
    notes: list[str] = []
    if not (c.demand_growth or c.price_factor or c.event_rate_multiplier):
        return market, scenario, notes
    d = np.array([c.demand_growth.get(m, 1.0) for m in market.materials], np.float32)
    p = np.array([c.price_factor.get(m, 1.0) for m in market.materials], np.float32)
    market = dataclasses.replace(
        market, demand0=(market.demand0 * d).astype(np.float32),
        price0=(market.price0 * p).astype(np.float32),
    )  # fmt: skip
    if c.demand_growth:
        shown = [f"{m} {c.demand_growth[m]:.2f}" for m in market.materials if m in c.demand_growth]
        notes.append("demand x forecast: " + ", ".join(shown))
    if c.price_factor:
        shown = [f"{m} {c.price_factor[m]:.2f}" for m in market.materials if m in c.price_factor]
        notes.append("base price x price forecast: " + ", ".join(shown))
    if c.event_rate_multiplier:
        if scenario.stochastic is None:
            notes.append("the early-warning multipliers apply to random disruptions only; "
                         f"scenario {scenario.name} has none")  # fmt: skip
        else:
            stoch = {**scenario.stochastic, "rate_multiplier": dict(c.event_rate_multiplier)}
            scenario = scenario.model_copy(update={"stochastic": stoch})
            notes.append("disruption rates x early-warning multiplier: " + ", ".join(
                f"{m} {c.event_rate_multiplier[m]:.2f}" for m in market.materials
                if m in c.event_rate_multiplier))  # fmt: skip
    return market, scenario, notes


def _how_sure(
    ds: Dataset,
    market: Market,
    scenario: Scenario,
    params: SimParams,
    c: PlanConfig,
    classes: list[str],
    budget: float,
    prob: Problem,
    ev_prob: Problem,
    x: F64,
    base: SimResult,
    fresh: SimResult,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The tornado and the tonnes' ranges (critmat.optimize.sensitivity) for this plan."""

    def sim(sc: Scenario, pr: SimParams, seed: int, runs: int) -> SimResult:
        events, _ = build_events(ds, sc, market, pr)
        return simulate(
            market, events, runs=runs, seed=seed, horizon=sc.horizon_months, scenario=sc.name,
            params=pr, keep_full_runs=0,
        )  # fmt: skip

    def build(res: SimResult, loss: float, hold: float) -> Problem:
        cfg = c.model_copy(
            update={
                "storage_cost_share": c.storage_cost_share * hold,
                "insurance_share": c.insurance_share * hold,
                "financing_rate": c.financing_rate * hold,
            }
        )
        pr = dataclasses.replace(params, loss_dependency=loss)
        return _problem(market, res, budget, cfg, classes, pr)

    base_total = ev_prob.objective(x)["total_cost"]
    sens = tornado(
        market, scenario, params, sim, build, _solver,
        base_opt=base, base_fresh=fresh, seeds=(c.seed, derive_seed(c.seed, "evaluation")),
        runs=c.runs, eval_runs=c.eval_runs, base_total=base_total,
        assumptions=assumptions_from_data(ds),
    )  # fmt: skip
    fast = prob.risk == "expectation" and not prob.capacity
    lo, hi = LOSS_DEPENDENCY_RANGE
    ranges = tonnes_ranges(
        prob,
        _solver,
        seed=c.seed,
        replicates=200 if fast else 20,
        loss_range=(lo / params.loss_dependency, hi / params.loss_dependency),
    )
    ranges.insert(1, "recommended_t", x)
    ranges.insert(2, "basis", market.basis)
    return sens, ranges


def _check_request(market: Market, budget: float, c: PlanConfig) -> None:
    """Refuse, before any simulation, a plan whose floors exceed the caps or the budget."""

    if not (np.isfinite(budget) and budget >= 0):
        raise InfeasibleRequestError(f"the budget must be a finite amount >= 0 USD, not {budget}")
    unknown = sorted(set(c.floors_t) - set(market.materials))
    if unknown:
        raise InfeasibleRequestError(
            f"plan floors name materials not in the {market.holder} market: {', '.join(unknown)} "
            f"(planned: {', '.join(market.materials)})"
        )
    over = []
    cost = 0.0
    for i, m in enumerate(market.materials):
        f = float(c.floors_t.get(m, 0.0))
        cap = c.cap_share * float(market.world_exports_t[i])
        if f > 0 and market.world_exports_t[i] > 0 and f > cap:
            over.append(
                f"{m} floor {f:,.0f} t > cap {cap:,.0f} t ({c.cap_share:.0%} of world exports)"
            )
        cost += f * float(market.price0[i])
    if over:
        raise InfeasibleRequestError("plan floors above the market-impact caps: " + "; ".join(over))
    if cost > budget:
        raise InfeasibleRequestError(
            f"plan floors cost {cost / 1e6:,.1f} m USD at base prices, more than the budget "
            f"{budget / 1e6:,.1f} m USD"
        )


def _budget_note(p: Problem, x: F64) -> list[str]:
    """Say why the budget does not bind, when it does not (docs/methods.md, "Decide")."""
    spent = float(p.price @ x)
    if spent >= p.budget * (1 - 1e-6):
        return []
    at_cap = [m for i, m in enumerate(p.materials) if np.isfinite(p.cap[i]) and x[i] >= p.cap[i]]
    why = (
        "beyond it, the next tonne of every material costs more (purchase, spread and holding "
        "less its expected worth at the end) than the loss it is expected to avoid"
    )
    if at_cap:
        why += f"; at the market-impact cap: {', '.join(at_cap)}"
    return [
        f"the budget does not bind: {spent / 1e6:,.1f} of {p.budget / 1e6:,.1f} USD m spent; {why}"
    ]


def _compare(
    market: Market, ev: Problem, x: F64, q_opt: F64, budget: float, current: Stockpile | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The comparison table (full accounting on the evaluation scenarios) and the stocks."""
    zero = total_cost(ev, np.zeros_like(x))
    loss0 = float(zero.mean())
    rows = []
    plans: list[tuple[str, str, F64, float]] = [("optimal", "critmat optimum", x, 1.0)]
    scope = rule_scope(q_opt)
    within = "" if scope.all() else f" (the {int(scope.sum())} materials the scenario touches)"
    for rule, desc in RULES.items():
        xr, scale = rule_stock(rule, market, q_opt, budget, scope)
        plans.append((rule, desc + within, xr, scale))
    if current is not None:
        plans.append(
            ("current", "current holdings (--stockpile)", current.stock0.astype(float), 1.0)
        )
    plans.append(("none", "no stockpile", np.zeros_like(x), 1.0))
    for name, desc, xs, scale in plans:
        terms = ev.objective(xs)
        spent = terms["acquisition"]
        avoided = loss0 - terms["expected_loss"]
        rows.append(
            {
                "plan": name,
                "description": desc,
                "spent_usd": spent,
                "scaled_to_budget": scale,
                "transaction_usd": terms["transaction"],
                "holding_usd": terms["holding"],
                "residual_value_usd": terms["residual_value"],
                "expected_loss_usd": terms["expected_loss"],
                "cvar_loss_usd": terms["cvar_loss"],
                "total_cost_usd": terms["total_cost"],
                "cvar_total_cost_usd": terms["cvar_total_cost"],
                "loss_avoided_usd": avoided,
                "loss_avoided_per_usd": avoided / spent if spent > 0 else float("nan"),
            }
        )
    stocks = pd.DataFrame(
        [xs for _, _, xs, _ in plans], index=[n for n, *_ in plans], columns=market.materials
    )
    stocks.index.name = "plan"
    return pd.DataFrame(rows), stocks


def _scope_note(market: Market, shortfall: F64) -> list[str]:
    """Says when the practice rules were compared on the materials the scenario touches."""
    scope = rule_scope(shortfall)
    if scope.all():
        return []
    names = ", ".join(m for m, k in zip(market.materials, scope, strict=True) if k)
    return [f"the practice rules are applied to the materials the scenario can leave short "
            f"({names}), like with like: the optimum can only hold what protects"]  # fmt: skip


def _frontier(prob: Problem, ev: Problem, budget: float, c: PlanConfig) -> pd.DataFrame:
    rows = []
    for f in c.frontier:
        b = budget * f
        pb = dataclasses.replace(prob, budget=b)
        if float(pb.price @ pb.floor) > b:
            continue
        x = _solver(pb)
        terms = ev.objective(x)
        rows.append(
            {
                "budget_usd": b,
                "spent_usd": terms["acquisition"],
                "expected_loss_usd": terms["expected_loss"],
                "cvar_loss_usd": terms["cvar_loss"],
                "residual_value_usd": terms["residual_value"],
                "total_cost_usd": terms["total_cost"],
            }
        )
    return pd.DataFrame(rows)
