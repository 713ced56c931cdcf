"""The plan's tables beside the optimisation: the recommended stock per material with the
provenance of its price, consumption and loss, each material's storage class, and where every
number of the plan comes from. Tonnes and USD are of each material's basis."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd

from critmat.data.dataset import Dataset
from critmat.sim.engine import Stockpile
from critmat.sim.loss import loss_table
from critmat.sim.market import Market, SimParams
from critmat.sim.run import SimResult
from critmat.sim.scenario import Scenario

if TYPE_CHECKING:
    from critmat.optimize.plan import PlanConfig

__all__ = ["OTHER_CLASS", "composition_table", "provenance", "storage_classes"]

#: the storage class of a material the catalogue gives none (priced as the catalogue's "other")
OTHER_CLASS = "other"


def storage_classes(ds: Dataset, market: Market) -> list[str]:
    """Each simulated material's storage class (``other`` where the catalogue has none)."""
    classes_map = ds.materials.set_index("material")["storage_class"].to_dict()
    return [
        c if isinstance(c, str) and c else OTHER_CLASS  # no class in the catalogue: NaN
        for c in (classes_map.get(m) for m in market.materials)
    ]


def composition_table(
    market: Market,
    params: SimParams,
    x: npt.NDArray[np.float64],
    cap_t: npt.NDArray[np.float64],
    base: SimResult,
    current: Stockpile | None,
) -> pd.DataFrame:
    """The recommended stock per material with its price, consumption and loss provenance
    (t and USD of each material's basis), and the materials not planned with the reason."""
    info = market.info.set_index("material").reindex(market.materials)

    loss_t = loss_table(market, params)
    comp = pd.DataFrame(
        {
            "material": market.materials,
            "basis": market.basis,
            "optimal_t": x,
            "optimal_usd": x * market.price0,
            "days_of_cover": x / (market.demand0 * 12 / 365.25),
            "current_t": current.stock0 if current is not None else np.zeros(market.n_materials),
            "price_usd_per_t": market.price0,
            "price_unit": info["price_unit"].to_numpy(),
            "price_year": info["price_year"].to_numpy(),
            "price_age_years": info["price_age_years"].to_numpy(),
            "price_as_printed": info["price_as_printed"].to_numpy(),
            "price_source": info["price_source"].to_numpy(),
            "price_status": info["price_status"].to_numpy(),
            "consumption_t": info["consumption_t"].to_numpy(),
            "consumption_source": info["consumption_source"].to_numpy(),
            "balance_method": info["method"].to_numpy(),
            "cap_t": cap_t,
            "p95_shortfall_t": np.quantile(base.aggregates["shortfall"], 0.95, axis=0),
            "loss_usd_per_t": loss_t["loss_usd_per_t"].to_numpy(),
            "loss_to_price": loss_t["loss_to_price"].to_numpy(),
            "loss_status": loss_t["status"].to_numpy(),
        }
    )
    skipped = pd.DataFrame(
        {
            "material": list(market.not_simulated),
            "reason": [f"not planned: {r}" for r in market.not_simulated.values()],
        }
    )
    comp = pd.concat([comp.assign(reason=""), skipped], ignore_index=True)
    return comp


def provenance(
    market: Market, scenario: Scenario, params: SimParams, c: PlanConfig, eval_seed: int
) -> dict[str, str]:
    """Where each of the plan's numbers comes from (shown in every output)."""
    horizon = scenario.horizon_months
    unc = ", ".join(f"{k} x{lo:g}-{hi:g}" for k, (lo, hi) in sorted(params.uncertainty.items()))
    return {
        "dataset": f"critmat shipped dataset; holder {market.holder}; base year {c.year}",
        "parameter uncertainty": (
            f"per-run log-uniform draws: {unc} (elasticity range: literature short-run IQR)"
            if unc
            else "off: every run uses the point values (parameter_uncertainty: false)"
        ),
        "scenario set": f"{scenario.name}: {c.runs:,} runs (seed {c.seed}) for optimisation, "
        f"{c.eval_runs:,} fresh runs (seed {eval_seed}, spawned from {c.seed}) for evaluation, "
        f"{c.batches} batches for the SAA lower bound",
        "prices": "USD per t of each material's basis, base year: published series (USGS MCS, "
        "Argus via USGS, LME) converted in critmat.data.basis; the source and status of each "
        "are in the composition table",
        "quantities": "t of each material's basis (basis column): Li content, Ni, Co, Nd2O3, "
        "Dy2O3, Tb4O7 ...; holder consumption from critmat.risk.balance",
        "loss model": "unmet t x loss per t from downstream value added: EC 2023 end uses x "
        f"EU27 NACE value added / EU27 use x SI_EI x dependency {params.loss_dependency:g} "
        "(assumption, range 0.01-0.10), at least the price; x "
        f"{params.loss_line_stop:g} in the simulator's months with more than "
        f"{params.outage_threshold:.0%} unmet (lines stop); the sizing problem uses the base "
        "loss (`critmat loss` shows the derivation; docs/methods.md 6.7)",
        "stock left at the end": (
            "worth nothing (residual_value: false)"
            if not c.residual_value
            else f"{'the scenario' if c.residual_price == 'scenario' else 'the base'} price less "
            f"a {c.sell_spread_share:.0%} sale spread and {c.degradation_share_per_year:.1%}/yr "
            "degradation (assumptions)"
        ),
        "purchase": f"price plus a {c.buy_spread_share:.0%} spread (assumption)",
        "holding": f"storage {c.storage_cost_share:.1%} + insurance {c.insurance_share:.1%} + "
        f"financing {c.financing_rate:.1%} of value per year, {horizon} months",
    }
