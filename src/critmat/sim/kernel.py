"""The fused engine: the monthly stock-flow model of critmat.sim.engine compiled by Numba.

Same equations and the same random draws as the NumPy engine (critmat.sim.engine), but one
compiled loop per run and material over the months, with the state in registers instead of ~57
passes a month over [runs, materials] and [runs, slots] arrays. Each (run, material) pair touches
only its own slots (a CSR list per material) and writes its aggregates once at the end; a run's
result depends on nothing but its own draws, so it is identical whatever the chunking or the
number of workers. Arithmetic is in float64 (the NumPy engine computes in float32): the two agree
within float32 rounding (tests/test_sim_fused.py), not bit for bit.

The kernel is compiled on first use and cached on disk (``cache=True``); ``critmat --help`` never
imports it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit

__all__ = ["fused_chunk"]

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
)
# full path variables in critmat.sim.engine.FULL_VARIABLES order
_SUPPLY, _RECYC, _REL, _CONS, _DEM, _SHORT, _UNMET, _PRICE, _PRICE_ROW, _STOCK = range(10)


@njit(cache=True, nogil=True, inline="always")
def _price_step(
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
) -> tuple[float, float, float, float]:
    """One month of the world price law (critmat.sim.engine._price_ratio) for one market:
    returns the price ratio and the new state (loss memory, world stocks left, months the loss
    has lasted)."""
    draw = min(stk, loss)
    eff = loss - draw
    stk += (0.0 if loss > 0 else (buffer - stk) * refill_inv) - draw
    inv = max(kappa * (loss - lbar), -0.9)
    lbar += (loss - lbar) * tau_inv
    base = (1.0 + inv) / (1.0 - eff)
    expo = expo_short
    if has_long:
        age = age + 1.0 if loss > 0 else 0.0
        if age > 0:  # at age 0 the response is the short-run one
            short = 1.0 / expo_short
            expo = 1.0 / (short + (long - short) * -math.expm1(-age * long_inv))
    r = 1.0 if base == 1.0 else base**expo  # no loss and no precaution: the base price
    return min(max(r, floor), cap), lbar, stk, age


@njit(cache=True, nogil=True)
def _kernel(
    start: Any,  # [S, J] int32
    dur: Any,  # [S, J] int32
    sev: Any,  # [S, J] float32
    slot_ptr: Any,  # [M + 1] CSR of slots per material
    slot_idx: Any,  # [J]
    c_direct: Any,  # [J] per-slot coefficients (critmat.sim.engine._slot_coefficients)
    c_world: Any,
    c_world_holder: Any,
    c_frontrun: Any,
    c_choke: Any,
    c_demand: Any,
    restr: Any,  # [J] bool
    lag: Any,
    quota: Any,
    frm: Any,
    delay: Any,
    choke_loss: Any,
    d0: Any,  # [M]
    p0: Any,
    rec: Any,
    eps: Any,  # [S, M] demand elasticity per run
    expo: Any,  # [S, M] 1 / (eta - eps)
    kappa: Any,  # [S]
    buffer: Any,  # [S]
    long_inv: Any,  # [S]
    spare: Any,  # [S]
    va: Any,  # [S, M] loss per tonne short
    scal: Any,  # float64 constants, see fused_chunk
    stock0: Any,  # [M]
    floor_m: Any,
    max_rel: Any,
    out_cut: Any,  # [M, K]
    before: Any,  # [M, K]
    share: Any,  # [M, K]
    own: Any,  # [M, T'] own supply (T' = 0: none)
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
    s_n, m_n, k_n = start.shape[0], d0.size, share.shape[1]
    n_keep = full.shape[1]
    tau_inv, refill_inv, pfloor, pcap, long = scal[0], scal[1], scal[2], scal[3], scal[4]
    ramp_months, high_price, sub_max, sub_rate = scal[5], scal[6], scal[7], scal[8]
    adjust, stop_extra, stop_share = scal[9], scal[10], scal[11]
    trig_short, trig_price = scal[12], scal[13]
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
            stk = stk_h = buffer[s]
            dis = high = elev = 0.0
            acc_short = acc_unmet = acc_rel = acc_loss = acc_loss0 = acc_ms = 0.0
            maxp = maxp_row = 1.0
            min_stock = stock
            ratio = 1.0
            e_sm, x_sm, va_sm = eps[s, m], expo[s, m], va[s, m]
            t_first = 0
            if rest_ok and s >= n_keep:  # kept runs write every month of their paths
                t_first = horizon
                for q in range(slot_ptr[m], slot_ptr[m + 1]):
                    j = slot_idx[q]
                    first = start[s, j] - (frm[j] if c_frontrun[j] != 0.0 else 0)
                    t_first = max(min(t_first, first), 0)
                if t_first > 0:
                    ratio = r0
                    maxp = maxp_row = max(1.0, r0)
            for t in range(t_first, horizon):
                l_d = l_w = l_wh = shock = 0.0
                for q in range(slot_ptr[m], slot_ptr[m + 1]):
                    j = slot_idx[q]
                    since = t - start[s, j]
                    active = since >= 0 and since < dur[s, j]
                    eff = sev[s, j] if active else 0.0
                    if restr[j] and since >= lag[j]:
                        eff *= 1.0 - quota[j]
                    direct = eff * c_direct[j]
                    if since < 0 and since >= -frm[j]:
                        direct -= c_frontrun[j]
                    if active:
                        direct += (1.0 if since < delay[j] else choke_loss[j]) * c_choke[j]
                    l_d += direct
                    l_w += eff * c_world[j]
                    l_wh += eff * c_world_holder[j]
                    shock += eff * c_demand[j]
                l_d = min(max(l_d, -1.0), 1.0)
                l_w = min(max(l_w, 0.0), 0.95)
                l_wh = min(max(l_wh, 0.0), 0.95)
                dis = dis + 1.0 if l_d > 0 else 0.0
                repl = min(max(l_d, 0.0), spare[s] * min(dis / ramp_months, 1.0))
                ratio_row, lbar, stk, age = _price_step(
                    l_w, lbar, stk, age, x_sm, kappa[s], tau_inv, buffer[s], refill_inv,
                    pfloor, pcap, long, long_inv[s], has_long,
                )  # fmt: skip
                ratio = ratio_row
                if has_own_price:
                    ratio, lbar_h, stk_h, age_h = _price_step(
                        l_wh, lbar_h, stk_h, age_h, x_sm, kappa[s], tau_inv, buffer[s],
                        refill_inv, pfloor, pcap, long, long_inv[s], has_long,
                    )  # fmt: skip
                if ratio > high_price:
                    high += 1.0
                sub = min(sub_max, sub_rate * high)
                elev = elev + 1.0 if ratio > 1.0001 else 0.0
                adj = min(elev * adjust, 1.0)
                response = 1.0 if ratio <= 1.0 or adj == 0.0 else ratio ** (e_sm * adj)
                demand = d0[m] * (1.0 + shock) * response * (1.0 - sub)
                recyc = d0[m] * rec[m]
                gap = demand - d0[m] * (1.0 - rec[m]) * (1.0 - l_d + repl) - recyc
                if own.shape[1] > 0:
                    gap -= own[m, min(t, own.shape[1] - 1)]
                shortfall = gap if gap > tol else 0.0
                room = max(stock - floor_m[m], 0.0)
                if m == draw_mat:
                    share_s = shortfall / max(demand, 1e-30)
                    state = np.searchsorted(draw_thresholds, share_s, side="right")
                    level = max(np.searchsorted(draw_levels, stock, side="right") - 1, 0)
                    pace = max(stock - draw_next[state, level], 0.0) / draw_months
                    release = min(pace, shortfall, min(max_rel[m], room))
                elif shortfall > trig_short * demand or ratio > trig_price:
                    release = min(shortfall, max_rel[m], room)
                else:
                    release = 0.0
                stock -= release
                unmet = shortfall - release
                consumption = demand - unmet
                if unmet > 0:
                    frac = consumption / max(demand, 1e-30)
                    for k in range(k_n):
                        if frac < out_cut[m, k]:
                            outage[s, m, k] += 1.0
                            flag[t] = True
                        served = min(max(frac - before[m, k], 0.0), share[m, k])
                        unmet_k[s, m, k] += (share[m, k] - served) * demand
                    acc_ms += 1.0
                    stop = 1.0 + stop_extra if unmet > stop_share * demand else 1.0
                    acc_loss += unmet * va_sm * stop
                if shortfall > 0:
                    stop = 1.0 + stop_extra if shortfall > stop_share * demand else 1.0
                    acc_loss0 += shortfall * va_sm * stop
                acc_short += shortfall
                acc_unmet += unmet
                acc_rel += release
                maxp = max(maxp, ratio)
                maxp_row = max(maxp_row, ratio_row)
                min_stock = min(min_stock, stock)
                if s < n_keep:
                    recyc_used = min(recyc, consumption)
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
            agg[0, s, m] = acc_short
            agg[1, s, m] = acc_unmet
            agg[2, s, m] = acc_rel
            agg[3, s, m] = acc_loss
            agg[4, s, m] = acc_loss0
            agg[5, s, m] = acc_ms
            agg[6, s, m] = maxp
            agg[7, s, m] = maxp_row
            agg[8, s, m] = min_stock
            agg[9, s, m] = stock
            agg[10, s, m] = ratio
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
