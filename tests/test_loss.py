"""Loss per tonne short from downstream value added (critmat.sim.loss, docs/methods.md 6.7)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import critmat.data as cd
from benchmarks.oracle_sim import oracle
from critmat.cli.main import app
from critmat.data.units import UnitError, eur_to_usd
from critmat.risk.eu_method import economic_importance, substitution
from critmat.risk.inputs import AssessmentInputs
from critmat.sim.engine import Stockpile, simulate_chunk
from critmat.sim.events import compile_events
from critmat.sim.loss import VA_EUR_YEAR, loss_per_tonne, loss_table, value_added_per_tonne
from critmat.sim.market import Market, SimParams, build_market
from critmat.sim.run import block_draws
from critmat.sim.scenario import Scenario
from tests.test_sim import ALL_EVENTS, toy_market


@pytest.fixture(scope="module")
def eu(ds: cd.Dataset) -> Market:
    return build_market(ds, "EU27", 2023)


@pytest.fixture(scope="module")
def usa(ds: cd.Dataset) -> Market:
    return build_market(ds, "USA", 2023)


def test_ecb_rate_and_unknown_year() -> None:
    assert eur_to_usd(100.0, 2019) == pytest.approx(111.95)
    with pytest.raises(UnitError, match="no USD/EUR rate for 1990"):
        eur_to_usd(1.0, 1990)


def test_value_added_per_tonne_by_hand_for_tungsten(ds: cd.Dataset, eu: Market) -> None:
    """w = fx * (sum_s A_s Q_s + unassigned * median Q) / C, computed here from the tables."""
    t = ds.table("eu_end_uses")
    t = t[t["material"] == "tungsten"]
    va = ds.table("sector_value_added").set_index("nace")["value"].astype(float)
    a = t.groupby(t["nace"].astype(str))["share"].sum()
    mapped = sum(float(v) * va[k] for k, v in a.items() if k in va.index)
    rest = float(a.sum()) - sum(float(v) for k, v in a.items() if k in va.index)
    q_med = float(va[[k for k in va.index if k.startswith("C")]].median())
    cons = float(eu.demand0[eu.index("tungsten")]) * 12.0  # EU27 market: its own consumption
    want = (mapped + rest * q_med) * 1e6 * 1.1195 / cons
    got = value_added_per_tonne(ds, "EU27", ["tungsten"], 2023).iloc[0]
    assert got["value_added_usd_per_t"] == pytest.approx(want, rel=1e-4)
    assert got["loss_status"] == "derived" and "EC 2023" in got["loss_source"]


def test_stake_is_the_numerator_of_the_ec_economic_importance(ds: cd.Dataset) -> None:
    """EI = SI_EI * sum_s A_s Q_s / max Q * 10 (EC 2017): for materials whose EC end uses are all
    assigned, the value added at stake equals EI * max Q / (10 SI_EI), in euros."""
    inp = AssessmentInputs()
    qmax = float(ds.table("sector_value_added")["value"].max())
    checked = 0
    for mat in ("tungsten", "gallium", "terbium", "cobalt", "antimony"):
        row = value_added_per_tonne(ds, "EU27", [mat], 2023).iloc[0]
        t = ds.table("eu_end_uses")
        if float(t.loc[(t["material"] == mat) & (t["nace"].astype(str) == ""), "share"].sum()):
            continue
        si = substitution(ds, mat, inp)[0].si_ei
        ei = economic_importance(ds, mat, "EU27", inp, si).ei
        stake_eur_m = row["value_added_at_stake_usd_m_per_yr"] / 1.1195
        assert stake_eur_m == pytest.approx(ei * qmax / (10.0 * si), rel=1e-6), mat
        checked += 1
    assert checked >= 3


def test_loss_is_at_least_the_price_and_scales_with_dependency(eu: Market) -> None:
    base = loss_per_tonne(eu, SimParams())
    assert (base >= eu.price0.astype(np.float64) * (1 - 1e-6)).all()
    tab = loss_table(eu, SimParams())
    above = (tab["bound"] == "value added").to_numpy()
    assert above.sum() >= 15  # most materials are priced by their value added, not the floor
    tripled = loss_per_tonne(eu, SimParams(loss_dependency=0.09))
    np.testing.assert_allclose(tripled[above], 3.0 * base[above], rtol=1e-9)


@settings(max_examples=30, deadline=None)
@given(st.floats(0.0, 1.0), st.floats(0.0, 1.0))
def test_loss_never_falls_when_the_dependency_rises(d1: float, d2: float) -> None:
    m = _toy_with_loss_inputs()
    lo, hi = sorted((d1, d2))
    a = loss_per_tonne(m, SimParams(loss_dependency=lo))
    b = loss_per_tonne(m, SimParams(loss_dependency=hi))
    assert (b >= a).all() and (a >= m.price0 * (1 - 1e-6)).all()


def test_materials_without_end_uses_are_labelled_with_the_median_ratio() -> None:
    # every shipped material has end uses now (germanium and tantalum since issue 30): take
    # two away
    thin = cd.Dataset()  # a fresh one: load() returns the shared shipped dataset
    eu_ = thin.end_uses
    thin._cache["end_uses"] = eu_[~eu_["material"].isin(["germanium", "tantalum"])]
    tab = loss_table(build_market(thin, "EU27", 2023), SimParams()).set_index("material")
    derived = tab[tab["status"] == "derived"]
    for mat in ("germanium", "tantalum"):
        row = tab.loc[mat]
        assert row["status"] == "assumption" and np.isnan(row["value_added_usd_per_t"])
        assert "no end-use shares" in row["source"] and "median ratio" in row["source"]
        assert row["loss_to_price"] == pytest.approx(float(derived["loss_to_price"].median()))


def test_other_holders_use_the_eu27_value_added_per_tonne(eu: Market, usa: Market) -> None:
    a = loss_table(eu, SimParams()).set_index("material")
    b = loss_table(usa, SimParams()).set_index("material")
    common = a.index.intersection(b.index)
    np.testing.assert_allclose(
        b.loc[common, "value_added_usd_per_t"], a.loc[common, "value_added_usd_per_t"]
    )
    assert b["source"].str.contains("EU27 per-tonne proxy for USA").any()


def test_a_year_without_imports_costs_the_order_of_the_usgs_2025_losses(usa: Market) -> None:
    """USGS OFR 2025-1047: over 1,200 one-year foreign trade disruptions of 84 commodities cost
    the US economy up to 4.5 bn USD. A whole year of the holder's imports lost (lines stopped)
    must cost, for the median material, within an order of magnitude of that (0.45-45 bn)."""
    p = SimParams()
    v = loss_per_tonne(usa, p)
    imports_t = usa.demand0.astype(np.float64) * 12.0 * usa.import_share.sum(axis=1)
    year = v * imports_t * p.loss_line_stop
    assert 0.45e9 <= float(np.median(year)) <= 45e9


def _toy_with_loss_inputs() -> Market:
    m = toy_market()
    m.loss_inputs = pd.DataFrame(
        {
            "material": m.materials,
            "end_use_mapped_share": [1.0, 1.0],
            "value_added_at_stake_usd_m_per_yr": [1000.0, 2000.0],
            "eu27_consumption_t_per_yr": [12000.0, 6000.0],
            "value_added_usd_per_t": [1000e6 / 12000.0, 2000e6 / 6000.0],
            "si_ei": [0.9, 1.0],
            "si_source": ["test", "test"],
            "loss_source": ["test", "test"],
            "loss_status": ["derived", "derived"],
        }
    )
    return m


@pytest.mark.parametrize("line_stop", [1.0, 3.0])
def test_engine_line_stop_matches_the_oracle(line_stop: float) -> None:
    m = _toy_with_loss_inputs()
    params = dataclasses.replace(SimParams(), loss_line_stop=line_stop)
    sc = Scenario.model_validate(ALL_EVENTS)
    ev = compile_events(sc, m, params)
    d = block_draws(ev, seed=5, block=0, n=40, horizon=36, uncertainty={})
    sp = Stockpile(np.zeros(2, np.float32), np.zeros(2, np.float32), np.zeros(2, np.float32))
    fast = simulate_chunk(m, params, ev, d, sp, 36, keep_full=False)
    slow = oracle(m, params, ev, d, sp, 36)
    np.testing.assert_allclose(fast["loss_usd"], slow["loss_usd"], rtol=2e-3, atol=1.0)
    # without a stock, the loss counted without it is the loss
    np.testing.assert_allclose(fast["loss_usd_nostock"], fast["loss_usd"], rtol=1e-5)


DEEP = {
    "name": "graphite cut off",
    "horizon_months": 12,
    "events": [
        {"type": "embargo", "country": c, "target": "EU27", "material": m,
         "start": 2, "duration": 4}
        for c, m in (("CHN", "graphite"), ("BRA", "graphite"), ("CHN", "cobalt"))
    ],
}  # fmt: skip


def test_line_stop_raises_the_loss_only_in_months_of_deep_shortage() -> None:
    m = _toy_with_loss_inputs()
    sc = Scenario.model_validate(DEEP)
    # buyers never find other sellers: the shortage stays as deep as the cut
    base = dataclasses.replace(SimParams(), loss_line_stop=1.0, switch_months=1e9)
    ev = compile_events(sc, m, base)
    d = block_draws(ev, seed=5, block=0, n=4, horizon=12, uncertainty={})
    sp = Stockpile(np.zeros(2, np.float32), np.zeros(2, np.float32), np.zeros(2, np.float32))
    one = simulate_chunk(m, base, ev, d, sp, 12, keep_full=False)
    two = simulate_chunk(
        m, dataclasses.replace(base, loss_line_stop=2.0), ev, d, sp, 12, keep_full=True
    )
    v = loss_per_tonne(m, base)
    kinds = set()
    for i in (0, 1):  # graphite loses 80% of its supply (lines stop), cobalt 30% (they do not)
        unmet, demand = two["full_unmet"][0, i], two["full_demand"][0, i]
        deep = unmet > 0.5 * demand
        kinds.add(bool(deep.any()))
        assert (unmet > 0).any()
        want = float(np.sum(unmet * v[i] * np.where(deep, 2.0, 1.0)))
        assert float(two["loss_usd"][0, i]) == pytest.approx(want, rel=1e-4)
        assert float(one["loss_usd"][0, i]) == pytest.approx(float(np.sum(unmet * v[i])), rel=1e-4)
    assert kinds == {True, False}


def test_cli_loss_table_and_csv() -> None:
    r = CliRunner().invoke(app, ["loss", "--holder", "EU27"], env={"COLUMNS": "160"})
    assert r.exit_code == 0, r.output
    assert "Loss of a tonne short, EU27 2023" in r.output and "gallium" in r.output
    assert "price floor" in r.output  # nickel: value added per t below the price at 0.03
    r = CliRunner().invoke(app, ["loss", "--holder", "USA", "--format", "csv"])
    assert r.exit_code == 0, r.output
    head = r.output.splitlines()[0]
    for col in ("value_added_usd_per_t", "loss_usd_per_t", "dependency", "source", "status"):
        assert col in head
    bad = CliRunner().invoke(app, ["loss", "--dependency", "2"])
    assert bad.exit_code == 2


def test_the_eur_year_is_within_the_ecb_table() -> None:
    assert eur_to_usd(1.0, VA_EUR_YEAR) > 1.0
