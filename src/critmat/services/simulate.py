"""Simulate: a scenario through the holder's market, with a stockpile (docs/methods.md 6)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from critmat.data.dataset import Dataset, UnknownChoiceError
from critmat.data.yamlfile import load_yaml_text
from critmat.errors import CritmatError
from critmat.report.sim_report import write_sim_report as write
from critmat.services.context import resolve
from critmat.services.policy import solve_release_policy
from critmat.sim.elasticities import default_uncertainty
from critmat.sim.library import library_frame, scenario_by_id
from critmat.sim.market import SimParams
from critmat.sim.pipeline import resolve_scenario, run_scenario
from critmat.sim.run import SimResult
from critmat.sim.scenario import Scenario
from critmat.sim.stockpile import load_stockpile
from critmat.sim.store import check_store as check
from critmat.usecases.outcome import Outcome
from critmat.usecases.pages import SimPage
from critmat.usecases.requests import SimulateRequest

__all__ = [
    "SimPage",
    "SimResult",
    "SimulateRequest",
    "cap_notes",
    "check_request",
    "check_store",
    "fan_table",
    "library",
    "run_simulate",
    "scenario",
    "scenario_from_text",
    "scenario_summary",
    "scenario_yaml",
    "write_sim_report",
]


def _scenario_of(ds: Dataset, req: SimulateRequest) -> Scenario:

    if req.scenario_yaml is not None:
        return scenario_from_text(req.scenario_yaml)
    return resolve_scenario(ds, req.scenario)


def scenario_from_text(text: str) -> Scenario:
    """Validate scenario YAML text (as a file is validated; errors name the key path)."""

    return load_yaml_text(text, Scenario, "scenario", "the scenario YAML")


def scenario_yaml(ds: Dataset, ref: str) -> str:
    """A library scenario (or ``stochastic``) as YAML text, to edit and run."""
    import yaml

    if not ref.replace("-", "").replace("_", "").isalnum():
        raise UnknownChoiceError("scenario", ref, ["a library id such as GR-2023", "stochastic"])
    sc = resolve_scenario(ds, ref)
    return str(yaml.safe_dump(sc.model_dump(mode="json", exclude_defaults=False), sort_keys=False))


def scenario_summary(sc: Scenario) -> pd.DataFrame:
    """One row per event of a scenario: type, material, country, start, duration, severity."""
    rows = [
        {
            "event": i,
            "type": e.type,
            "material": e.material,
            "country": getattr(e, "country", "") or getattr(e, "route", ""),
            "start": str(e.start),
            "duration": str(e.duration),
            "severity": str(e.severity),
        }
        for i, e in enumerate(sc.events)
    ]
    cols = ["event", "type", "material", "country", "start", "duration", "severity"]
    return pd.DataFrame(rows, columns=cols)


def check_request(ds: Dataset, req: SimulateRequest) -> Scenario:
    """Resolve the holder, year and scenario of a request (bad ones refused now); returns the
    scenario."""

    resolve(ds, holder=req.holder, year=req.year)
    return _scenario_of(ds, req)


def check_store(path: Path) -> None:
    """Refuse a ``--out DIR.zarr`` that exists and is not a Zarr store (critmat.sim.store)."""

    try:
        check(path)
    except ValueError as e:
        raise CritmatError(f"--out: {e}") from e


def run_simulate(
    ds: Dataset,
    req: SimulateRequest,
    progress: Callable[[int], None] | None = None,
    store: Path | None = None,
) -> tuple[SimResult, list[str], dict[str, tuple[float, float]]]:
    """Run the request: the result, the notes (materials left out, events dropped) and the
    per-run parameter ranges drawn (empty without parameter uncertainty). ``store`` streams the
    per-run results to a Zarr store (critmat.sim.store; memory stays bounded)."""

    r = resolve(ds, holder=req.holder, year=req.year)
    assert r.holder is not None and r.year is not None
    sc = _scenario_of(ds, req)

    spec = solve_release_policy(load_stockpile(req.stockpile))  # bad files fail before any run
    params = None
    ranges: dict[str, tuple[float, float]] = {}
    if req.parameter_uncertainty:
        base = SimParams()
        ranges = default_uncertainty(ds, base.elasticity)
        params = SimParams(uncertainty=ranges)
    res, notes = run_scenario(
        ds,
        sc,
        r.holder,
        year=r.year,
        runs=req.runs,
        seed=req.seed,
        stockpile=spec,
        params=params,
        workers=req.workers,
        scheduler=req.scheduler,
        progress=progress,
        store=store,
    )
    res.loss_method = req.loss_method
    return res, [*notes, *cap_notes(res)], ranges


def cap_notes(res: SimResult) -> list[str]:
    """One line per material whose price reached the cap (a numerical guard, not a market
    price): the share of runs and of run-months at the cap, where price and loss are lower
    bounds. Every face shows them (terminal, JSON, xlsx, HTML, API)."""
    if "max_price_ratio" not in res.aggregates or not np.isfinite(res.price_cap):
        return []
    runs_at, months = res.cap_shares()
    out = []
    for i, mat in enumerate(res.market.materials):
        if runs_at[i] <= 0:
            continue
        when = f" and {months[i]:.0%} of run-months" if np.isfinite(months[i]) else ""
        out.append(
            f"{mat}: the price reached its cap ({res.price_cap:g}x the base price, a numerical "
            f"guard) in {runs_at[i]:.0%} of runs{when}: there the price and the loss are lower "
            "bounds (critmat glossary 'price cap'; columns share_runs_at_price_cap, "
            "share_months_at_price_cap)"
        )
    return out


def library(ds: Dataset, holder: str | None = None, year: int = 2023) -> pd.DataFrame:
    """The historical scenario library; with a holder, which events touch its market."""

    return library_frame(ds, holder, year)


def scenario(ds: Dataset, ref: str) -> Scenario:
    """A library scenario by id."""

    return scenario_by_id(ds, ref)


#: The monthly variables the fan charts and the fan table show, with their unit.
FAN_VARIABLES: dict[str, str] = {"unmet": "t/month", "price": "USD/t", "stock": "t"}


def fan_table(res: SimResult) -> pd.DataFrame:
    """Median and 5-95% band per material, variable and month over the kept runs (tidy), for
    the materials the scenario touches or that move; the fan charts draw exactly this table."""
    rows = []
    touched = set(res.events.mat.tolist())
    for var, unit in FAN_VARIABLES.items():
        data = res.paths.get(var)
        if data is None or data.shape[0] == 0:
            continue
        lo, med, hi = np.quantile(data, [0.05, 0.5, 0.95], axis=0)  # [M, T]
        for i, mat in enumerate(res.market.materials):
            if i not in touched and float(np.ptp(data[:, i, :])) == 0.0:
                continue
            rows.append(
                pd.DataFrame(
                    {
                        "material": mat,
                        "basis": res.market.basis[i],
                        "variable": var,
                        "unit": f"{unit} {res.market.basis[i]}",
                        "month": np.arange(data.shape[2]),
                        "p05": lo[i],
                        "p50": med[i],
                        "p95": hi[i],
                    }
                )
            )
    cols = ["material", "basis", "variable", "unit", "month", "p05", "p50", "p95"]
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=cols)


def sim_page(res: SimResult, notes: list[str]) -> SimPage:
    """The page's content from a result."""
    n_paths = next(iter(res.paths.values())).shape[0] if res.paths else 0
    return SimPage(
        scenario=res.scenario,
        holder=res.market.holder,
        year=res.market.year,
        runs=res.runs,
        seed=res.seed,
        paths_kept=n_paths,
        notes=notes,
        summary=res.summary(),
        fans=fan_table(res),
        has_stock=bool(res.stockpile.stock0.sum() > 0),
    )


