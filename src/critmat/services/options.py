"""Decide: mitigation options beyond stock and the portfolio with the stock (docs/options.md)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from critmat.data.basis import basis_price
from critmat.data.dataset import Dataset
from critmat.data.yamlfile import load_yaml_model, load_yaml_text
from critmat.errors import CritmatError
from critmat.optimize.options import (
    Arr,
    OptionArrays,
    credit,
    size_stock,
    stock_cost_note,
    stock_cost_per_t,
)
from critmat.services.context import resolve
from critmat.sim.pipeline import resolve_scenario, run_scenario
from critmat.sim.scenario import Scenario
from critmat.sim.stockpile import MaterialHolding, StockpileSpec
from critmat.usecases.outcome import Outcome
from critmat.usecases.requests import OptionsRequest

__all__ = ["OptionsReport", "OptionsSpec", "run_options"]

MAX_OPTIONS = 8
NonNeg = Annotated[float, Field(ge=0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class Option(_Strict):
    """A project that adds the holder's own supply after a lead time."""

    name: str = Field(min_length=1, max_length=80)
    kind: Literal["domestic_mine", "processing_plant", "recycling", "supply_agreement",
                  "substitution"]  # fmt: skip
    capex_usd: NonNeg
    lead_time_months: Annotated[int, Field(ge=0, le=600)]
    ramp_months: Annotated[int, Field(ge=0, le=600)] = 0
    capacity_t_per_year: NonNeg = Field(description="t of the basis per year at full output")
    opex_usd_per_t: NonNeg = 0.0
    co2e_t_per_t: NonNeg = 0.0
    source: str = Field("", max_length=300)


class OptionsSpec(_Strict):
    """A catalogue of options for one material and the budget they share with the stock."""

    name: str = Field(max_length=120)
    holder: str = Field("EU27", max_length=20)
    material: str = Field(max_length=40)
    year: Annotated[int, Field(ge=2015, le=2024)] = 2023
    budget_usd: NonNeg
    scenario: str = Field("stochastic", max_length=40)
    horizon_months: Annotated[int, Field(ge=12, le=240)] = 60
    runs: Annotated[int, Field(ge=50, le=100_000)] = 400
    seed: Annotated[int, Field(ge=0)] = 0
    holding_share_per_year: Annotated[float, Field(ge=0, le=1)] = 0.015
    options: list[Option] = Field(min_length=1, max_length=MAX_OPTIONS)

    @model_validator(mode="after")
    def _names(self) -> OptionsSpec:
        names = [o.name for o in self.options]
        if len(set(names)) != len(names):
            raise ValueError(
                f"options named twice: {sorted({n for n in names if names.count(n) > 1})}"
            )
        return self


@dataclass
class OptionsReport:
    """Every portfolio's cost, the chosen one re-simulated with its stock, the stock as the
    chosen options come online, and the inputs."""

    spec: OptionsSpec
    portfolios: pd.DataFrame
    chosen: pd.DataFrame
    shrink: pd.DataFrame
    inputs: dict[str, str]

    def tables(self) -> dict[str, pd.DataFrame]:
        return {
            "portfolios": self.portfolios,
            "chosen": self.chosen,
            "stock_as_options_come": self.shrink,
        }


def _scenario(ds: Dataset, ref: str, horizon: int) -> Scenario:
    """The scenario the options are weighed on: the library's or random disruptions."""
    if ref == "stochastic":
        return Scenario(name="stochastic", horizon_months=horizon, stochastic={})
    if not ref.replace("-", "").replace("_", "").isalnum():
        raise CritmatError("scenario: a library id (e.g. GAGE-2023) or 'stochastic'")
    return resolve_scenario(ds, ref)


