"""The world market's mechanisms (docs/methods.md 6.3), each switched on alone against a case
derived by hand, the compiled step against the oracle with all of them on, and the shipped
parameters against their sources."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from benchmarks.oracle_sim import oracle
from critmat.data.dataset import load
from critmat.sim.engine import Stockpile, simulate_chunk
from critmat.sim.events import compile_events
from critmat.sim.market import Market, SimParams, market_response
from critmat.sim.run import block_draws
from critmat.sim.scenario import Scenario
from tests.test_sim import ALL_EVENTS, PRICE_RESPONSE, toy_market

#: demand elasticity -0.5 and no supply response: price = (1 / (1 - L)) ** 2
BASE = SimParams(elasticity=-0.5, spare_capacity=0.0, substitution_max=0.0, price_cap=100.0)
OFF = {
    "stock_months": 0.0,
    "leakage": 0.0,
    "restrictor_export_share": 0.0,
    "response_share": 0.0,
    "response_lead_months": 0.0,
    "response_ramp_months": 1.0,
}


def _market(**response: float) -> Market:
    """One material; CHN holds half of the world market's exports and 40% of the holder's
    imports."""
    f = np.float32
    mk = Market(
        holder="EU27",
        year=2023,
        materials=["gallium"],
        countries=["CHN", "JPN"],
        demand0=np.array([10.0], f),
        price0=np.array([1000.0], f),
        recycling=np.array([0.0], f),
        import_share=np.array([[0.4, 0.6]], f),
        world_share=np.array([[[0.5, 0.5]], [[0.5, 0.5]]], f),
        export_share=np.array([[0.5, 0.5]], f),
        sectors=["defence", "other"],
        sector_share=np.array([[0.05, 0.95]], f),
        world_exports_t=np.array([1e9], f),
    )
    mk.response = {k: np.array([response.get(k, v)], f) for k, v in OFF.items()}
    return mk


def _price_path(mk: Market, params: SimParams, event: dict[str, object], months: int = 6):
    sc = Scenario.model_validate({"name": "hand", "horizon_months": months, "events": [event]})
    ev = compile_events(sc, mk, params)
    d = block_draws(ev, seed=0, block=0, n=1, horizon=months)
    out = simulate_chunk(mk, params, ev, d, Stockpile.empty(1), months, True)
    return out["full_price"][0, 0] / 1000.0


BAN = {
    "type": "export_restriction",
    "country": "CHN",
    "material": "gallium",
    "stage": "refining",
    "start": 0,
    "duration": 6,
    "severity": 1.0,
}


def test_no_mechanism_is_the_constant_elasticity_market() -> None:
    np.testing.assert_allclose(_price_path(_market(), BASE, BAN), 4.0, rtol=1e-5)


def test_supply_response_alone() -> None:
    """L = 0.5; 0.3 of the market restarts after a lead of 2 months with a 1-month ramp:
    4.0 for months 1-2, then (1 / (1 - 0.2)) ** 2 = 1.5625."""
    p = _price_path(_market(response_share=0.3, response_lead_months=2.0), BASE, BAN)
    np.testing.assert_allclose(p, [4.0, 4.0, 1.5625, 1.5625, 1.5625, 1.5625], rtol=1e-5)


def test_leakage_alone() -> None:
    """A fifth of the banned flow leaks: L = 0.4, price (1 / 0.6) ** 2 = 2.778."""
    np.testing.assert_allclose(_price_path(_market(leakage=0.2), BASE, BAN), 1 / 0.36, rtol=1e-5)


def test_market_stocks_alone_with_and_without_the_storage_price() -> None:
    """One month of stocks against L = 0.5 a month; the price q clears a loss 1 - q ** -0.5.
    beta = 0: stocks cover months 1-2 at the base price, then 4.0. beta = 1: a full draw in
    month 1 would leave 0.5, so q = min(1 / 0.5, 4) = 2, which clears 1 - 1 / sqrt(2) of the
    loss; only the rest, 1 / sqrt(2) - 0.5, is drawn, leaving 1.5 - 1 / sqrt(2). Month 2: a
    full draw would leave 1 - 1 / sqrt(2), q = 1 / (1 - 1 / sqrt(2)) = 2 + sqrt(2). The
    stocks last into month 3 (the price still below 4), the no-stock price 4 after."""
    mk = _market(stock_months=1.0)
    flat = _price_path(mk, dataclasses.replace(BASE, stock_price_beta=0.0), BAN)
    np.testing.assert_allclose(flat, [1.0, 1.0, 4.0, 4.0, 4.0, 4.0], rtol=1e-5)
    storage = _price_path(mk, dataclasses.replace(BASE, stock_price_beta=1.0), BAN)
    np.testing.assert_allclose(storage[:2], [2.0, 2.0 + np.sqrt(2.0)], rtol=1e-5)
    assert np.all(np.diff(storage) >= 0) and storage[2] < 4.0
    np.testing.assert_allclose(storage[-1], 4.0, rtol=1e-5)


def _paths(mk: Market, params: SimParams, months: int = 4) -> dict[str, np.ndarray]:
    sc = Scenario.model_validate({"name": "hand", "horizon_months": months, "events": [BAN]})
    ev = compile_events(sc, mk, params)
    d = block_draws(ev, seed=0, block=0, n=1, horizon=months)
    out = simulate_chunk(mk, params, ev, d, Stockpile.empty(1), months, True)
    return {k[5:]: v[0, 0] for k, v in out.items() if k.startswith("full_")}


def test_the_holder_buys_its_lost_supply_on_the_world_market_once_switched() -> None:
    """China's ban cuts 40% of the holder's 10 t/month; China sells nothing else on the world
    market, so the price stays at 1 and demand at 10. With switch_months = 2 the holder buys
    half of the lost 4 t elsewhere in month 1 (short 2 t), all of it from month 2 (short 0).
    The first version's market (world_market off) leaves the 4 t short every month."""
    mk = _market()
    mk.export_share = np.array([[0.0, 1.0]], np.float32)
    p = dataclasses.replace(BASE, switch_months=2.0)
    np.testing.assert_allclose(_paths(mk, p)["shortfall"], [2.0, 0.0, 0.0, 0.0], atol=1e-5)
    off = _paths(mk, dataclasses.replace(p, world_market=False))["shortfall"]
    np.testing.assert_allclose(off, 4.0, rtol=1e-5)


