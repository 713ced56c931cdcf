"""Decide over time: the Markov-regime stockpile policy of a YAML spec (docs/policy.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from critmat.errors import CritmatError
from critmat.optimize.policy import PolicyProblem, PolicySolution
from critmat.optimize.policy_spec import PolicySpec

__all__ = [
    "METHODS",
    "PolicyReport",
    "check_policy_text",
    "example_path",
    "examples",
    "policy_matrix",
    "run_policy",
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
    from critmat.data.yamlfile import load_yaml_text

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
    from critmat.optimize.policy import (
        policy_iteration,
        policy_lp,
        solution_tables,
        value_iteration,
    )
    from critmat.optimize.policy_spec import build_problem, load_policy_spec

    if method not in METHODS:
        raise CritmatError(f"unknown method {method!r}; methods: {', '.join(METHODS)}")
    if text is not None:
        from critmat.data.yamlfile import load_yaml_text

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
