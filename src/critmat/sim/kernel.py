"""The monthly stock-flow step, written once, as named stages, and compiled by Numba.

One compiled loop per run and material over the months; each month runs the stages in order
(docs/methods.md, "The monthly step"):

1. :func:`supply_stage` - what the events remove: the holder's direct loss of supply, the world
   market's loss (all of it, and as the holder sees it), demand shocks;
2. :func:`price_stage` - the world market and its price (stocks drawn, precautionary buying, the
   short- and long-run response);
3. :func:`demand_stage` - demand after the price, demand shocks and substitution;
4. :func:`release_stage` - the reserve's release (triggers, or a solved Markov rule);
5. :func:`unmet_stage` - unmet demand by sector in priority order, outages, and the loss.

Each (run, material) pair touches only its own event slots (a CSR list per material) and writes
its aggregates once at the end; a run's result depends on nothing but its own draws, so it is
identical whatever the chunking or the number of workers. Arithmetic is in float64. The
independent check is the scalar oracle ``benchmarks/oracle_sim.py`` (tests/test_sim_fused.py).

The kernel is compiled on first use and cached on disk (``cache=True``); ``critmat --help`` never
imports it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit

__all__ = ["AGG", "fused_chunk"]

# output slots of the [V, S, M] aggregate block, in this order
AGG = (
    "shortfall",
    "unmet",
    "release",
    "loss_usd",
    "loss_usd_nostock",
    "months_short",
    "max_price_ratio",
    "max_row_price_ratio",
    "min_stock",
    "final_stock",
    "final_price_ratio",
    "import_bill_usd",
    "use_given_up_usd",
    "destroyed_t",
    "months_at_price_cap",
)
# full path variables in critmat.sim.engine.FULL_VARIABLES order
_SUPPLY, _RECYC, _REL, _CONS, _DEM, _SHORT, _UNMET, _PRICE, _PRICE_ROW, _STOCK = range(10)


@njit(cache=True, nogil=True, inline="always")
def supply_stage(
    s: int, m: int, t: int, ev: Any, slot_ptr: Any, slot_idx: Any, start: Any, dur: Any, sev: Any
) -> tuple[float, float, float, float, float]:
    """What the events remove this month: ``(L_d, L_w, L_wh, shock, L_t)``.

    ``L_d``: share of the holder's supply lost (imports x severity, minus front-running, plus a
    blocked route), in [-1, 1]; ``L_w``: share of the world market's supply lost (export shares
    for restrictions and withholding, production shares for outages), in [0, 0.95]; ``L_wh``:
    the same as the holder's price sees it (a restriction by the holder's own country leaves its
    domestic market supplied); ``shock``: relative change of demand; ``L_t``: the part of
    ``L_d`` aimed at the holder alone (an embargo), which it must buy through third countries.
    ``ev`` rows: direct, world, world_holder, frontrun, choke, demand, restr, lag, quota,
    frontrun months, delay, choke loss, target (critmat.sim.engine._slot_table).
    """
    l_d = l_w = l_wh = shock = l_t = 0.0
    for q in range(slot_ptr[m], slot_ptr[m + 1]):
        j = slot_idx[q]
        since = t - start[s, j]
        active = since >= 0 and since < dur[s, j]
        eff = sev[s, j] if active else 0.0
        if ev[6, j] > 0 and since >= ev[7, j]:  # licensing: only (1 - quota) of the cut remains
            eff *= 1.0 - ev[8, j]
        direct = eff * ev[0, j]
        if since < 0 and since >= -ev[9, j]:  # exports surge before a restriction bites
            direct -= ev[3, j]
        if active:  # a blocked route: all of its flow for delay months, then the lost share
            direct += (1.0 if since < ev[10, j] else ev[11, j]) * ev[4, j]
        l_d += direct
        l_w += eff * ev[1, j]
        l_wh += eff * ev[2, j]
        shock += eff * ev[5, j]
        l_t += eff * ev[12, j]
    return (
        min(max(l_d, -1.0), 1.0),
        min(max(l_w, 0.0), 0.95),
        min(max(l_wh, 0.0), 0.95),
        shock,
        min(max(l_t, 0.0), 0.95),
    )


@njit(cache=True, nogil=True, inline="always")
def price_stage(
    loss: float,
    lbar: float,
    stk: float,
    age: float,
    expo_short: float,
    kappa: float,
    tau_inv: float,
    buffer: float,
    refill_inv: float,
    floor: float,
    cap: float,
    long: float,
    long_inv: float,
    has_long: bool,
    beta: float,
    resp: float,
    lead: float,
    ramp_inv: float,
) -> tuple[float, float, float, float, float]:
    """One month of the world market and its price (docs/methods.md 6.3)::

        a  = months the loss has lasted
        R  = resp * clip((a - lead) / ramp, 0, 1)     other producers' idle capacity restarts
        N  = max(L - R, 0)                           the net loss
        I = kappa (N - Nbar);  Nbar += (N - Nbar) / tau      (precautionary buying)
        clear(x) = ((1 + I) / (1 - x)) ** expo       the price that clears a loss x
        q = min((S0 / (stock - min(stock, N))) ** beta, clear(N))     the storage price
        draw = min(stock, N - clear^-1(q));  Le = N - draw   stocks cover what q does not clear
        p / p0 = clip(max(clear(Le), q), floor, cap)
        expo = 1 / (e_s + (e_l - e_s) (1 - exp(-a / T)))   with the long-run response on

    ``(S0 / stock) ** beta`` is the storage price: holders sell from stocks only as the price
    rises, more the emptier they are (competitive storage: Gustafson 1958; Deaton & Laroque
    1992), never above the price with no stocks at all. ``beta = 0``, ``resp = 0``: the market
    of the first version. Returns the price ratio, the new state (loss memory, stocks left,
    months of loss) and the share of the world's demand the market leaves unserved when the
    clearing price is above the cap: ``u = max(Le - x_cap, 0)``, ``x_cap = 1 - (1 + I) cap **
    (-1 / expo)`` the loss the capped price clears (0 while the market clears)."""
    age = age + 1.0 if loss > 0 else 0.0
    if resp > 0.0 and age > lead:
        loss = max(loss - resp * min((age - lead) * ramp_inv, 1.0), 0.0)
    inv = max(kappa * (loss - lbar), -0.9)
    lbar += (loss - lbar) * tau_inv
    expo = expo_short
    if has_long and age > 0:  # at age 0 the response is the short-run one
        short = 1.0 / expo_short
        expo = 1.0 / (short + (long - short) * -math.expm1(-age * long_inv))
    draw = min(stk, loss)
    storage = 1.0
    if beta > 0.0 and loss > 0.0 and stk - draw < buffer:
        # the storage price of the stocks left after a full draw, never above the price with
        # no stocks; the part of the loss it clears (demand given up, supply added) is not
        # drawn from stocks (one step of the fixed point)
        left = max(stk - draw, 1e-9 * buffer)
        storage = min((buffer / left) ** beta, ((1.0 + inv) / (1.0 - loss)) ** expo)
        cleared = max(1.0 - (1.0 + inv) * storage ** (-1.0 / expo), 0.0)
        draw = min(stk, max(loss - cleared, 0.0))
    eff = loss - draw
    stk += (0.0 if loss > 0 else (buffer - stk) * refill_inv) - draw
    base = (1.0 + inv) / (1.0 - eff)
    r = 1.0 if base == 1.0 else base**expo  # no loss and no precaution: the base price
    unserved = 0.0
    if r > cap:
        unserved = max(eff - (1.0 - (1.0 + inv) * cap ** (-1.0 / expo)), 0.0)
    return min(max(r, storage, floor), cap), lbar, stk, age, unserved


@njit(cache=True, nogil=True, inline="always")
def demand_stage(
    d0: float,
    ratio: float,
    shock: float,
    eps: float,
    high: float,
    elev: float,
    high_price: float,
    sub_max: float,
    sub_rate: float,
    adjust: float,
) -> tuple[float, float, float, float, float]:
    """Demand after the price: ``D = D0 (1 + shock) max(p/p0, 1) ** (eps a) (1 - sub)``, with
    ``a = min(1, n / adjust months)`` (demand adjusts to a rise over a year) and substitution
    growing with the months above ``high_price``. Returns demand, the two month counters, the
    exponent ``eps a`` applied and the demand before the price ``D0 (1 + shock) (1 - sub)``."""
    if ratio > high_price:
        high += 1.0
    sub = min(sub_max, sub_rate * high)
    elev = elev + 1.0 if ratio > 1.0001 else 0.0
    adj = min(elev * adjust, 1.0)
    # a price below base (stocks coming back) does not create demand beyond the baseline
    expo = 0.0 if ratio <= 1.0 else eps * adj
    response = 1.0 if expo == 0.0 else ratio**expo
    before = d0 * (1.0 + shock) * (1.0 - sub)
    return before * response, high, elev, expo, before


@njit(cache=True, nogil=True, inline="always")
def price_loss_stage(
    ratio: float, expo: float, before: float, p0: float, bought: float
) -> tuple[float, float]:
    """What the price rise costs the holder this month, USD (docs/methods.md 6.7): the extra
    bill on the tonnes still bought abroad, ``(p - p0) * bought``, and the value of the use
    given up by the demand the price destroyed: with constant-elasticity demand
    ``D(p) = D_b (p / p0) ** e`` the buyers' surplus lost is
    ``D_b p0 ((p / p0) ** (1 + e) - 1) / (1 + e)``, of which ``(p - p0) D(p)`` is the extra
    bill on what they still use; the rest is the use given up."""
    if ratio <= 1.0:
        return 0.0, 0.0
    bill = (ratio - 1.0) * p0 * bought
    if expo >= 0.0:
        return bill, 0.0
    if abs(1.0 + expo) < 1e-9:
        surplus = math.log(ratio)
    else:
        surplus = (ratio ** (1.0 + expo) - 1.0) / (1.0 + expo)
    use = before * p0 * (surplus - (ratio - 1.0) * ratio**expo)
    return bill, max(use, 0.0)


@njit(cache=True, nogil=True, inline="always")
def release_stage(
    m: int,
    stock: float,
    shortfall: float,
    demand: float,
    ratio: float,
    most: float,
    trig_short: float,
    trig_price: float,
    draw_mat: int,
    draw_levels: Any,
    draw_thresholds: Any,
    draw_next: Any,
    draw_months: float,
) -> float:
    """The reserve's release this month (t), at most ``most`` (max release and the room above
    the floor): the shortfall when a trigger fires (shortfall share or price ratio), or, for the
    material of a solved Markov rule (critmat.optimize.policy), a draw towards the rule's next
    level at ``1 / draw_months`` of the gap a month, never more than the shortfall."""
    if m == draw_mat:
        share_s = shortfall / max(demand, 1e-30)
        state = np.searchsorted(draw_thresholds, share_s, side="right")
        level = max(np.searchsorted(draw_levels, stock, side="right") - 1, 0)
        pace: float = max(stock - draw_next[state, level], 0.0) / draw_months
        return min(pace, shortfall, most)
    if shortfall > trig_short * demand or ratio > trig_price:
        return min(shortfall, most)
    return 0.0


@njit(cache=True, nogil=True, inline="always")
def unmet_stage(
    s: int,
    m: int,
    unmet: float,
    demand: float,
    out_cut: Any,
    before: Any,
    share: Any,
    outage: Any,
    unmet_k: Any,
) -> bool:
    """Unmet demand by sector in priority order (defence first): sector k is served after
    sectors 0..k-1 and is in outage when ``consumption / demand < cumshare_{k-1} + (1 -
    threshold) share_k``. Adds to the outage and per-sector counters; True if any sector is in
    outage this month."""
    frac = (demand - unmet) / max(demand, 1e-30)
    any_k = False
    for k in range(share.shape[1]):
        if frac < out_cut[m, k]:
            outage[s, m, k] += 1.0
            any_k = True
        served = min(max(frac - before[m, k], 0.0), share[m, k])
        unmet_k[s, m, k] += (share[m, k] - served) * demand
    return any_k


@njit(cache=True, nogil=True)
def _kernel(
    start: Any,  # [S, J] int32
    dur: Any,  # [S, J] int32
    sev: Any,  # [S, J] float32
    slot_ptr: Any,  # [M + 1] CSR of slots per material
    slot_idx: Any,  # [J]
    ev: Any,  # [12, J] per-slot constants (critmat.sim.engine._slot_table)
    d0: Any,  # [M] t/month
    p0: Any,  # [M] USD/t
    rec: Any,  # [M] recycling share
    imported: Any,  # [M] share of the holder's supply imported
    eps: Any,  # [S, M] demand elasticity per run
    expo: Any,  # [S, M] 1 / (eta - eps)
    kappa: Any,  # [S]
    buffer: Any,  # [S, M] market stocks at rest, months of world-market supply
    resp: Any,  # [M] idle capacity outside the restricting country, share of the market
    lead: Any,  # [M] months before it starts
    ramp_inv: Any,  # [M] 1 / months to reach it
    long_inv: Any,  # [S]
    spare: Any,  # [S]
    switch_inv: Any,  # [S] 1 / months to switch to other sellers (0: the first version)
    va: Any,  # [S, M] loss per tonne short, USD/t
    scal: Any,  # float64 constants, see critmat.sim.engine._SCALARS
    stock0: Any,  # [M] t
    floor_m: Any,  # [M] t
    max_rel: Any,  # [M] t/month
    out_cut: Any,  # [M, K]
    before: Any,  # [M, K]
    share: Any,  # [M, K]
    own: Any,  # [M, T'] own supply, t/month (T' = 0: none)
    draw_mat: int,  # -1: no release rule
    draw_levels: Any,
    draw_thresholds: Any,
    draw_next: Any,
    draw_months: float,
    horizon: int,
    has_own_price: bool,
    has_long: bool,
    agg: Any,  # [V, S, M] float32 out
    outage: Any,  # [S, M, K] float32 out
    unmet_k: Any,  # [S, M, K] float32 out
    any_out: Any,  # [S] float32 out
    full: Any,  # [10, S_keep, M, T] float32 out
) -> None:
    s_n, m_n = start.shape[0], d0.size
    n_keep = full.shape[1]
    tau_inv, refill_inv, pfloor, pcap, long = scal[0], scal[1], scal[2], scal[3], scal[4]
    ramp_months, high_price, sub_max, sub_rate = scal[5], scal[6], scal[7], scal[8]
    adjust, stop_extra, stop_share = scal[9], scal[10], scal[11]
    trig_short, trig_price, beta, premium_max = scal[12], scal[13], scal[14], scal[15]
    flag = np.zeros(max(horizon, 1), np.bool_)
    # the market at rest (no slot active yet): the price law gives r0 every month and nothing
    # else moves, so the months before a (run, material)'s first event are skipped exactly
    r0 = min(max(1.0, pfloor), pcap)
    rest_ok = r0 <= high_price and r0 <= 1.0001
    for s in range(s_n):
        flag[:] = False
        for m in range(m_n):
            tol = 1e-5 * d0[m]
            stock = float(stock0[m])
            lbar = lbar_h = age = age_h = 0.0
            stk = stk_h = buffer[s, m]
            dis = high = elev = 0.0
            acc_short = acc_unmet = acc_rel = acc_loss = acc_loss0 = acc_ms = 0.0
            acc_bill = acc_use = acc_destroyed = acc_cap = 0.0
            maxp = maxp_row = 1.0
            min_stock = stock
            ratio = 1.0
            t_first = 0
            if rest_ok and s >= n_keep:  # kept runs write every month of their paths
                t_first = horizon
                for q in range(slot_ptr[m], slot_ptr[m + 1]):
                    j = slot_idx[q]
                    first = start[s, j] - (int(ev[9, j]) if ev[3, j] != 0.0 else 0)
                    t_first = max(min(t_first, first), 0)
                if t_first > 0:
                    ratio = r0
                    maxp = maxp_row = max(1.0, r0)
            for t in range(t_first, horizon):
                # 1. supply: what the events remove, and the other suppliers' replacement
                l_d, l_w, l_wh, shock, l_t = supply_stage(
                    s, m, t, ev, slot_ptr, slot_idx, start, dur, sev
                )
                dis = dis + 1.0 if l_d > 0 else 0.0
                repl = min(max(l_d, 0.0), spare[s] * min(dis / ramp_months, 1.0))
                # 2. world market and price (the rest of the world's, and the holder's)
                ratio_row, lbar, stk, age, unserved = price_stage(
                    l_w, lbar, stk, age, expo[s, m], kappa[s], tau_inv, buffer[s, m],
                    refill_inv, pfloor, pcap, long, long_inv[s], has_long, beta, resp[m],
                    lead[m], ramp_inv[m],
                )  # fmt: skip
                ratio = ratio_row
                if has_own_price:
                    ratio, lbar_h, stk_h, age_h, unserved = price_stage(
                        l_wh, lbar_h, stk_h, age_h, expo[s, m], kappa[s], tau_inv, buffer[s, m],
                        refill_inv, pfloor, pcap, long, long_inv[s], has_long, beta, resp[m],
                        lead[m], ramp_inv[m],
                    )  # fmt: skip
                if l_t > 0:  # an embargo: the holder buys through third countries at a premium
                    ratio *= min(
                        (1.0 / (1.0 - max(l_t - repl, 0.0))) ** expo[s, m], 1.0 + premium_max
                    )
                    ratio = min(ratio, pcap)
                # 3. demand, and the gap the holder's supply leaves
                demand, high, elev, d_expo, d_before = demand_stage(
                    d0[m], ratio, shock, eps[s, m], high, elev, high_price, sub_max, sub_rate,
                    adjust,
                )  # fmt: skip
                recyc = d0[m] * rec[m]
                # the world market: the lost supply is bought from other sellers once the buyers
                # have switched (1 / switch_inv months), at the world price; a market the capped
                # price does not clear leaves every buyer the same unserved share
                bought_w = 0.0
                if switch_inv[s] > 0.0:
                    bought_w = max(l_d - repl, 0.0) * min(dis * switch_inv[s], 1.0)
                gap = demand - d0[m] * (1.0 - rec[m]) * (1.0 - l_d + repl + bought_w) - recyc
                if own.shape[1] > 0:
                    gap -= own[m, min(t, own.shape[1] - 1)]
                if switch_inv[s] > 0.0:
                    gap = max(gap, unserved * demand)
                shortfall = gap if gap > tol else 0.0  # below 1e-5 of D0: rounding
                # 4. release
                room = max(stock - floor_m[m], 0.0)
                release = release_stage(
                    m, stock, shortfall, demand, ratio, min(max_rel[m], room), trig_short,
                    trig_price, draw_mat, draw_levels, draw_thresholds, draw_next, draw_months,
                )  # fmt: skip
                stock -= release
                # 5. unmet demand, outages and loss
                unmet = shortfall - release
                consumption = demand - unmet
                if unmet > 0:
                    if unmet_stage(s, m, unmet, demand, out_cut, before, share, outage, unmet_k):
                        flag[t] = True
                    acc_ms += 1.0
                    stop = 1.0 + stop_extra if unmet > stop_share * demand else 1.0
                    acc_loss += unmet * va[s, m] * stop
                if shortfall > 0:
                    stop = 1.0 + stop_extra if shortfall > stop_share * demand else 1.0
                    acc_loss0 += shortfall * va[s, m] * stop
                recyc_used = min(recyc, consumption)
                bill, use = price_loss_stage(
                    ratio, d_expo, d_before, p0[m],
                    max(consumption - release - recyc_used, 0.0) * imported[m],
                )  # fmt: skip
                acc_bill += bill
                acc_use += use
                acc_destroyed += d_before - demand
                acc_short += shortfall
                acc_unmet += unmet
                acc_rel += release
                if ratio >= pcap * (1.0 - 1e-6):  # the numerical guard binds this month
                    acc_cap += 1.0
                maxp = max(maxp, ratio)
                maxp_row = max(maxp_row, ratio_row)
                min_stock = min(min_stock, stock)
                if s < n_keep:
                    full[_SUPPLY, s, m, t] = consumption - release - recyc_used
                    full[_RECYC, s, m, t] = recyc_used
                    full[_REL, s, m, t] = release
                    full[_CONS, s, m, t] = consumption
                    full[_DEM, s, m, t] = demand
                    full[_SHORT, s, m, t] = shortfall
                    full[_UNMET, s, m, t] = unmet
                    full[_PRICE, s, m, t] = ratio * p0[m]
                    full[_PRICE_ROW, s, m, t] = ratio_row * p0[m]
                    full[_STOCK, s, m, t] = stock
            for i, v in enumerate(
                (acc_short, acc_unmet, acc_rel, acc_loss, acc_loss0, acc_ms, maxp, maxp_row,
                 min_stock, stock, ratio, acc_bill, acc_use, acc_destroyed, acc_cap)
            ):  # fmt: skip
                agg[i, s, m] = v
        n_flag = 0.0
        for t in range(horizon):
            if flag[t]:
                n_flag += 1.0
        any_out[s] = n_flag


def fused_chunk(**kw: Any) -> dict[str, np.ndarray]:
    """Run the kernel on prepared arrays (critmat.sim.engine.simulate_chunk prepares them) and
    return the engine's output dictionary."""
    s_n, m_n = kw["start"].shape[0], kw["d0"].size
    k_n, horizon, n_keep = kw["share"].shape[1], kw["horizon"], kw.pop("n_keep")
    agg = np.zeros((len(AGG), s_n, m_n), np.float32)
    outage = np.zeros((s_n, m_n, k_n), np.float32)
    unmet_k = np.zeros((s_n, m_n, k_n), np.float32)
    any_out = np.zeros(s_n, np.float32)
    full = np.zeros((10, n_keep, m_n, horizon), np.float32)
    _kernel(**kw, agg=agg, outage=outage, unmet_k=unmet_k, any_out=any_out, full=full)
    out: dict[str, np.ndarray] = {name: agg[i] for i, name in enumerate(AGG)}
    out["outage_months"] = outage
    out["unmet_by_sector"] = unmet_k
    out["any_outage_months"] = any_out
    return out | {"_full": full}
