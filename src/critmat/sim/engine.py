"""The vectorised monthly stock-flow engine (one chunk of runs at a time).

State and flows are arrays over (run, material); the only loop is over months, and each step
works on whole arrays (float32). Per month t, for each run and material (docs/methods.md):

    L_d  = direct loss of the holder's supply (events x import shares), minus front-running
    L_w  = world supply loss (events x world export shares for restrictions and withholding,
           x world production shares for outages), drives the price
    R    = replacement by other suppliers: min(L_d, spare * min(1, months disrupted / ramp))
    draw = min(stocks, L_w), Le = L_w - draw                          (world stocks absorb it)
    I    = kappa * (L_w - Lbar),  Lbar += (L_w - Lbar) / tau           (precautionary stocks)
    p    = p0 * clip(((1 + I) / (1 - Le)) ** (1 / (eta - eps_m)), floor, cap)
    D    = D0 * (1 + shock) * (p / p0) ** (eps * a) * (1 - substitution),  a = min(1, n / 12)
           (n: months the price has been above base: demand adjusts over a year)
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


def _policy_draw(rule: DrawRule, stock: F32, shortfall: F32, demand: F32, most: F32) -> F32:
    """This month's release of the rule's material for every run (vectorised over runs)."""
    i = rule.material
    share = shortfall[:, i] / np.maximum(demand[:, i], np.float32(1e-30))
    state = np.searchsorted(rule.thresholds, share, side="right")
    level = np.clip(np.searchsorted(rule.levels, stock[:, i], side="right") - 1, 0, None)
    target = rule.next_level[state, level]
    pace = np.maximum(stock[:, i] - target, 0.0) / np.float32(rule.months_per_period)
    out: F32 = np.minimum(np.minimum(pace, shortfall[:, i]), most[:, i]).astype(np.float32)
    return out


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


def _slot_coefficients(market: Market, ev: EventTable) -> dict[str, F32]:
    j = np.arange(ev.n)
    c = np.maximum(ev.country, 0)
    has_c = (ev.country >= 0).astype(np.float32)
    imp = market.import_share[ev.mat, c] * has_c if ev.n else np.zeros(0, np.float32)
    wsh = market.world_share[ev.stage, ev.mat, c] * has_c if ev.n else np.zeros(0, np.float32)
    xsh = market.export_share[ev.mat, c] * has_c if ev.n else np.zeros(0, np.float32)
    # an export restriction or withholding removes the country's exports from the world market;
    # an outage removes its production (world supply share at the stage)
    exporting = np.isin(ev.kind, [KINDS.index("export_restriction"), KINDS.index("withholding")])
    wsh = np.where(exporting, xsh, wsh)
    kind = ev.kind
    hits = np.isin(
        kind, [KINDS.index(k) for k in ("export_restriction", "embargo", "outage", "withholding")]
    )
    world_kinds = np.isin(
        kind, [KINDS.index(k) for k in ("export_restriction", "outage", "withholding")]
    )
    del j
    # a restriction by the holder's own country keeps its domestic market supplied: it moves the
    # rest-of-world price, not the price the holder pays (the price split of targeted bans)
    own = np.isin(
        ev.country, [market.countries.index(c) for c in market.members if c in market.countries]
    )
    return {
        "world_holder": (ev.world * wsh * world_kinds * ~(own & exporting)).astype(np.float32),
        "direct": (ev.direct * imp * hits).astype(np.float32),
        "world": (ev.world * wsh * world_kinds).astype(np.float32),
        "frontrun": (ev.fr * imp * (kind == KINDS.index("export_restriction"))).astype(np.float32),
        "choke": (ev.route_share * (kind == KINDS.index("chokepoint"))).astype(np.float32),
        "demand": (ev.demand_scale * (kind == KINDS.index("demand_shock"))).astype(np.float32),
        "restr": (kind == KINDS.index("export_restriction")).astype(np.float32),
    }


@dataclass(frozen=True)
class _PriceLaw:
    """Constants of the world price response (docs/methods.md, "Price response")."""

    # per-run parameter draws make kappa, buffer and long_inv [S, 1] arrays (else scalars)
    expo: F32  # [1, M] 1 / (eta - eps), or [S, M] with per-run elasticities
    kappa: Any  # precautionary demand strength
    tau_inv: np.float32  # 1 / memory of the loss, months
    buffer: Any  # world stocks that absorb a loss, months of world supply
    refill_inv: np.float32  # 1 / months to rebuild them after the loss
    floor: np.float32
    cap: np.float32
    long: np.float32  # eta_l - eps_l, the long-run response (0: off)
    long_inv: Any  # 1 / months for the response to reach it

    @property
    def has_kappa(self) -> bool:
        return bool(np.any(self.kappa))

    @property
    def has_buffer(self) -> bool:
        return bool(np.any(self.buffer))

    @property
    def has_long(self) -> bool:
        return bool(self.long > 0 and np.any(self.long_inv))


@dataclass
class _PriceState:
    """Per run and material: the market's memory of the loss, the stocks left, and how many
    months the current loss has lasted."""

    lbar: F32
    stock: F32
    age: F32 | None = None


def _price_ratio(loss: npt.NDArray[Any], st: _PriceState, law: _PriceLaw) -> F32:
    """Price / base price for a world supply loss ``L`` (updates ``st`` in place)::

    draw = min(stock, L)          (stocks cover the loss while they last)
    Le   = L - draw;  I = kappa (L - Lbar);  p/p0 = clip(((1 + I) / (1 - Le)) ** expo, ...)
    expo = 1 / (e_s + (e_l - e_s) (1 - exp(-age / T)))   with the long-run response on
    """
    eff = loss
    if law.has_buffer:
        draw = np.minimum(st.stock, loss)
        eff = loss - draw
        refill = np.where(loss > 0, 0.0, (law.buffer - st.stock) * law.refill_inv)
        st.stock += refill - draw
    if law.has_kappa:  # precautionary stocks build on a fresh loss and come back as it fades
        inv = np.maximum(law.kappa * (loss - st.lbar), -0.9)
        st.lbar += (loss - st.lbar) * law.tau_inv
        base = (1.0 + inv) / (1.0 - eff)
    else:
        base = 1.0 / (1.0 - eff)
    expo = law.expo
    if law.has_long and st.age is not None:  # demand and supply respond more as the loss lasts
        st.age = np.where(loss > 0, st.age + 1.0, 0.0).astype(np.float32)
        short = 1.0 / law.expo
        expo = 1.0 / (short + (law.long - short) * -np.expm1(-st.age * law.long_inv))
    with np.errstate(over="ignore"):  # an overflow is a price above the cap: clipped
        out: F32 = np.clip(base**expo, law.floor, law.cap).astype(np.float32)
    return out


def simulate_chunk(
    market: Market,
    params: SimParams,
    ev: EventTable,
    draws: Draws,
    stockpile: Stockpile,
    horizon: int,
    keep_full: bool | int,
    engine: str = "fused",
) -> dict[str, npt.NDArray[np.float32] | npt.NDArray[np.int32]]:
    """Simulate one chunk of runs; returns per-run aggregates and, if asked, full paths.

    Aggregates are [S, M] (and [S, M, K] for sector outages); full paths are [S, M, T] for the
    first ``keep_full`` runs (``True``: all). ``engine`` is ``"fused"`` (the compiled kernel,
    critmat.sim.kernel) or ``"numpy"`` (the array passes below; same equations and draws).
    """
    if engine not in ("fused", "numpy"):
        raise ValueError(f"engine must be 'fused' or 'numpy', not {engine!r}")
    s_n, m_n, k_n = draws.start.shape[0], market.n_materials, len(market.sectors)
    coef = _slot_coefficients(market, ev)
    onehot = np.zeros((ev.n, m_n), np.float32)
    onehot[np.arange(ev.n), ev.mat] = 1.0
    d0 = market.demand0[None, :]
    p0 = market.price0[None, :]
    r = market.recycling[None, :]
    eps = params.demand_elasticity(market.materials)[None, :]
    f = draws.factors
    if "elasticity" in f:  # per-run parameter draws (SimParams.uncertainty)
        eps = (eps * f["elasticity"][:, None]).astype(np.float32)
    # price exponent 1 / (eta - eps) > 0 (docs/methods.md, "Price response")
    expo = (1.0 / (np.float32(params.supply_elasticity) - eps)).astype(np.float32)

    def per_run(name: str, value: float) -> Any:  # a per-run factor, if drawn, on a [S, 1] axis
        v = np.float32(value)
        return (v * f[name][:, None]).astype(np.float32) if name in f else v

    months = per_run("long_run_months", params.long_run_months)
    law = _PriceLaw(
        expo,
        per_run("precaution", params.precaution),
        np.float32(1.0 / max(params.precaution_months, 1.0)),
        per_run("buffer_months", params.buffer_months),
        np.float32(1.0 / max(params.buffer_refill_months, 1.0)),
        np.float32(params.price_floor),
        np.float32(params.price_cap),
        np.float32(params.long_run_response),
        (1.0 / np.maximum(months, np.float32(1e-6))).astype(np.float32)
        if params.long_run_response > 0
        else np.float32(0.0),
    )
    share_k = market.sector_share
    before = np.cumsum(share_k, axis=1) - share_k
    out_cut = np.where(
        share_k > 0, before + (1.0 - params.outage_threshold) * share_k, -1.0
    ).astype(np.float32)[None, :, :]
    # loss per tonne short from downstream value added (critmat.sim.loss, docs/methods.md 6.7)
    va = loss_per_tonne(market, params).astype(np.float32)[None, :]
    stop_extra = np.float32(params.loss_line_stop - 1.0)
    stop_share = np.float32(params.outage_threshold)
    if "loss" in f:
        va = (va * f["loss"][:, None]).astype(np.float32)
    spare = np.float32(params.spare_capacity)
    spare_run = (
        (spare * f["spare_capacity"][:, None]).astype(np.float32)
        if "spare_capacity" in f
        else spare
    )
    if engine == "fused":
        n_keep = s_n if keep_full is True else int(keep_full)
        return _fused(
            market, ev, draws, stockpile, horizon, coef, law, eps, expo, va, spare_run,
            (out_cut[0], before, share_k), params, n_keep,
        )  # fmt: skip
    keep_full = bool(keep_full)
    start, dur = draws.start, draws.duration
    sev = draws.severity
    lag, quota = ev.lag[None, :], ev.quota[None, :]
    frm = ev.fr_months[None, :]
    delay, loss = ev.delay[None, :], ev.loss[None, :]
    stock = np.broadcast_to(stockpile.stock0[None, :], (s_n, m_n)).astype(np.float32).copy()
    floor = stockpile.floor[None, :]
    max_rel = stockpile.max_release[None, :]
    dis_months = np.zeros((s_n, m_n), np.float32)
    high_months = np.zeros((s_n, m_n), np.float32)
    elevated = np.zeros((s_n, m_n), np.float32)
    adjust = np.float32(1.0 / max(params.demand_adjust_months, 1))
    acc = {
        k: np.zeros((s_n, m_n), np.float32)
        for k in ("shortfall", "unmet", "release", "loss_usd", "loss_usd_nostock", "months_short")
    }
    acc["max_price_ratio"] = np.ones((s_n, m_n), np.float32)
    acc["max_row_price_ratio"] = np.ones((s_n, m_n), np.float32)
    acc["min_stock"] = stock.copy()
    acc["outage_months"] = np.zeros((s_n, m_n, k_n), np.float32)
    acc["unmet_by_sector"] = np.zeros((s_n, m_n, k_n), np.float32)
    before_k = before.astype(np.float32)[None, :, :]
    share_k3 = share_k.astype(np.float32)[None, :, :]
    any_outage = np.zeros(s_n, np.float32)
    full = (
        {v: np.zeros((s_n, m_n, horizon), np.float32) for v in FULL_VARIABLES} if keep_full else {}
    )
    tol = np.float32(1e-5) * d0
    restr = coef["restr"][None, :] > 0
    has_quota = bool(np.any(ev.quota > 0))
    has_frontrun = bool(np.any(coef["frontrun"] > 0))
    has_choke = bool(np.any(coef["choke"] > 0))
    has_demand = bool(np.any(coef["demand"] > 0))
    has_own = bool(np.any(coef["world_holder"] != coef["world"]))
    zero = np.zeros((s_n, m_n), np.float32)
    ratio = np.ones((s_n, m_n), np.float32)
    world_st = _PriceState(
        np.zeros((s_n, m_n), np.float32),
        np.broadcast_to(law.buffer, (s_n, m_n)).astype(np.float32),
        np.zeros((s_n, m_n), np.float32) if law.has_long else None,
    )
    holder_st = _PriceState(
        world_st.lbar.copy(),
        world_st.stock.copy(),
        None if world_st.age is None else world_st.age.copy(),
    )
    for t in range(horizon):
        since = t - start
        active = (since >= 0) & (since < dur)
        eff = sev * active
        if has_quota:  # after the licensing lag only (1 - quota) of the cut remains
            eff *= np.where(restr & (since >= lag), 1.0 - quota, 1.0).astype(np.float32)
        direct = eff * coef["direct"]
        if has_frontrun:  # exports surge in the months before a restriction bites
            direct -= ((since < 0) & (since >= -frm)) * coef["frontrun"]
        if has_choke:  # a blocked route: all of its flow for delay_months, then the lost share
            direct += active * np.where(since < delay, 1.0, loss) * coef["choke"]
        l_d = np.clip(direct.astype(np.float32) @ onehot, -1.0, 1.0)
        l_w = np.clip((eff * coef["world"]) @ onehot, 0.0, 0.95)
        l_w_holder = np.clip((eff * coef["world_holder"]) @ onehot, 0.0, 0.95) if has_own else l_w
        shock = (eff * coef["demand"]) @ onehot if has_demand else zero
        dis_months = np.where(l_d > 0, dis_months + 1.0, 0.0)
        ramp = np.minimum(dis_months / np.float32(params.ramp_months), 1.0)
        repl = np.minimum(np.maximum(l_d, 0.0), spare_run * ramp)
        ratio_row = _price_ratio(l_w, world_st, law)
        ratio = _price_ratio(l_w_holder, holder_st, law) if has_own else ratio_row
        high_months += ratio > params.high_price
        sub = np.minimum(params.substitution_max, params.substitution_rate * high_months)
        # demand adjusts to a price rise over demand_adjust_months (short run: nearly fixed)
        elevated = np.where(ratio > 1.0001, elevated + 1.0, 0.0)
        adj = np.minimum(elevated * adjust, 1.0)
        # a price below base (stocks coming back) does not create demand beyond the baseline
        demand = d0 * (1.0 + shock) * np.maximum(ratio, 1.0) ** (eps * adj) * (1.0 - sub)
        primary = d0 * (1.0 - r) * (1.0 - l_d + repl)
        recyc = d0 * r
        # below 1e-5 of baseline demand a gap is float32 rounding, not a shortfall
        gap = demand - primary - recyc
        if stockpile.own_supply is not None:
            own = stockpile.own_supply
            gap = gap - own[:, min(t, own.shape[1] - 1)][None, :]
        shortfall = np.where(gap > tol, gap, 0.0).astype(np.float32)
        trigger = (shortfall > stockpile.trigger_shortfall * demand) | (
            ratio > stockpile.trigger_price
        )
        room = np.maximum(stock - floor, 0.0)
        release = np.where(trigger, np.minimum(np.minimum(shortfall, max_rel), room), 0.0)
        if stockpile.draw is not None:
            release[:, stockpile.draw.material] = _policy_draw(
                stockpile.draw, stock, shortfall, demand, np.minimum(max_rel, room)
            )
        stock -= release
        unmet = shortfall - release
        consumption = demand - unmet
        recyc_used = np.minimum(recyc, consumption)
        if unmet.any():
            # sector k (priority order) is served after sectors 0..k-1: it is in outage when
            # consumption / demand < cumshare_{k-1} + (1 - threshold) * share_k
            frac = consumption / np.maximum(demand, np.float32(1e-30))
            out_k = (frac[:, :, None] < out_cut) & (unmet[:, :, None] > 0)
            acc["outage_months"] += out_k
            any_outage += out_k.any(axis=(1, 2))
            # served_k = clip(frac - cumshare_{k-1}, 0, share_k) of demand; the rest is unmet
            served = np.clip(frac[:, :, None] - before_k, 0.0, share_k3)
            short_k = (share_k3 - served) * demand[:, :, None]
            # only where demand is unmet, so a run's result never depends on its chunk-mates
            acc["unmet_by_sector"] += np.where(unmet[:, :, None] > 0, short_k, 0.0)
        acc["shortfall"] += shortfall
        acc["unmet"] += unmet
        acc["release"] += release
        acc["months_short"] += unmet > 0
        if unmet.any():  # a month with more than the threshold unmet stops whole lines
            acc["loss_usd"] += unmet * va * (1.0 + stop_extra * (unmet > stop_share * demand))
        if shortfall.any():
            lost = shortfall * va * (1.0 + stop_extra * (shortfall > stop_share * demand))
            acc["loss_usd_nostock"] += lost
        np.maximum(acc["max_price_ratio"], ratio, out=acc["max_price_ratio"])
        np.maximum(acc["max_row_price_ratio"], ratio_row, out=acc["max_row_price_ratio"])
        np.minimum(acc["min_stock"], stock, out=acc["min_stock"])
        if keep_full:
            for name, val in (
                ("supply", consumption - release - recyc_used),
                ("recycling", recyc_used),
                ("release", release),
                ("consumption", consumption),
                ("demand", demand),
                ("shortfall", shortfall),
                ("unmet", unmet),
                ("price", ratio * p0),
                ("price_row", ratio_row * p0),
                ("stock", stock),
            ):
                full[name][:, :, t] = val
    out: dict[str, npt.NDArray[np.float32] | npt.NDArray[np.int32]] = {
        **acc,
        "any_outage_months": any_outage,
        "final_stock": stock,
        # the price a stock left at the end of the horizon is worth (ratio to the base price)
        "final_price_ratio": ratio,
    }
    out.update({f"full_{k}": v for k, v in full.items()})
    return out


def _fused(
    market: Market,
    ev: EventTable,
    draws: Draws,
    sp: Stockpile,
    horizon: int,
    coef: dict[str, F32],
    law: _PriceLaw,
    eps: Any,
    expo: Any,
    va: Any,
    spare: Any,
    sectors: tuple[Any, Any, Any],
    params: SimParams,
    n_keep: int,
) -> dict[str, npt.NDArray[np.float32] | npt.NDArray[np.int32]]:
    """Prepare the arrays of the compiled kernel (critmat.sim.kernel) and run it."""
    from critmat.sim.kernel import fused_chunk

    s_n, m_n = draws.start.shape[0], market.n_materials
    f64 = np.float64

    def runs(v: Any) -> npt.NDArray[np.float64]:  # a scalar or [S, 1] per-run value -> [S]
        return np.broadcast_to(np.asarray(v, f64).reshape(-1), (s_n,)).copy()

    def cells(v: Any) -> npt.NDArray[np.float64]:  # [1, M] or [S, M] -> [S, M]
        return np.ascontiguousarray(np.broadcast_to(np.asarray(v, f64), (s_n, m_n)))

    order = np.argsort(ev.mat, kind="stable").astype(np.int64)
    ptr = np.searchsorted(ev.mat[order], np.arange(m_n + 1)).astype(np.int64)
    rule = sp.draw
    dummy = np.zeros(1, np.float32)
    scal = np.array(
        [
            law.tau_inv, law.refill_inv, law.floor, law.cap, law.long,
            params.ramp_months, params.high_price, params.substitution_max,
            params.substitution_rate, 1.0 / max(params.demand_adjust_months, 1),
            params.loss_line_stop - 1.0, params.outage_threshold,
            sp.trigger_shortfall, sp.trigger_price,
        ],
        f64,
    )  # fmt: skip
    out_cut, before, share = (np.ascontiguousarray(x, f64) for x in sectors)
    out = fused_chunk(
        start=np.ascontiguousarray(draws.start), dur=np.ascontiguousarray(draws.duration),
        sev=np.ascontiguousarray(draws.severity), slot_ptr=ptr, slot_idx=order,
        c_direct=coef["direct"].astype(f64), c_world=coef["world"].astype(f64),
        c_world_holder=coef["world_holder"].astype(f64), c_frontrun=coef["frontrun"].astype(f64),
        c_choke=coef["choke"].astype(f64), c_demand=coef["demand"].astype(f64),
        restr=coef["restr"] > 0, lag=ev.lag, quota=ev.quota.astype(f64), frm=ev.fr_months,
        delay=ev.delay, choke_loss=ev.loss.astype(f64),
        d0=market.demand0.astype(f64), p0=market.price0.astype(f64),
        rec=market.recycling.astype(f64), eps=cells(eps), expo=cells(expo),
        kappa=runs(law.kappa), buffer=runs(law.buffer), long_inv=runs(law.long_inv),
        spare=runs(spare), va=cells(va), scal=scal, stock0=sp.stock0.astype(f64),
        floor_m=sp.floor.astype(f64), max_rel=sp.max_release.astype(f64),
        out_cut=out_cut, before=before, share=share,
        own=np.zeros((m_n, 0)) if sp.own_supply is None else sp.own_supply.astype(f64),
        draw_mat=-1 if rule is None else rule.material,
        draw_levels=dummy if rule is None else rule.levels,
        draw_thresholds=dummy[:0] if rule is None else rule.thresholds,
        draw_next=dummy[None, :] if rule is None else rule.next_level,
        draw_months=12.0 if rule is None else float(rule.months_per_period),
        horizon=horizon, has_own_price=bool(np.any(coef["world_holder"] != coef["world"])),
        has_long=law.has_long, n_keep=n_keep,
    )  # fmt: skip
    full = out.pop("_full")
    res: dict[str, npt.NDArray[np.float32] | npt.NDArray[np.int32]] = dict(out)
    if n_keep:
        for i, v in enumerate(FULL_VARIABLES):
            res[f"full_{v}"] = full[i]
    return res