def test_a_capped_market_leaves_every_buyer_the_same_unserved_share() -> None:
    """L = 0.5 clears at 4 but the cap is 3: the capped price clears 1 - 3 ** -0.5 of the loss,
    so 0.5 - (1 - 3 ** -0.5) = 0.0774 of demand is unserved. Demand adjusts at once (one
    month) to 10 * 3 ** -0.5 = 5.774 t; the holder has switched in one month, yet is short
    0.0774 x 5.774 = 0.447 t a month, like every buyer."""
    p = dataclasses.replace(BASE, switch_months=1.0, price_cap=3.0, demand_adjust_months=1)
    out = _paths(_market(), p)
    demand = 10.0 * 3.0**-0.5
    np.testing.assert_allclose(out["demand"], demand, rtol=1e-5)
    np.testing.assert_allclose(out["shortfall"], (0.5 - (1 - 3.0**-0.5)) * demand, rtol=1e-4)


def test_world_market_off_ignores_every_parameter() -> None:
    mk = _market(stock_months=1.0, leakage=0.2, response_share=0.3)
    p = _price_path(mk, dataclasses.replace(BASE, world_market=False), BAN)
    np.testing.assert_allclose(p, 4.0, rtol=1e-5)


@pytest.mark.parametrize(("cap", "expected"), [(3.0, 1 / 0.36), (1.0, 2.0)])
def test_an_embargo_raises_the_targets_price_up_to_the_reroute_premium(
    cap: float, expected: float
) -> None:
    """40% of the holder's imports embargoed: the holder must bid 0.4 of its supply away from
    third countries, (1 / 0.6) ** 2 = 2.778, at most 1 + reroute_premium_max; the world market
    (1e9 t of exports) barely notices, and another holder's price does not move."""
    mk = _market()
    emb = {"type": "embargo", "country": "CHN", "target": "EU27", "material": "gallium",
           "start": 0, "duration": 6, "severity": 1.0}  # fmt: skip
    p = _price_path(mk, dataclasses.replace(BASE, reroute_premium_max=cap), emb)
    np.testing.assert_allclose(p, expected, rtol=1e-4)
    other = dataclasses.replace(mk, holder="USA")
    np.testing.assert_allclose(_price_path(other, BASE, emb), 1.0, atol=1e-6)


