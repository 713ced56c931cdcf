"""Preparing a chunk of runs for the monthly step (critmat.sim.kernel) and running it.

The step itself is written once, as named stages, in :mod:`critmat.sim.kernel` (supply, world
market and price, demand, release, unmet demand and loss); this module turns a market, the
parameters, the event slots and the per-run draws into the kernel's arrays. Per month t, for
each run and material (docs/methods.md, "The monthly step"):

    L_d  = direct loss of the holder's supply (events x import shares), minus front-running
    L_w  = world supply loss (events x world export shares for restrictions and withholding,
           x world production shares for outages), drives the price
    R    = replacement by other suppliers: min(L_d, spare * min(1, months disrupted / ramp))
    draw = min(stocks, L_w), Le = L_w - draw                          (world stocks absorb it)
    I    = kappa * (L_w - Lbar),  Lbar += (L_w - Lbar) / tau           (precautionary stocks)
    p    = p0 * clip(((1 + I) / (1 - Le)) ** (1 / (eta - eps_m)), floor, cap)
    D    = D0 * (1 + shock) * (p / p0) ** (eps * a) * (1 - substitution),  a = min(1, n / 12)
    A    = D0 * (1 - r) * (1 - L_d + R) + D0 * r                      (primary + recycling)
    S    = max(D - A, 0)                                              shortfall
    rel  = min(S, max release, stock - floor) when triggered          stockpile release
    U    = S - rel                                                    unmet demand
    consumption = D - U;  supply_used + recycling_used + rel = consumption

Unmet demand is allocated to sectors in priority order (defence first): each sector is served in
turn until consumption runs out; a sector is in outage when more than ``outage_threshold`` of its
demand is unmet, i.e. when consumption / demand < cumshare_{k-1} + (1 - threshold) * share_k.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from critmat.sim.events import KINDS, EventTable
from critmat.sim.kernel import fused_chunk
from critmat.sim.loss import loss_per_tonne
from critmat.sim.market import Market, SimParams

__all__ = ["FULL_VARIABLES", "DrawRule", "Draws", "Stockpile", "simulate_chunk"]

F32 = npt.NDArray[np.float32]
FULL_VARIABLES = (
    "supply",
    "recycling",
    "release",
    "consumption",
    "demand",
    "shortfall",
    "unmet",
    "price",
    "price_row",
    "stock",
)


@dataclass(frozen=True)
class DrawRule:
    """A state- and stock-dependent release rule for one material (a solved Markov policy,
    critmat.optimize.policy): the market state each month is the shortfall's share of demand
    binned by ``thresholds`` (state 0 below the first); at stock level ``levels[j]`` (the grid
    level at or below the stock) in state ``s`` the rule draws towards ``next_level[s, j]`` at
    ``1 / months_per_period`` of the gap a month, never more than the shortfall."""

    material: int
    levels: F32  # [L] t of the basis, ascending
    thresholds: F32  # [S - 1] shortfall share of demand, ascending
    next_level: F32  # [S, L] t
    months_per_period: float = 12.0


@dataclass(frozen=True)
class Stockpile:
    """A reserve per material with its release policy (t, t/month)."""

    stock0: F32
    max_release: F32
    floor: F32
    trigger_shortfall: float = 0.05
    trigger_price: float = 1.5
    draw: DrawRule | None = None  # replaces the triggers for its material
    #: the holder's own added supply (mitigation options) per material and month, t/month
    #: ``[M, T]`` (the last month repeats beyond T); it closes the gap before any shortfall
    own_supply: F32 | None = None

    @classmethod
    def empty(cls, n_materials: int) -> Stockpile:
        z = np.zeros(n_materials, np.float32)
        return cls(z, z, z)


@dataclass
class Draws:
    """Per-run draws for J event slots."""

    start: npt.NDArray[np.int32]  # [S, J] month
    duration: npt.NDArray[np.int32]  # [S, J] months
    severity: F32  # [S, J]
    factors: dict[str, F32] = field(default_factory=dict)  # per-run parameter factors [S]


def _slot_coefficients(
    market: Market, ev: EventTable, leakage: npt.NDArray[np.float64] | None = None
) -> dict[str, F32]:
    c = np.maximum(ev.country, 0)
    has_c = (ev.country >= 0).astype(np.float32)
    imp = market.import_share[ev.mat, c] * has_c if ev.n else np.zeros(0, np.float32)
    wsh = market.world_share[ev.stage, ev.mat, c] * has_c if ev.n else np.zeros(0, np.float32)
    xsh = market.export_share[ev.mat, c] * has_c if ev.n else np.zeros(0, np.float32)
    kind = ev.kind
    # an export restriction or withholding removes the country's exports from the world market;
    # an outage removes its production (world supply share at the stage)
    exporting = np.isin(kind, [KINDS.index("export_restriction"), KINDS.index("withholding")])
    wsh = np.where(exporting, xsh, wsh)
    hits = np.isin(
        kind, [KINDS.index(k) for k in ("export_restriction", "embargo", "outage", "withholding")]
    )
    world_kinds = np.isin(
        kind, [KINDS.index(k) for k in ("export_restriction", "outage", "withholding")]
    )
    embargo = kind == KINDS.index("embargo")
    # leakage: the share of a restricted or embargoed flow still reaching buyers through third
    # countries (docs/methods.md 6.3); an outage has none
    leak = leakage[ev.mat] if leakage is not None and ev.n else np.zeros(ev.n)
    keep = np.where(exporting | embargo, 1.0 - leak, 1.0).astype(np.float32)
    # an embargo diverts the target's imports to the rest of the world's suppliers: the world
    # market loses the part that finds no other seller (``ev.world``, targeted_world_factor)
    # of them (t/yr of the target's imports from the country / world exports, t/yr)
    size = market.world_exports_t[ev.mat] if market.world_exports_t.size and ev.n else None
    diverted = (
        np.where(
            size > 0,
            imp * market.demand0[ev.mat] * 12.0 * (1.0 - market.recycling[ev.mat])
            / np.maximum(size, 1e-30), 0.0,
        )
        if size is not None else np.zeros(ev.n, np.float32)
    )  # fmt: skip
    # a restriction by the holder's own country keeps its domestic market supplied: it moves the
    # rest-of-world price, not the price the holder pays (the price split of targeted bans)
    own = np.isin(
        ev.country, [market.countries.index(c) for c in market.members if c in market.countries]
    )
    world = ev.world * (wsh * world_kinds + ev.direct * diverted * embargo)
    return {
        "world_holder": (world * ~(own & exporting) * keep).astype(np.float32),
        "direct": (ev.direct * imp * hits * keep).astype(np.float32),
        "world": (world * keep).astype(np.float32),
        "frontrun": (ev.fr * imp * (kind == KINDS.index("export_restriction"))).astype(np.float32),
        "choke": (ev.route_share * (kind == KINDS.index("chokepoint"))).astype(np.float32),
        "demand": (ev.demand_scale * (kind == KINDS.index("demand_shock"))).astype(np.float32),
        "restr": (kind == KINDS.index("export_restriction")).astype(np.float32),
        "target": (ev.direct * imp * embargo * keep).astype(np.float32),
    }


def _slot_table(
    market: Market, ev: EventTable, leakage: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """The kernel's per-slot constants as one ``[13, J]`` float64 table, rows in the order
    critmat.sim.kernel.supply_stage reads them."""
    c = _slot_coefficients(market, ev, leakage)
    rows = (
        c["direct"], c["world"], c["world_holder"], c["frontrun"], c["choke"], c["demand"],
        c["restr"], ev.lag, ev.quota, ev.fr_months, ev.delay, ev.loss, c["target"],
    )  # fmt: skip
    return np.ascontiguousarray(np.stack([np.asarray(r, np.float64) for r in rows]))


def market_array(market: Market, name: str, params: SimParams) -> npt.NDArray[np.float64]:
    """A world-market parameter per material ([M], critmat.sim.market.Market.response), zero
    when ``params.world_market`` is off."""
    v = market.response.get(name)
    if not params.world_market or v is None:
        return np.zeros(market.n_materials)
    return np.asarray(v, np.float64)


def _stocks(market: Market, params: SimParams, factor: npt.NDArray[np.float64]) -> Any:
    """Market stocks at rest [S, M], months of world-market supply: ``buffer_months`` when set
    (one figure for every material, the first version's market), else each material's own
    (``market_response``), times the run's drawn factor."""
    if params.buffer_months > 0 or not params.world_market:
        per_m = np.full(market.n_materials, params.buffer_months)
    else:
        per_m = market_array(market, "stock_months", params)
    return np.ascontiguousarray(factor[:, None] * per_m[None, :])


def simulate_chunk(
    market: Market,
    params: SimParams,
    ev: EventTable,
    draws: Draws,
    stockpile: Stockpile,
    horizon: int,
    keep_full: bool | int,
) -> dict[str, npt.NDArray[np.float32] | npt.NDArray[np.int32]]:
    """Simulate one chunk of runs with the compiled monthly step (critmat.sim.kernel).

    Returns per-run aggregates [S, M] (and [S, M, K] for sector outages) and, for the first
    ``keep_full`` runs (``True``: all), full monthly paths [S, M, T] under ``full_<variable>``.
    """

    s_n, m_n = draws.start.shape[0], market.n_materials
    n_keep = s_n if keep_full is True else int(keep_full)
    f = draws.factors
    f64 = np.float64

    def runs(value: float, name: str) -> npt.NDArray[np.float64]:  # [S], a drawn factor or 1
        v = np.full(s_n, value, f64)
        return v * f[name].astype(f64) if name in f else v

    def cells(v: npt.NDArray[Any]) -> npt.NDArray[np.float64]:  # [M] or [S, M] -> [S, M]
        return np.ascontiguousarray(np.broadcast_to(np.asarray(v, f64), (s_n, m_n)))

    # per-run parameter draws (SimParams.uncertainty) scale the demand elasticity and the loss
    # per tonne short (from downstream value added: critmat.sim.loss, docs/methods.md 6.7)
    eps_m = params.demand_elasticity(market.materials).astype(f64)
    eps = eps_m[None, :] * runs(1.0, "elasticity")[:, None]
    va = loss_per_tonne(market, params).astype(f64)[None, :] * runs(1.0, "loss")[:, None]
    # price exponent 1 / (eta - eps) > 0 (docs/methods.md, "Price response")
    expo = 1.0 / (params.supply_elasticity - eps)
    long_on = params.long_run_response > 0
    months = runs(params.long_run_months, "long_run_months")
    share, before, out_cut = _sector_cuts(market, params)
    order = np.argsort(ev.mat, kind="stable").astype(np.int64)
    ptr = np.searchsorted(ev.mat[order], np.arange(m_n + 1)).astype(np.int64)
    table = _slot_table(market, ev, market_array(market, "leakage", params))
    rule = stockpile.draw
    dummy = np.zeros(1, np.float32)
    out = fused_chunk(
        start=np.ascontiguousarray(draws.start), dur=np.ascontiguousarray(draws.duration),
        sev=np.ascontiguousarray(draws.severity), slot_ptr=ptr, slot_idx=order, ev=table,
        d0=market.demand0.astype(f64), p0=market.price0.astype(f64),
        rec=market.recycling.astype(f64),
        imported=np.clip(market.import_share.sum(axis=1), 0.0, 1.0).astype(f64),
        eps=cells(eps), expo=cells(expo),
        kappa=runs(params.precaution, "precaution"),
        buffer=_stocks(market, params, runs(1.0, "buffer_months")),
        resp=market_array(market, "response_share", params),
        lead=market_array(market, "response_lead_months", params),
        ramp_inv=1.0 / np.maximum(market_array(market, "response_ramp_months", params), 1.0),
        long_inv=1.0 / np.maximum(months, 1e-6) if long_on else np.zeros(s_n),
        spare=runs(params.spare_capacity, "spare_capacity"), va=cells(va),
        scal=_scalars(params, stockpile),
        switch_inv=1.0 / np.maximum(runs(params.switch_months, "switch_months"), 1e-6)
        if params.world_market else np.zeros(s_n),
        stock0=stockpile.stock0.astype(f64), floor_m=stockpile.floor.astype(f64),
        max_rel=stockpile.max_release.astype(f64),
        out_cut=np.ascontiguousarray(out_cut), before=np.ascontiguousarray(before),
        share=np.ascontiguousarray(share),
        own=np.zeros((m_n, 0)) if stockpile.own_supply is None
        else stockpile.own_supply.astype(f64),
        draw_mat=-1 if rule is None else rule.material,
        draw_levels=dummy if rule is None else rule.levels,
        draw_thresholds=dummy[:0] if rule is None else rule.thresholds,
        draw_next=dummy[None, :] if rule is None else rule.next_level,
        draw_months=12.0 if rule is None else float(rule.months_per_period),
        horizon=horizon, has_own_price=bool(np.any(table[2] != table[1])),
        has_long=long_on and bool(np.any(months > 0)), n_keep=n_keep,
    )  # fmt: skip
    full = out.pop("_full")
    res: dict[str, npt.NDArray[np.float32] | npt.NDArray[np.int32]] = dict(out)
    if n_keep:
        for i, v in enumerate(FULL_VARIABLES):
            res[f"full_{v}"] = full[i]
    return res


def _scalars(params: SimParams, stockpile: Stockpile) -> npt.NDArray[np.float64]:
    """The kernel's float constants, in the order critmat.sim.kernel reads them (_SCALARS)."""
    return np.array(
        [
            1.0 / max(params.precaution_months, 1.0), 1.0 / max(params.buffer_refill_months, 1.0),
            params.price_floor, params.price_cap, params.long_run_response,
            params.ramp_months, params.high_price, params.substitution_max,
            params.substitution_rate, 1.0 / max(params.demand_adjust_months, 1),
            params.loss_line_stop - 1.0, params.outage_threshold,
            stockpile.trigger_shortfall, stockpile.trigger_price,
            params.stock_price_beta if params.world_market else 0.0,
            params.reroute_premium_max,
        ],
        np.float64,
    )  # fmt: skip


def _sector_cuts(
    market: Market, params: SimParams
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Per material and sector [M, K]: the sector's share of demand, the share served before
    it (sectors are cut in order) and the unmet share at which it is out (-1: no demand)."""
    share = market.sector_share.astype(np.float64)
    before = np.cumsum(share, axis=1) - share
    out_cut = np.where(share > 0, before + (1.0 - params.outage_threshold) * share, -1.0)
    return share, before, out_cut
