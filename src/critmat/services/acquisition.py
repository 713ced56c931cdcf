"""Decide: a multi-year acquisition schedule with responsible sourcing (docs/acquisition.md)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from critmat.data.basis import basis_of, basis_price, mass_to_basis
from critmat.data.dataset import Dataset
from critmat.data.units import convert_mass
from critmat.data.yamlfile import load_yaml_model, load_yaml_text
from critmat.errors import CritmatError
from critmat.optimize.acquisition import (
    AcquisitionProblem,
    Schedule,
    even_schedule,
    requirements,
    solve_schedule,
)
from critmat.optimize.acquisition_spec import AcquisitionSpec
from critmat.services.context import resolve
from critmat.services.forecast import forecast_factors
from critmat.services.simulate import SimulateRequest, fan_table, run_simulate
from critmat.usecases.outcome import Outcome
from critmat.usecases.requests import ScheduleRequest

__all__ = [
    "AcquisitionReport",
    "check_schedule_text",
    "footprint_per_t",
    "run_acquisition",
    "world_output_t",
]


@dataclass
class AcquisitionReport:
    """The optimal and the even schedule, what responsible sourcing costs, and the tables."""

    spec: AcquisitionSpec
    basis: str
    problem: AcquisitionProblem
    optimal: Schedule
    even: Schedule
    unconstrained: Schedule | None  # without the ESG floor, carbon price and carbon cap
    inputs: dict[str, str] = field(default_factory=dict)

    def tables(self) -> dict[str, pd.DataFrame]:
        """schedule (tidy), years (per-year view of both plans) and summary (costs)."""
        p = self.problem
        rows = []
        for s in (self.optimal, self.even, self.unconstrained):
            if s is not None:
                rows.append({"plan": s.name, "feasible": s.feasible, **s.costs(p),
                             "breaches": "; ".join(s.breaches)})  # fmt: skip

        years = pd.DataFrame(
            {
                "year": np.arange(1, p.years + 1),
                "price_usd_per_t": p.prices,
                "budget_usd": p.budget,
                "impact_cap_t": p.cap_t,
                "release_t": p.releases_t,
                "required_stock_t": requirements(p),
                "optimal_bought_t": self.optimal.q.sum(axis=1),
                "optimal_stock_t": self.optimal.stock,
                "even_bought_t": self.even.q.sum(axis=1),
                "even_stock_t": self.even.stock,
            }
        )
        sched = pd.concat([self.optimal.frame(p), self.even.frame(p)], ignore_index=True)
        return {"schedule": sched, "years": years, "summary": pd.DataFrame(rows)}


def check_schedule_text(ds: Dataset, text: str) -> AcquisitionSpec:
    """Validate spec YAML text now: the spec, its holder and material and its footprint routes
    (the schedule itself runs as a job)."""

    spec = load_yaml_text(text, AcquisitionSpec, "acquisition spec", "the acquisition YAML")
    mat = resolve(ds, holder=spec.holder, materials=[spec.material], year=spec.year).materials[0]
    for o in spec.origins:
        if o.footprint_route is not None:
            footprint_per_t(ds, mat, o.footprint_route)
    return spec


def world_output_t(ds: Dataset, material: str, year: int) -> tuple[float, str]:
    """World mine (else refinery) output of the latest year <= ``year`` in t of the material's
    basis, and where it comes from."""

    basis = basis_of(ds, material)
    p = ds.production
    for stage in ("mining", "refining"):
        w = p[(p["material"] == material) & (p["country"] == "WLD") & (p["stage"] == stage)]
        if not w.empty:  # the latest year up to ``year``, else the nearest later one
            before = w[w["year"] <= year].sort_values("year")
            r = before.iloc[-1] if not before.empty else w.sort_values("year").iloc[0]
            t = mass_to_basis(ds, float(r["value"]), str(r["unit"]), basis, material)
            return float(t), f"{r['dataset']} {stage} {int(r['year'])} (world, t {basis})"
    raise CritmatError(f"no world output of {material} in the dataset: give world_supply_t")


def footprint_per_t(ds: Dataset, material: str, route: str) -> tuple[float, str]:
    """t CO2e per t of the basis for a route of the footprint table (rows of the material or of
    its carbonate; a carbonate's footprint is converted to the basis by critmat.data.units)."""

    f = ds.footprints
    hit = f[f["material"].str.startswith(material) & f["route"].str.contains(route, regex=False)]
    if len(hit) != 1:
        known = "; ".join(f.loc[f["material"].str.startswith(material), "route"])
        raise CritmatError(
            f"footprint_route {route!r} matches {len(hit)} routes of {material}; known: {known}"
        )
    r = hit.iloc[0]
    per_kg = float(r["value"])  # kg CO2e per kg of the row's form = t per t
    basis = basis_of(ds, material)
    if "carbonate" in str(r["material"]):
        per_kg *= float(convert_mass(1.0, "t", "t", basis, "Li2CO3"))  # t LCE per t of the basis
    return per_kg, f"{r['source'].split(';')[0]}: {r['route']} ({r['value']} {r['unit']})"


def _prices(ds: Dataset, spec: AcquisitionSpec, base: float) -> tuple[np.ndarray, str]:
    if isinstance(spec.prices, list):
        return np.array(spec.prices, float), "given in the spec"
    if spec.prices == "base":
        return np.full(spec.years, base), "flat at the base price"
    if spec.prices == "forecast":
        years = [spec.year + 1 + k for k in range(spec.years)]
        factors, label = forecast_factors(ds, spec.material, years)
        return base * np.array(factors), (
            f"base price x the price forecast relative to its last recorded year ({label})"
        )

    text = f"name: stochastic\nhorizon_months: {12 * spec.years}\nstochastic: {{}}\n"
    req = SimulateRequest.model_validate({"scenario_yaml": text, "holder": spec.holder,
                                          "year": spec.year, "runs": spec.price_runs,
                                          "seed": spec.seed})  # fmt: skip
    res, _, _ = run_simulate(ds, req)
    fans = fan_table(res)
    path = fans[(fans["material"] == spec.material) & (fans["variable"] == "price")]
    if path.empty:  # the material never moved: its price stayed at the base
        return np.full(spec.years, base), "simulated (no disruption moved it: flat)"
    monthly = path.sort_values("month")["p50"].to_numpy(float)
    annual = monthly[: 12 * spec.years].reshape(spec.years, 12).mean(axis=1)
    return annual, f"median simulated path ({spec.price_runs} runs, seed {spec.seed}), yearly mean"


def run_acquisition(ds: Dataset, path: str | Path | None = None, *, text: str | None = None
                    ) -> AcquisitionReport:  # fmt: skip
    """Read the spec (file or YAML text), build the problem from the dataset and solve it: the
    optimal schedule, buying evenly, and the optimum without the sourcing constraints."""

    if text is not None:
        spec = load_yaml_text(text, AcquisitionSpec, "acquisition spec", "the acquisition YAML")
    else:
        assert path is not None
        spec = load_yaml_model(path, AcquisitionSpec, "acquisition spec")
    r = resolve(ds, holder=spec.holder, materials=[spec.material], year=spec.year)
    mat = r.materials[0]
    spec = spec.model_copy(update={"material": mat})
    basis = basis_of(ds, mat)
    quote = basis_price(ds, mat, spec.year)
    if quote is None:
        raise CritmatError(f"{mat}: no price for {spec.year} in the dataset; give prices")
    prices, price_src = _prices(ds, spec, quote.usd_per_t)
    world, world_src = (
        (spec.world_supply_t, "given in the spec")
        if spec.world_supply_t
        else world_output_t(ds, mat, spec.year)
    )
    co2, co2_src = [], []
    for o in spec.origins:
        if o.co2e_t_per_t is not None:
            co2.append(o.co2e_t_per_t)
            co2_src.append(f"{o.name}: given ({o.co2e_t_per_t} t CO2e/t)")
        else:
            assert o.footprint_route is not None
            v, src = footprint_per_t(ds, mat, o.footprint_route)
            co2.append(v)
            co2_src.append(f"{o.name}: {v:.2f} t CO2e/t {basis} from {src}")
    budget = np.broadcast_to(np.asarray(spec.budget_usd_per_year, float), (spec.years,)).copy()
    releases = np.zeros(spec.years)
    for rel in spec.releases:
        releases[rel.year - 1] += rel.t
    problem = AcquisitionProblem(
        prices=prices, budget=budget, cap_t=np.full(spec.years, spec.market_impact_share * world),
        releases_t=releases, origins=[o.name for o in spec.origins],
        premium=np.array([o.premium for o in spec.origins]), co2=np.array(co2, float),
        share=np.array([o.share for o in spec.origins]),
        allowed=np.array([o.esg_score >= spec.min_esg_score for o in spec.origins]),
        start_t=spec.start_t, target_t=spec.target_t,
        deadline=(spec.deadline_year or spec.years) - 1, rebuild_years=spec.rebuild_years,
        holding_usd_per_t_year=spec.holding_share_per_year * float(prices.mean()),
        discount_rate=spec.discount_rate, carbon_price=spec.carbon_price_usd_per_t,
        co2_cap_t=spec.co2_cap_t,
    )  # fmt: skip
    try:
        optimal = solve_schedule(problem)
    except ValueError as exc:
        raise CritmatError(f"acquisition {spec.name!r}: {exc}") from None
    loose = None
    if spec.min_esg_score > 0 or spec.carbon_price_usd_per_t > 0 or spec.co2_cap_t is not None:
        from dataclasses import replace

        free = replace(problem, allowed=np.ones(len(spec.origins), bool), carbon_price=0.0,
                       co2_cap_t=None)  # fmt: skip
        loose = solve_schedule(free, "without sourcing constraints")
    inputs = {"basis": f"t {basis}", "prices": price_src, "base price": quote.source,
              "world supply": f"{world:,.0f} t {basis}: {world_src}",
              **{f"footprint {i + 1}": s for i, s in enumerate(co2_src)}}  # fmt: skip
    return AcquisitionReport(spec, basis, problem, optimal, even_schedule(problem), loose, inputs)


def schedule_result(rep: AcquisitionReport) -> Outcome:
    """A schedule as every face shows it (critmat.usecases)."""
    s = rep.spec
    readme = {"spec": s.name, "material": s.material, "holder": s.holder, **rep.inputs}
    return Outcome(tables=rep.tables(), readme=readme, main="schedule")


def schedule_outcome(
    ds: Dataset, req: ScheduleRequest, progress: Callable[[int], None] | None = None
) -> Outcome:
    """The registry's runner."""
    return schedule_result(run_acquisition(ds, text=req.yaml))


def check_schedule_request(ds: Dataset, req: ScheduleRequest) -> None:
    """A schedule request is refused now for a spec that does not validate."""
    check_schedule_text(ds, req.yaml)
