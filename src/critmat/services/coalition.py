"""Decide together: a coalition's pooled stockpile against each member alone (docs/coalition.md)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from critmat.data.loader import DatasetError
from critmat.data.schemas import Issue
from critmat.errors import CritmatError
from critmat.optimize.coalition import CoalitionProblem, allocate, core_check, pooled_optimum
from critmat.optimize.coalition_exchange import ExchangeFile
from critmat.usecases.outcome import Outcome
from critmat.usecases.requests import CoalitionRequest

__all__ = [
    "CoalitionReport",
    "check_exchange",
    "exchange_schema",
    "read_exchange",
    "run_coalition",
]


@dataclass
class CoalitionReport:
    """Per-member table, the pooled stock, the value of cooperation and the core check."""

    exchange: ExchangeFile
    table: pd.DataFrame
    pooled_stock_t: float
    value_of_cooperation_usd: float
    in_core: bool | None
    blocking: list[str]


def exchange_schema() -> dict[str, object]:
    """The exchange file's JSON schema."""
    return ExchangeFile.model_json_schema()


def check_exchange(content: dict[str, object]) -> ExchangeFile:
    """Validate an exchange file's content (e.g. a request body); errors name the key path."""
    from pydantic import ValidationError

    try:
        return ExchangeFile.model_validate(content)
    except ValidationError as exc:
        issues = [Issue(check="exchange", table="exchange", file="the exchange",
                        column=".".join(str(x) for x in e["loc"]), message=e["msg"])
                  for e in exc.errors()]  # fmt: skip
        raise DatasetError("the exchange was refused", issues) from None


def read_exchange(path: str | Path) -> ExchangeFile:
    """Read and validate an exchange file (errors name the file, the key path and why)."""
    from pydantic import ValidationError

    p = Path(path)
    if not p.is_file():
        raise CritmatError(f"exchange file {p} does not exist")
    if p.stat().st_size > 200_000_000:
        raise CritmatError(f"exchange file {p} is larger than 200 MB")
    try:
        raw = json.loads(p.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CritmatError(f"exchange file {p} is not JSON: {exc}") from None
    try:
        return ExchangeFile.model_validate(raw)
    except ValidationError as exc:
        issues = [Issue(check="exchange", table="exchange", file=str(p),
                        column=".".join(str(x) for x in e["loc"]), message=e["msg"])
                  for e in exc.errors()]  # fmt: skip
        raise DatasetError(f"exchange file {p} was refused", issues) from None


def run_coalition(path: str | Path | ExchangeFile, rule: str | None = None) -> CoalitionReport:
    """Pool against alone for the members of an exchange file (or its validated content;
    ``rule`` overrides the file's)."""

    ex = path if isinstance(path, ExchangeFile) else read_exchange(path)
    p = CoalitionProblem(
        members=[m.name for m in ex.members],
        need=np.array([m.need_t for m in ex.members], float),
        loss=np.array([m.loss_usd_per_t for m in ex.members], float),
        cost=np.array([m.cost_usd_per_t for m in ex.members], float),
        rule=rule or ex.sharing_rule,
        tiers=[(t.from_t, t.discount) for t in ex.volume_discount],
    )
    if p.rule not in ("need", "contribution"):
        raise CritmatError(f"unknown sharing rule {p.rule!r}; rules: need, contribution")
    table = allocate(p)
    stock, _ = pooled_optimum(p)
    value = float(table["cost_alone_usd"].sum() - table["cost_in_coalition_usd"].sum())
    in_core: bool | None = None
    blocking: list[str] = []
    if len(p.members) <= 12:
        in_core, blocking = core_check(p, table["cost_in_coalition_usd"].to_numpy(float))
    return CoalitionReport(ex, table, stock, value, in_core, blocking)


def coalition_result(rep: CoalitionReport, rule: str | None) -> Outcome:
    """A coalition as every face shows it (critmat.usecases)."""
    ex = rep.exchange
    readme = {
        "material": f"{ex.material} (t {ex.basis})",
        "scenario_set": ex.scenario_set,
        "sharing_rule": rule or ex.sharing_rule,
        "pooled_stock_t": f"{rep.pooled_stock_t:.6g}",
        "value_of_cooperation_usd": f"{rep.value_of_cooperation_usd:.6g}",
        "in_core": "not checked (over 12 members)" if rep.in_core is None else str(rep.in_core),
        "blocking_coalitions": "; ".join(rep.blocking),
    }
    return Outcome(tables={"members": rep.table}, readme=readme, main="members")


def coalition_outcome(
    ds: object, req: CoalitionRequest, progress: Callable[[int], None] | None = None
) -> Outcome:
    """The registry's runner (the exchange file carries its numbers)."""
    return coalition_result(run_coalition(check_exchange(req.exchange), req.rule), req.rule)


def check_coalition_request(ds: object, req: CoalitionRequest) -> None:
    """A coalition request is refused now for an exchange that does not validate."""
    check_exchange(req.exchange)
