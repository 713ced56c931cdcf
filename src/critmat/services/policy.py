"""Decide over time: the Markov-regime stockpile policy of a YAML spec (docs/policy.md)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from critmat.data.dataset import Dataset
from critmat.data.yamlfile import load_yaml_text
from critmat.errors import CritmatError
from critmat.optimize.policy import (
    PolicyProblem,
    PolicySolution,
    policy_iteration,
    policy_lp,
    solution_tables,
    value_iteration,
)
from critmat.optimize.policy_spec import PolicySpec, build_problem, load_policy_spec
from critmat.services.context import resolve
from critmat.sim.pipeline import resolve_scenario, run_scenario
from critmat.sim.stockpile import MaterialHolding, PolicyRelease, StockpileSpec
from critmat.usecases.outcome import Outcome
from critmat.usecases.requests import PolicyRequest, ReleaseRequest

__all__ = [
    "METHODS",
    "PolicyReport",
    "check_policy_text",
    "compare_release_rules",
    "example_path",
    "examples",
    "policy_matrix",
    "run_policy",
    "solve_release_policy",
]

Method = Literal["all", "value", "policy", "lp"]
METHODS: tuple[str, ...] = ("all", "value", "policy", "lp")
#: above this many allowed moves the LP is left out of "all" (its matrix grows as S x moves)
LP_MOVES_LIMIT = 3_000_000


@dataclass
class PolicyReport:
    """The spec, its problem, one solution per method, their agreement and the tidy table."""

    spec: PolicySpec
    problem: PolicyProblem
    solutions: dict[str, PolicySolution]
    table: pd.DataFrame
    agreement: float | None  # max relative difference of the value functions across methods
    notes: list[str] = field(default_factory=list)

    @property
    def objective(self) -> float:
        """Sum of the value function over all (level, state) pairs (the LP objective)."""
        return next(iter(self.solutions.values())).objective

    def tables(self) -> dict[str, pd.DataFrame]:
        """Tables for file output: the policy and value function, and the solver summary."""
        summary = pd.DataFrame(
            [{"method": s.method, "iterations": s.iterations, "seconds": s.seconds,
              "sum_of_values": s.objective, **s.timings} for s in self.solutions.values()]
        )  # fmt: skip
        return {"policy": self.table, "solvers": summary}


def check_policy_text(text: str) -> PolicySpec:
    """Validate spec YAML text now (a bad spec is refused before any work is queued)."""

    return load_yaml_text(text, PolicySpec, "policy spec", "the policy spec YAML")


def examples() -> list[str]:
    """Names of the shipped example specs (``critmat/optimize/examples/*.yaml``)."""
    from importlib import resources

    root = resources.files("critmat.optimize") / "examples"
    return sorted(p.name.rsplit(".", 1)[0] for p in root.iterdir()
                  if p.name.endswith((".yaml", ".json")))  # fmt: skip


def example_path(ref: str | Path) -> Path:
    """A spec file, or the shipped example of that name (e.g. ``teisberg1981``)."""
    from importlib import resources

    p = Path(ref)
    if p.exists() or p.suffix in (".yaml", ".yml", ".json") or str(ref) not in examples():
        return p
    root = resources.files("critmat.optimize") / "examples"
    name = next(x.name for x in root.iterdir() if x.name.rsplit(".", 1)[0] == str(ref))
    return Path(str(root / name))


def run_policy(
    path: str | Path | None, method: Method = "all", *, text: str | None = None
) -> PolicyReport:
    """Read a spec (a file, a shipped example's name, or the YAML ``text``) and solve it:
    ``all`` = value iteration, policy iteration and the LP (which must agree to 1e-6 relative;
    the LP is left out above 3 million allowed moves)."""

    if method not in METHODS:
        raise CritmatError(f"unknown method {method!r}; methods: {', '.join(METHODS)}")
    if text is not None:
        spec = load_yaml_text(text, PolicySpec, "policy spec", "the policy spec YAML")
        path = "the policy spec YAML"
    else:
        assert path is not None
        path = example_path(path)
        spec = load_policy_spec(path)
    try:
        problem = build_problem(spec)
    except ValueError as exc:
        raise CritmatError(f"policy spec {path}: {exc}") from None
    notes: list[str] = []
    moves = int(np.isfinite(problem.reward).sum())
    todo = ["policy", "value", "lp"] if method == "all" else [method]
    if method == "all" and moves > LP_MOVES_LIMIT:
        todo.remove("lp")
        notes.append(f"LP left out: {moves:,} allowed moves (limit {LP_MOVES_LIMIT:,}); "
                     "run --method lp to force it")  # fmt: skip
    solvers = {"policy": policy_iteration, "value": value_iteration, "lp": policy_lp}
    sols = {m: solvers[m](problem) for m in todo}
    agreement = None
    if len(sols) > 1:
        ref = next(iter(sols.values())).value
        scale = max(1.0, float(np.max(np.abs(ref))))
        agreement = max(float(np.max(np.abs(s.value - ref))) / scale for s in sols.values())
    first = next(iter(sols.values()))
    return PolicyReport(spec, problem, sols, solution_tables(problem, first, _unit(spec)),
                        agreement, notes)  # fmt: skip


def _unit(spec: PolicySpec) -> str:
    return "".join(c if c.isalnum() else "_" for c in spec.unit).strip("_") or "unit"


def policy_matrix(rep: PolicyReport, column: str) -> pd.DataFrame:
    """A wide view for people: one row per level, one column per state (``column`` of the
    tidy table, e.g. the next level or the value)."""
    t = rep.table
    level = next(c for c in t.columns if c.startswith("level_"))
    wide = t.pivot(index=level, columns="state", values=column)[rep.problem.states]
    return wide.reset_index()


def solve_release_policy(spec: StockpileSpec) -> StockpileSpec:
    """A stockpile spec whose ``policy`` block is solved (policy iteration): its levels and
    next level per state filled in, ready for the simulator. Unchanged without a policy."""

    if spec.policy is None:
        return spec
    pol = load_policy_spec(example_path(spec.policy.spec))
    try:
        problem = build_problem(pol)
    except ValueError as exc:
        raise CritmatError(f"stockpile policy {spec.policy.spec}: {exc}") from None
    sol = policy_iteration(problem)
    nxt = problem.levels[sol.next_index]  # [S, L]
    filled = spec.policy.model_copy(
        update={"levels": problem.levels.tolist(), "next_level": nxt.tolist()}
    )
    return spec.model_copy(update={"policy": filled})


def compare_release_rules(
    ds: Dataset,
    *,
    holder: str,
    material: str,
    scenario: str,
    stock_t: float,
    policy_spec: str | Path,
    thresholds: list[float],
    months_per_period: float = 12.0,
    runs: int = 1000,
    seed: int = 0,
    year: int = 2023,
) -> pd.DataFrame:
    """The same reserve of one material released by simple triggers and by the solved policy,
    on the full monthly simulator with common random numbers (same seed, same events): per
    rule the expected unmet demand, loss, release and the reserve left at the end."""

    r = resolve(ds, holder=holder, materials=[material], year=year)
    assert r.holder is not None and r.year is not None
    mat = r.materials[0]
    sc = resolve_scenario(ds, scenario)  # a library id, a YAML file or "stochastic"
    hold = {mat: MaterialHolding(stock_t=stock_t)}
    rules = {
        "no reserve": StockpileSpec(),
        "trigger: shortfall>5% or price>1.5x": StockpileSpec(materials=hold),
        "trigger: price>1.5x only": StockpileSpec(
            materials=hold, trigger_shortfall=1.0, trigger_price=1.5
        ),
        "Markov policy": solve_release_policy(
            StockpileSpec(
                materials=hold,
                policy=PolicyRelease(
                    material=mat,
                    spec=str(policy_spec),
                    thresholds=thresholds,
                    months_per_period=months_per_period,
                ),
            )
        ),
    }
    rows = []
    for name, sp in rules.items():  # four simulations, each vectorised over its runs
        res, _ = run_scenario(ds, sc, r.holder, year=r.year, runs=runs, seed=seed, stockpile=sp)
        i = res.market.index(mat)
        a = res.aggregates
        rows.append({
            "rule": name, "material": mat, "unit": f"t {res.market.basis[i]}",
            "expected_unmet_t": float(a["unmet"][:, i].mean()),
            "p95_unmet_t": float(np.quantile(a["unmet"][:, i], 0.95)),
            "expected_release_t": float(a["release"][:, i].mean()),
            "expected_loss_usd": float(a["loss_usd"][:, i].mean()),
            "expected_stock_left_t": 0.0 if name == "no reserve"
            else float(stock_t - a["release"][:, i].mean()),
        })  # fmt: skip
    return pd.DataFrame(rows)


def policy_result(rep: PolicyReport) -> Outcome:
    """A solved policy as every face shows it (critmat.usecases)."""
    s = rep.spec
    readme = {
        "spec": s.name,
        "source": s.source,
        "units": f"levels in {s.unit}; value in {s.currency} (discounted, per {s.period})",
        "sum_of_values": f"{rep.objective:.10g}",
        "methods_agree_to": "" if rep.agreement is None else f"{rep.agreement:.2e} relative",
    }
    return Outcome(tables=rep.tables(), readme=readme, notes=list(rep.notes), main="policy",
                   volatile=("solvers.seconds", "solvers.build_s", "solvers.solve_s"))  # fmt: skip


def policy_outcome(
    ds: object, req: PolicyRequest, progress: Callable[[int], None] | None = None
) -> Outcome:
    """The registry's runner (the dataset is not used: a policy spec carries its numbers)."""
    return policy_result(run_policy(None, req.method, text=req.yaml))  # type: ignore[arg-type]


def check_policy_request(ds: object, req: PolicyRequest) -> None:
    """A policy request is refused now for a spec that does not validate."""
    check_policy_text(req.yaml)


def release_result(table: pd.DataFrame, req: ReleaseRequest) -> Outcome:
    """The release rules compared, as every face shows it (critmat.usecases)."""
    readme = {
        "material": req.material,
        "stock_t": f"{req.stock_t:g}",
        "thresholds": ",".join(f"{x:g}" for x in req.thresholds),
        "holder": req.holder,
        "scenario": req.scenario,
        "runs": str(req.runs),
        "seed": str(req.seed),
        "months_per_period": f"{req.months_per_period:g}",
    }
    return Outcome(tables={"release_rules": table}, readme=readme, main="release_rules")


def check_release_request(ds: Dataset, req: ReleaseRequest) -> None:
    """A release request is refused now for a policy spec that does not validate or an
    unknown holder or material."""

    check_policy_text(req.yaml)
    resolve(ds, holder=req.holder, materials=[req.material])


def release_outcome(
    ds: Dataset, req: ReleaseRequest, progress: Callable[[int], None] | None = None
) -> Outcome:
    """The registry's runner: the policy spec text is read from a temporary file."""
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        spec = Path(d) / "release_policy.yaml"
        spec.write_text(req.yaml, encoding="utf-8")
        table = compare_release_rules(
            ds, holder=req.holder, material=req.material, scenario=req.scenario,
            stock_t=req.stock_t, policy_spec=spec, thresholds=list(req.thresholds),
            months_per_period=req.months_per_period, runs=req.runs, seed=req.seed,
        )  # fmt: skip
    return release_result(table, req)