def test_the_compiled_step_matches_the_oracle_with_every_mechanism_on() -> None:
    m = toy_market()
    f = np.float32
    m.world_exports_t = np.array([40000.0, 100000.0], f)
    m.response = {
        "stock_months": np.array([3.0, 1.0], f),
        "leakage": np.array([0.1, 0.2], f),
        "restrictor_export_share": np.zeros(2, f),
        "response_share": np.array([0.2, 0.1], f),
        "response_lead_months": np.array([4.0, 1.0], f),
        "response_ramp_months": np.array([3.0, 1.0], f),
    }
    params = dataclasses.replace(PRICE_RESPONSE, buffer_months=0.0, stock_price_beta=0.7)
    ev = compile_events(Scenario.model_validate(ALL_EVENTS), m, params)
    d = block_draws(ev, seed=4, block=0, n=40, horizon=36, uncertainty=dict(params.uncertainty))
    sp = Stockpile(
        (m.demand0 * 2).astype(f), (0.5 * m.demand0).astype(f), np.array([100.0, 0.0], f)
    )
    fast = simulate_chunk(m, params, ev, d, sp, 36, keep_full=False)
    slow = oracle(m, params, ev, d, sp, 36)
    for k in slow:
        np.testing.assert_allclose(fast[k], slow[k], rtol=2e-3, atol=0.5, err_msg=k)
    assert float(fast["max_price_ratio"].max()) > 1.5  # the case is not trivial


def test_shipped_parameters_come_from_their_sources() -> None:
    """Gallium: China's ~100 t of exports against 9 t produced elsewhere; germanium: ~34 t
    against 30 t; antimony ~51 kt against 70 kt mined elsewhere (the raw figures are in
    docs/data.md); each names its restricting country; every other material takes the labelled
    default."""
    ds = load()
    values, used = market_response(ds, ["gallium", "germanium", "nickel", "antimony"])
    np.testing.assert_allclose(
        values["restrictor_export_share"][[0, 1, 3]], [0.92, 0.53, 0.42], atol=0.01
    )
    shares = used[used["parameter"] == "restrictor_export_share"]
    assert set(shares["country"]) == {"CHN"}
    assert values["response_share"][0] == pytest.approx(1.0)
    assert values["stock_months"][2] == 2.0 and values["leakage"][2] == 0.0
    assert set(used["status"]) <= {"derived", "assumption"}
    assert (used["low"] <= used["value"]).all() and (used["value"] <= used["high"]).all()
    # idle capacity outside China against world production (USGS MCS 2026, 2025 estimates):
    # magnesium 285 - 133 = 152 kt of 1,100 kt; indium 585 - 330 = 255 t of 1,100 t
    idle, _ = market_response(ds, ["magnesium", "indium"])
    np.testing.assert_allclose(idle["response_share"], [152 / 1100, 255 / 1100], atol=0.01)


def test_price_loss_splits_the_buyers_surplus_as_the_hand_check() -> None:
    """../shared/reference/methods.md section 8 (constant-elasticity demand): D0 = 100 t,
    p0 = 1, e = -0.5, p1 = 4: surplus lost 100 (4 ** 0.5 - 1) / 0.5 = 200; the extra bill on
    the 50 t still bought 150; the use given up 50."""
    from critmat.sim.kernel import price_loss_stage

    bill, use = price_loss_stage(4.0, -0.5, 100.0, 1.0, 50.0)
    assert (bill, use) == pytest.approx((150.0, 50.0))
    # e = -1: surplus ln(4) = 1.386 of which 3 * 25 = 75 is bill on the 25 t still bought
    bill, use = price_loss_stage(4.0, -1.0, 100.0, 1.0, 25.0)
    assert use == pytest.approx(100.0 * (np.log(4.0) - 3.0 * 0.25))
    assert price_loss_stage(0.9, -0.5, 100.0, 1.0, 50.0) == (0.0, 0.0)  # no rise, no cost