def run_options(ds: Dataset, path: str | Path | None = None, *, text: str | None = None
                ) -> OptionsReport:  # fmt: skip
    """Simulate every subset of the options (common random numbers), size the stock for each
    under the remaining budget, pick the cheapest portfolio and re-simulate it with its stock."""
    if text is not None:
        spec = load_yaml_text(text, OptionsSpec, "options spec", "the options YAML")
    else:
        assert path is not None
        spec = load_yaml_model(path, OptionsSpec, "options spec")
    r = resolve(ds, holder=spec.holder, materials=[spec.material], year=spec.year)
    assert r.holder is not None and r.year is not None
    mat = r.materials[0]
    quote = basis_price(ds, mat, spec.year)
    if quote is None:
        raise CritmatError(f"{mat}: no price for {spec.year} in the dataset")
    price = quote.usd_per_t
    years = spec.horizon_months / 12.0
    cost_per_t = stock_cost_per_t(price, spec.holding_share_per_year, years)
    opt = OptionArrays(
        [o.name for o in spec.options],
        np.array([o.capex_usd for o in spec.options]),
        np.array([o.lead_time_months for o in spec.options], float),
        np.array([o.ramp_months for o in spec.options], float),
        np.array([o.capacity_t_per_year for o in spec.options]),
        np.array([o.opex_usd_per_t for o in spec.options]),
        np.array([o.co2e_t_per_t for o in spec.options]),
    )
    sc = _scenario(ds, spec.scenario, spec.horizon_months)
    horizon = sc.horizon_months
    holder, year = str(r.holder), int(r.year)

    def simulate(stockpile: StockpileSpec) -> tuple[Arr, Arr, str]:
        """Unmet t and loss USD per run of the material, and its basis, on common numbers."""
        res, _ = run_scenario(ds, sc, holder, year=year, runs=spec.runs,
                              seed=spec.seed, stockpile=stockpile)  # fmt: skip
        i = res.market.index(mat)
        agg = res.aggregates
        return (agg["unmet"][:, i].astype(float), agg["loss_usd"][:, i].astype(float),
                res.market.basis[i])  # fmt: skip

    rows = []
    for subset in itertools.product([False, True], repeat=len(spec.options)):  # 2^K, K <= 8
        pick = np.array(subset, bool)
        capex = float(opt.capex[pick].sum())
        if capex > spec.budget_usd:
            continue
        supply = credit(opt, pick, horizon)
        unmet, loss, _ = simulate(
            StockpileSpec(own_supply={mat: supply.tolist()}) if pick.any() else StockpileSpec()
        )
        rows.append(_portfolio(opt, pick, horizon, price, cost_per_t, spec.budget_usd, capex,
                               unmet, loss))  # fmt: skip
    if not rows:
        raise CritmatError("every option costs more than the budget")
    table = pd.DataFrame(rows).sort_values("total_usd").reset_index(drop=True)
    best = table.iloc[0]
    pick = np.asarray(best["_pick"], bool)
    supply = credit(opt, pick, horizon)
    unmet, loss, basis = simulate(StockpileSpec(
        materials={mat: MaterialHolding(stock_t=float(best["stock_t"]))},
        own_supply={mat: supply.tolist()} if pick.any() else {},
    ))  # fmt: skip
    chosen = pd.DataFrame([{
        "portfolio": best["options"], "stock_t": float(best["stock_t"]),
        "expected_unmet_t": float(unmet.mean()), "expected_loss_usd": float(loss.mean()),
        "sized_on_totals_loss_usd": float(best["expected_loss_left_usd"]),
        "capex_usd": float(best["capex_usd"]), "total_usd_sized": float(best["total_usd"]),
    }])  # fmt: skip
    inputs = {
        "basis": f"t {basis}",
        "price": f"{price:,.0f} USD/t: {quote.source}",
        "cost per tonne held": stock_cost_note(cost_per_t, spec.holding_share_per_year, years),
        "scenario": f"{spec.scenario}, {spec.runs} runs, seed {spec.seed}, {horizon} months",
    }
    steps = _online_steps(table, opt)
    return OptionsReport(spec, table.drop(columns="_pick"), chosen, steps, inputs)


def _portfolio(
    opt: OptionArrays, pick: npt.NDArray[np.bool_], horizon: int, price: float,
    cost_per_t: float, budget: float, capex: float, unmet: Arr, loss: Arr,
) -> dict[str, object]:  # fmt: skip
    """One portfolio: its options, capex, delivered tonnes, net operating cost, emissions, the
    stock sized under the budget left (critmat.optimize.options.size_stock) and the total."""
    stock, rest = size_stock(unmet, loss, cost_per_t, price, budget - capex)
    k = len(opt.names)
    per_option = np.array([credit(opt, np.eye(k, dtype=bool)[j], horizon).sum() for j in range(k)])
    operating = float(((opt.opex_usd_per_t - price) * per_option * pick).sum())
    return {
        "options": " + ".join(n for n, c in zip(opt.names, pick, strict=True) if c) or "none",
        "n_options": int(pick.sum()), "capex_usd": capex,
        "delivered_t": float(credit(opt, pick, horizon).sum()), "operating_net_usd": operating,
        "co2e_t": float((opt.co2_t_per_t * per_option * pick).sum()),
        "stock_t": stock, "stock_cost_usd": cost_per_t * stock,
        "expected_unmet_no_stock_t": float(unmet.mean()),
        "expected_loss_left_usd": rest - cost_per_t * stock,
        "total_usd": capex + operating + rest, "_pick": pick,
    }  # fmt: skip


def _online_steps(table: pd.DataFrame, opt: OptionArrays) -> pd.DataFrame:
    """The stock as the options come online one after another (in order of lead time)."""
    order = [int(j) for j in np.argsort(opt.lead_months, kind="stable")]
    steps = []
    for n in range(len(order) + 1):
        sub = np.zeros(len(opt.names), bool)
        sub[order[:n]] = True
        row = table[table["_pick"].map(lambda p, s=sub: bool(np.array_equal(p, s)))]
        if not row.empty:
            steps.append({"options_online": " + ".join(opt.names[j] for j in order[:n]) or "none",
                          "stock_t": float(row["stock_t"].iloc[0]),
                          "total_usd": float(row["total_usd"].iloc[0])})  # fmt: skip
    return pd.DataFrame(steps)


def options_result(rep: OptionsReport) -> Outcome:
    """An options study as every face shows it (critmat.usecases)."""
    return Outcome(tables=rep.tables(), readme={"spec": rep.spec.name, **rep.inputs},
                   main="portfolios")  # fmt: skip


def check_options_request(ds: Dataset, req: OptionsRequest) -> None:
    """An options request is refused now for a catalogue that does not validate."""

    load_yaml_text(req.yaml, OptionsSpec, "options spec", "the options YAML")


def options_outcome(
    ds: Dataset, req: OptionsRequest, progress: Callable[[int], None] | None = None
) -> Outcome:
    """The registry's runner."""
    return options_result(run_options(ds, text=req.yaml))