def write_sim_report(res: SimResult, out: str | Path, notes: list[str]) -> Path:
    """The simulation page (critmat.report.sim_report renders the computed page)."""

    return write(sim_page(res, notes), out)


def simulate_result(res: SimResult, notes: list[str], req: SimulateRequest) -> Outcome:
    """A finished simulation as every face shows it: the summary per material and the fan
    table, with the request's scenario, holder, seed and runs."""
    return Outcome(
        tables={"summary": res.summary(), "fans": fan_table(res)},
        readme={
            "scenario": res.scenario,
            "holder": res.market.holder,
            "units": "t of each material's basis (unit column); prices USD per t of the basis; "
            "loss USD (docs/methods.md 6)",
            "fan table": "5th, 50th and 95th percentile per month over the first kept runs",
        },
        notes=list(notes),
        fields={
            "scenario": res.scenario,
            "holder": res.market.holder,
            "seed": req.seed,
            "runs": req.runs,
        },
        main="summary",
    )


def simulate_outcome(
    ds: Dataset, req: SimulateRequest, progress: Callable[[int], None] | None = None
) -> Outcome:
    """The registry's runner (critmat.usecases)."""
    res, notes, _ = run_simulate(ds, req, progress)
    return simulate_result(res, notes, req)


def check_simulate_request(ds: Dataset, req: SimulateRequest) -> None:
    """What an HTTP simulation job is refused for before it is queued: server paths and
    schedulers, a scenario id that is not one, and what :func:`check_request` refuses."""

    if req.stockpile is not None or req.scheduler is not None:
        raise CritmatError("stockpile files and schedulers are not taken over HTTP")
    if req.scenario and not req.scenario.replace("-", "").replace("_", "").isalnum():
        raise CritmatError("scenario: a library id (e.g. GR-2023) or 'stochastic'")
    check_request(ds, req)
