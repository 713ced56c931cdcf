"""Mitigation options beyond stock: a catalogue of projects (a domestic mine, a processing
plant, recycling, a supply agreement with an ally, substitution) that add supply of a material
to the holder after a lead time, ramping up to a capacity; and the portfolio of options and
stock that costs least under one budget.

Arrays only. ``credit(options, horizon)`` is the extra supply per month the simulator adds to
the holder's own (critmat.sim.engine: it lowers the gap before any shortfall). For a subset of
options simulated with common random numbers, the stock is sized on the runs' totals: holding
``S`` tonnes removes ``min(S, u_w)`` of run ``w``'s unmet demand ``u_w`` at that run's loss per
tonne ``L_w = loss_w / u_w``; ``min_S c S + mean_w L_w (u_w - S)^+`` with ``p S <= budget -
capex`` is convex and piecewise linear, so its optimum is at a run's ``u_w``, at 0 or at the
budget's limit (exact on the sample). The chosen portfolio is then simulated with its stock on
the full model (releases month by month, prices responding).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from critmat.optimize.plan import PlanConfig

__all__ = ["Arr", "OptionArrays", "credit", "size_stock", "stock_cost_note", "stock_cost_per_t"]

Arr = npt.NDArray[np.float64]


@dataclass
class OptionArrays:
    """K options for one material: capex (USD), lead time and ramp (months), capacity (t/yr of
    the basis), operating cost (USD/t delivered) and footprint (t CO2e/t delivered)."""

    names: list[str]
    capex: Arr
    lead_months: Arr
    ramp_months: Arr
    capacity_t_per_year: Arr
    opex_usd_per_t: Arr
    co2_t_per_t: Arr


def credit(opt: OptionArrays, chosen: npt.NDArray[np.bool_], horizon: int) -> Arr:
    """Extra supply per month (t of the basis) of the chosen options: nothing before the lead
    time, then a linear ramp to capacity over the ramp months."""
    t = np.arange(horizon)[None, :]
    since = t - opt.lead_months[:, None]
    ramp = np.clip((since + 1) / np.maximum(opt.ramp_months[:, None], 1.0), 0.0, 1.0)
    ramp = np.where(since >= 0, ramp, 0.0)
    per_month = opt.capacity_t_per_year[:, None] / 12.0 * ramp  # [K, T]
    out: Arr = (per_month * chosen[:, None]).sum(axis=0)
    return out


def size_stock(unmet: Arr, loss: Arr, cost_per_t: float, price: float, budget: float
               ) -> tuple[float, float]:  # fmt: skip
    """(stock t, expected cost USD = cost_per_t S + mean loss left) on the runs' totals, with
    ``price S <= budget``. ``unmet`` and ``loss`` are per run (t, USD)."""
    if budget < 0:
        return 0.0, float("inf")
    per_t = np.where(unmet > 0, loss / np.where(unmet > 0, unmet, 1.0), 0.0)
    cap = budget / price if price > 0 else np.inf
    cand = np.unique(
        np.concatenate([[0.0], unmet[unmet <= cap], [min(cap, unmet.max(initial=0.0))]])
    )
    best = (0.0, float("inf"))
    for s in cand:  # at most runs + 2 candidates, each vectorised over the runs
        c = cost_per_t * s + float((per_t * np.maximum(unmet - s, 0.0)).mean())
        if c < best[1] - 1e-9 * max(1.0, abs(c)):
            best = (float(s), c)
    return best


def stock_cost_per_t(price: float, holding_share_per_year: float, years: float) -> float:
    """USD of holding one tonne bought at ``price`` (USD/t) over ``years``: the buy spread,
    the holding cost and degradation per year, and the sale spread, as shares of the price;
    the spreads and degradation are the plan's defaults (critmat.optimize.plan.PlanConfig:
    2%, 5%, 0.5%/yr), so an options study and a plan cost a tonne alike."""

    d = _plan_defaults()
    per_year = holding_share_per_year + d["degradation_share_per_year"]
    return price * (d["buy_spread_share"] + per_year * years + d["sell_spread_share"])


def _plan_defaults() -> dict[str, float]:
    keys = ("buy_spread_share", "sell_spread_share", "degradation_share_per_year")
    return {k: float(PlanConfig.model_fields[k].default) for k in keys}


def stock_cost_note(cost_per_t: float, holding_share_per_year: float, years: float) -> str:
    """What :func:`stock_cost_per_t` counted, in words (the defaults it read)."""
    d = _plan_defaults()
    return (
        f"{cost_per_t:,.0f} USD over {years:g} years (spreads {d['buy_spread_share']:.0%} + "
        f"{d['sell_spread_share']:.0%}, holding {holding_share_per_year:.1%}/yr, degradation "
        f"{d['degradation_share_per_year']:.1%}/yr)"
    )