def test_the_total_loss_is_the_sum_of_its_components() -> None:
    from critmat.sim.run import simulate

    m = toy_market()
    ev = compile_events(Scenario.model_validate(ALL_EVENTS), m, PRICE_RESPONSE)
    res = simulate(m, ev, runs=64, seed=2, horizon=36, params=PRICE_RESPONSE)
    s = res.summary().set_index("material")
    parts = s[["expected_unmet_loss_usd", "expected_import_bill_usd", "expected_use_given_up_usd"]]
    np.testing.assert_allclose(s["expected_loss_usd"], parts.sum(axis=1), rtol=1e-9)
    assert (parts > 0).all().all()


@pytest.mark.parametrize(("cap", "share"), [(100.0, 0.0), (3.0, 1.0)])
def test_the_summary_reports_the_share_of_runs_at_the_cap(cap: float, share: float) -> None:
    """The constant-elasticity ban of the first test reaches 4x: below a cap of 100, at a cap
    of 3."""
    from critmat.sim.run import simulate

    mk, params = _market(), dataclasses.replace(BASE, price_cap=cap)
    sc = Scenario.model_validate({"name": "hand", "horizon_months": 6, "events": [BAN]})
    res = simulate(mk, compile_events(sc, mk, params), runs=8, seed=0, horizon=6, params=params,
                   keep_full_runs=8)  # fmt: skip
    row = res.summary().set_index("material").loc["gallium"]
    assert row["share_runs_at_price_cap"] == share
    assert row["p50_max_price_ratio"] == pytest.approx(min(4.0, cap), rel=1e-5)
    # and the share of run-months (issue 30, item 1), against the kept monthly paths
    i = list(mk.materials).index("gallium")
    ratio = res.paths["price"][:, i, :] / float(mk.price0[i])
    months = float(np.mean(ratio >= cap * (1 - 1e-6)))
    assert row["share_months_at_price_cap"] == pytest.approx(months, abs=1e-9)
    assert (months > 0) == (share > 0)
    from critmat.services.simulate import cap_notes

    notes = cap_notes(res)
    assert bool(notes) == (share > 0)
    if notes:
        assert f"{share:.0%} of runs and {months:.0%} of run-months" in notes[0]


def test_the_share_goes_to_the_named_country_not_the_largest_exporter() -> None:
    """Antimony's largest exporter in the shipped headings is Tajikistan (0.19; China 0.10):
    China's share is the table's 0.42 all the same, and the others are scaled to the rest."""
    from critmat.sim.market import build_market

    mk = build_market(load(), "EU27", 2023, ["antimony"])
    c = mk.countries.index("CHN")
    assert mk.export_share[0, c] == pytest.approx(0.42, abs=1e-6)
    assert float(mk.export_share[0].sum()) == pytest.approx(1.0, abs=1e-5)


def test_an_overlay_of_market_parameters_is_checked_row_by_row(tmp_path: Path) -> None:
    """A user's own market_response: materials must be critmat's (or 'default') and the
    restricting country a known one; nothing is loaded otherwise."""
    import critmat.data as cd
    from critmat.data.dataset import DatasetError

    head = "material,parameter,country,value,low,high,unit,source,status,notes\n"
    (tmp_path / "market_response.csv").write_text(
        head + "unobtainium,leakage,,0.1,0,0.2,share,mine,assumption,\n"
        "gallium,restrictor_export_share,XXX,0.5,0.4,0.6,share,mine,assumption,\n"
    )
    with pytest.raises(DatasetError) as exc:
        cd.load(tmp_path, use_env=False)
    got = {(i.line, i.column) for i in exc.value.issues}
    assert got == {(2, "material"), (3, "country")}
    (tmp_path / "market_response.csv").write_text(
        head + "gallium,stock_months,,6,3,9,months,mine,assumption,\n"
    )
    values, _ = market_response(cd.load(tmp_path, use_env=False), ["gallium"])
    assert values["stock_months"][0] == 6.0
