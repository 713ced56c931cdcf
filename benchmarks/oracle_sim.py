"""A straightforward per-run, per-material, per-month Python implementation of the engine.

It restates the monthly step (critmat.sim.kernel) with plain loops and float64, from the
equations in critmat.sim.engine's docstring and docs/methods.md, so that a test can check the
compiled step against it on small cases and the benchmark can measure the speed ratio.
It is the oracle, not a second product: keep it simple.
"""

from __future__ import annotations

import math

import numpy as np

from critmat.sim.engine import Draws, Stockpile
from critmat.sim.events import KINDS, EventTable
from critmat.sim.loss import loss_per_tonne
from critmat.sim.market import Market, SimParams

RESTR, EMB, CHOKE, OUT, DEM, WITH = range(6)
assert KINDS[RESTR] == "export_restriction" and KINDS[WITH] == "withholding"


def oracle(
    market: Market,
    params: SimParams,
    ev: EventTable,
    draws: Draws,
    stockpile: Stockpile,
    horizon: int,
) -> dict[str, np.ndarray]:
    """Per-run totals of unmet, shortfall, release, loss, import bill, use given up and tonnes
    destroyed by the price, max price ratio, and final stock."""
    s_n, m_n, k_n = draws.start.shape[0], market.n_materials, len(market.sectors)
    members = set(market.members)
    out = {
        k: np.zeros((s_n, m_n))
        for k in (
            "unmet",
            "shortfall",
            "release",
            "loss_usd",
            "max_price_ratio",
            "final_stock",
            "import_bill_usd",
            "use_given_up_usd",
            "destroyed_t",
        )
    }
    out["outage_months"] = np.zeros((s_n, m_n, k_n))
    out["unmet_by_sector"] = np.zeros((s_n, m_n, k_n))
    v_loss = loss_per_tonne(market, params)

    def mat_param(name: str, m: int) -> float:  # a world-market parameter (0: none)
        v = market.response.get(name) if params.world_market else None
        return float(v[m]) if v is not None else 0.0

    for s in range(s_n):
        for m in range(m_n):
            d0, r = float(market.demand0[m]), float(market.recycling[m])
            stock = float(stockpile.stock0[m])
            dis = high = elev = 0
            maxp = 1.0
            fac = {k: float(v[s]) for k, v in draws.factors.items()}
            eps = float(params.elasticities.get(market.materials[m], params.elasticity))
            eps *= fac.get("elasticity", 1.0)
            spare = params.spare_capacity * fac.get("spare_capacity", 1.0)
            va = float(v_loss[m]) * fac.get("loss", 1.0)
            expo = 1.0 / (params.supply_elasticity - eps)
            lbar = 0.0
            age = 0
            kappa = params.precaution * fac.get("precaution", 1.0)
            per_m = params.buffer_months
            if params.world_market and params.buffer_months == 0:
                per_m = mat_param("stock_months", m)
            buf_max = per_m * fac.get("buffer_months", 1.0)
            leak = mat_param("leakage", m)
            resp, lead = mat_param("response_share", m), mat_param("response_lead_months", m)
            ramp = max(mat_param("response_ramp_months", m), 1.0)
            beta = params.stock_price_beta if params.world_market else 0.0
            buf = buf_max
            lr_months = params.long_run_months * fac.get("long_run_months", 1.0)
            for t in range(horizon):
                l_d = l_w = l_w_own = shock = l_t = 0.0
                for j in range(ev.n):
                    if ev.mat[j] != m:
                        continue
                    c = int(ev.country[j])
                    imp = float(market.import_share[m, c]) if c >= 0 else 0.0
                    kind = int(ev.kind[j])
                    if kind in (RESTR, WITH):
                        wsh = float(market.export_share[m, c]) if c >= 0 else 0.0
                    else:
                        wsh = float(market.world_share[ev.stage[j], m, c]) if c >= 0 else 0.0
                    since = t - int(draws.start[s, j])
                    active = 0 <= since < int(draws.duration[s, j])
                    shape = 1.0
                    if kind == RESTR and since >= int(ev.lag[j]):
                        shape = 1.0 - float(ev.quota[j])
                    eff = float(draws.severity[s, j]) * shape if active else 0.0
                    if kind in (RESTR, EMB, WITH):  # leakage through third countries
                        eff *= 1.0 - leak
                    if kind in (RESTR, EMB, OUT, WITH):
                        l_d += eff * float(ev.direct[j]) * imp
                    if kind == EMB:  # the target buys elsewhere: diverted from the world
                        l_t += eff * float(ev.direct[j]) * imp
                        size = (
                            float(market.world_exports_t[m]) if market.world_exports_t.size else 0.0
                        )
                        if size > 0:
                            lost = float(ev.direct[j] * ev.world[j]) * imp * d0 * 12 * (1 - r)
                            l_w += eff * lost / size
                    if kind in (RESTR, OUT, WITH):
                        l_w += eff * float(ev.world[j]) * wsh
                        if kind in (RESTR, WITH) and c >= 0 and market.countries[c] in members:
                            l_w_own += eff * float(ev.world[j]) * wsh
                    if kind == RESTR and -int(ev.fr_months[j]) <= since < 0:
                        l_d -= float(ev.fr[j]) * imp
                    if kind == CHOKE and active:
                        frac = 1.0 if since < int(ev.delay[j]) else float(ev.loss[j])
                        l_d += frac * float(ev.route_share[j])
                    if kind == DEM:
                        shock += eff * float(ev.demand_scale[j])
                l_d = min(max(l_d, -1.0), 1.0)
                l_w_holder = min(max(l_w - l_w_own, 0.0), 0.95)
                l_w = min(max(l_w, 0.0), 0.95)
                dis = dis + 1 if l_d > 0 else 0
                repl = min(max(l_d, 0.0), spare * min(dis / params.ramp_months, 1))
                l_t = min(max(l_t, 0.0), 0.95)
                inv = 0.0
                age = age + 1 if l_w_holder > 0 else 0
                loss = l_w_holder
                if resp > 0 and age > lead:  # idle capacity elsewhere restarts
                    loss = max(loss - resp * min((age - lead) / ramp, 1.0), 0.0)
                if kappa:
                    inv = max(kappa * (loss - lbar), -0.9)
                    lbar += (loss - lbar) / max(params.precaution_months, 1.0)
                e_t = 1.0 / expo
                if params.long_run_response > 0:
                    frac = 1.0 - math.exp(-age / lr_months)
                    e_t += (params.long_run_response - e_t) * frac
                eff, storage = loss, 1.0
                if buf_max:
                    draw = min(buf, loss)
                    if beta > 0 and loss > 0 and buf - draw < buf_max:  # the storage price
                        left = max(buf - draw, 1e-9 * buf_max)
                        no_stock = ((1.0 + inv) / (1.0 - loss)) ** (1.0 / e_t)
                        storage = min((buf_max / left) ** beta, no_stock)
                        # what that price clears is not drawn from the stocks
                        cleared = max(1.0 - (1.0 + inv) / storage**e_t, 0.0)
                        draw = min(buf, max(loss - cleared, 0.0))
                    eff = loss - draw
                    refill = (
                        0.0 if loss > 0 else (buf_max - buf) / max(params.buffer_refill_months, 1.0)
                    )
                    buf += refill - draw
                ratio = ((1.0 + inv) / (1.0 - eff)) ** (1.0 / e_t)
                unserved = 0.0
                if ratio > params.price_cap:  # the share of demand the capped price leaves
                    unserved = max(eff - (1.0 - (1.0 + inv) / params.price_cap**e_t), 0.0)
                ratio = min(max(ratio, storage, params.price_floor), params.price_cap)
                if l_t > 0:  # an embargoed holder buys through third countries
                    premium = (1.0 / (1.0 - max(l_t - repl, 0.0))) ** expo
                    ratio = min(
                        ratio * min(premium, 1.0 + params.reroute_premium_max), params.price_cap
                    )
                high += ratio > params.high_price
                sub = min(params.substitution_max, params.substitution_rate * high)
                elev = elev + 1 if ratio > 1.0001 else 0
                adj = min(elev / params.demand_adjust_months, 1.0)
                demand = d0 * (1 + shock) * max(ratio, 1.0) ** (eps * adj) * (1 - sub)
                bought_w = 0.0
                if params.world_market:  # lost supply bought from other sellers once switched
                    switch = params.switch_months * fac.get("switch_months", 1.0)
                    bought_w = max(l_d - repl, 0.0) * min(dis / switch, 1.0)
                avail = d0 * (1 - r) * (1 - l_d + repl + bought_w) + d0 * r
                gap = demand - avail
                own = stockpile.own_supply
                if own is not None:  # the holder's own added supply closes the gap first
                    gap -= float(own[m, min(t, own.shape[1] - 1)])
                if params.world_market:  # a market the cap keeps from clearing rations all
                    gap = max(gap, unserved * demand)
                short = gap if gap > 1e-5 * d0 else 0.0
                trig = (
                    short > stockpile.trigger_shortfall * demand or ratio > stockpile.trigger_price
                )
                room = max(stock - float(stockpile.floor[m]), 0.0)
                most = min(float(stockpile.max_release[m]), room)
                rule = stockpile.draw
                if rule is not None and rule.material == m:  # a solved Markov release rule
                    state = int(np.sum(rule.thresholds <= short / max(demand, 1e-30)))
                    level = max(int(np.sum(rule.levels <= stock)) - 1, 0)
                    target = float(rule.next_level[state, level])
                    rel = min(max(stock - target, 0.0) / rule.months_per_period, short, most)
                else:
                    rel = min(short, most) if trig else 0.0
                stock -= rel
                unmet = short - rel
                consumption = demand - unmet
                left = consumption
                for k in range(k_n):
                    dem_k = demand * float(market.sector_share[m, k])
                    served = min(dem_k, max(left, 0.0))
                    left -= served
                    if unmet > 0:
                        out["unmet_by_sector"][s, m, k] += dem_k - served
                    if unmet > 0 and dem_k > 0 and dem_k - served > params.outage_threshold * dem_k:
                        out["outage_months"][s, m, k] += 1
                out["unmet"][s, m] += unmet
                out["shortfall"][s, m] += short
                out["release"][s, m] += rel
                stop = params.loss_line_stop if unmet > params.outage_threshold * demand else 1.0
                out["loss_usd"][s, m] += unmet * va * stop
                if ratio > 1.0:  # the price's cost: bill on imports, surplus of the use given up
                    p0, e = float(market.price0[m]), eps * adj
                    bought = (consumption - rel - min(d0 * r, consumption)) * float(
                        min(market.import_share[m].sum(), 1.0)
                    )
                    out["import_bill_usd"][s, m] += (ratio - 1.0) * p0 * bought
                    before = d0 * (1 + shock) * (1 - sub)
                    out["destroyed_t"][s, m] += before - demand
                    if e < 0:
                        surplus = (ratio ** (1 + e) - 1) / (1 + e) if e != -1 else math.log(ratio)
                        out["use_given_up_usd"][s, m] += (
                            before * p0 * (surplus - (ratio - 1) * ratio**e)
                        )
                maxp = max(maxp, ratio)
            out["max_price_ratio"][s, m] = maxp
            out["final_stock"][s, m] = stock
    return out
