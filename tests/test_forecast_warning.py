"""Early-warning index: monotone in every signal, signals use only past data, the backtest's
counting, the fitted weights, and the multiplier in the stochastic generator."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from critmat.data import load
from critmat.forecast.warning import (
    BOUNDS,
    SIGNALS,
    WarningInputs,
    backtest_index,
    fit_scaling,
    fit_weights,
    multiplier,
    signals,
    warning_index,
)

DS = load()


def _panel(seed: int = 0, n: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {"material": [f"m{i % 6}" for i in range(n)], "year": 2000 + np.arange(n) // 6}
    )
    for s in SIGNALS:
        df[s] = rng.standard_normal(n)
    return df


@settings(max_examples=60, deadline=None)
@given(row=st.integers(0, 59), signal=st.sampled_from(SIGNALS), bump=st.floats(0.0, 10.0),
       w=st.lists(st.floats(0.0, 3.0), min_size=6, max_size=6))  # fmt: skip
def test_index_and_multiplier_never_fall_when_a_signal_rises(
    row: int, signal: str, bump: float, w: list[float]
) -> None:
    raw = _panel()
    scaling = fit_scaling(raw)
    weights = dict(zip(SIGNALS, w, strict=True))
    if sum(weights.values()) == 0:
        weights[signal] = 1.0
    a = warning_index(raw, scaling, weights)
    up = raw.copy()
    up.loc[row, signal] += bump
    b = warning_index(up, scaling, weights)
    assert b.loc[row, "index"] >= a.loc[row, "index"] - 1e-12
    assert b.loc[row, "multiplier"] >= a.loc[row, "multiplier"] - 1e-12
    others = b.index != row
    np.testing.assert_allclose(a.loc[others, "index"], b.loc[others, "index"])


def test_multiplier_bounds_and_negative_weights_refused() -> None:
    m = multiplier(np.array([-100.0, 0.0, 1.0, 100.0]))
    assert m[0] == BOUNDS[0] and m[1] == 1.0 and m[2] == pytest.approx(2.0) and m[3] == BOUNDS[1]
    raw = _panel()
    with pytest.raises(ValueError, match=">= 0"):
        warning_index(raw, fit_scaling(raw), {"price_momentum": -1.0})


def _inputs(price_2015: float = 10.0) -> WarningInputs:
    years = list(range(2005, 2021))
    prices = pd.DataFrame({"material": "x", "year": years,
                           "price": [price_2015 if y >= 2015 else 1.0 + 0.1 * (y - 2005)
                                     for y in years]})  # fmt: skip
    return WarningInputs(
        prices=prices,
        supply=pd.DataFrame(
            {"material": ["x", "x"], "country": ["AAA", "BBB"], "share": [0.75, 0.25]}
        ),
        hhi=pd.DataFrame({"material": "x", "year": years, "hhi": 0.5}),
        governance=pd.DataFrame(
            {"country": ["AAA"] * 16 + ["BBB"] * 16, "year": years * 2, "pv": [0.0] * 32}
        ),
        events=pd.DataFrame(
            {
                "event_id": ["E1", "E2"],
                "materials": [["y"], ["x"]],
                "actor": ["AAA", "AAA"],
                "event_type": ["export_restriction"] * 2,
                "year": [2012, 2018],
            }
        ),
        hazard=pd.DataFrame({"country": ["AAA", "BBB"], "hazard": [0.8, 0.2], "water": [0.4, 0.4]}),
    )


def test_signals_use_only_data_before_the_year() -> None:
    years = list(range(2008, 2021))
    a = signals(_inputs(10.0), years).set_index("year")
    b = signals(_inputs(99.0), years).set_index("year")
    cols = list(SIGNALS)
    # the 2015 price differs: signals up to 2015 (data to 2014) are identical, 2016 differs
    pd.testing.assert_frame_equal(a.loc[:2015, cols], b.loc[:2015, cols])
    assert a.loc[2016, "price_momentum"] != b.loc[2016, "price_momentum"]
    # restrictions by AAA (75 % of x's supply) started 2012: counted 2013-2015, not 2012
    assert a.loc[2012, "recent_restrictions"] == 0.0
    assert a.loc[2013, "recent_restrictions"] == pytest.approx(0.75)
    assert a.loc[2016, "recent_restrictions"] == 0.0
    assert a.loc[2019, "recent_restrictions"] == pytest.approx(0.75)
    assert a.loc[2010, "hazard_exposure"] == pytest.approx(0.75 * 0.8 + 0.25 * 0.2)


def test_backtest_counts_warnings_lead_and_false_alarms() -> None:
    idx = pd.DataFrame({"material": "x", "year": range(2010, 2020),
                        "index": [0, 1, 0, 0, 0.6, 0.7, 0.9, 0, 0, 1.0]})  # fmt: skip
    ev = pd.DataFrame({"event_id": ["E"], "materials": [["x"]], "actor": ["AAA"],
                       "event_type": ["embargo"], "year": [2016]})  # fmt: skip
    per, alarms = backtest_index(idx, ev, threshold=0.5, lead=3, horizon=2, known_until=2020)
    r = per.iloc[0]
    assert bool(r["warned"]) and r["lead_years"] == 3 and r["index_at_start"] == 0.9
    a = alarms.iloc[0]
    # warnings 2011, 2014, 2015, 2016, 2019; 2014-2016 are followed by E within 2 years
    assert a["warnings"] == 5 and a["false_alarms"] == 1 and a["false_alarm_years"] == "2011"
    assert a["pending"] == 1  # 2019: its window runs past 2020, the end of the record


def test_fitted_weights_are_non_negative_and_find_the_informative_signal() -> None:
    rng = np.random.default_rng(1)
    z = pd.DataFrame({s: rng.standard_normal(3000) for s in SIGNALS})
    p = 1 / (1 + np.exp(-(-3.0 + 1.5 * z["recent_restrictions"])))
    y = pd.Series((rng.random(3000) < p).astype(int))
    w = fit_weights(z, y, penalty=0.1)
    assert all(w[s] >= 0 for s in SIGNALS)
    assert w["recent_restrictions"] == max(w[s] for s in SIGNALS)
    assert w["beta"] == pytest.approx(1.5, rel=0.35)


def test_service_backtest_covers_every_recorded_event() -> None:
    from critmat.services.warning import WarningRequest, run_warning

    res = run_warning(DS, WarningRequest())
    ev = DS.events
    parents = ev[ev["parent_event"].fillna("") == ""]
    assert set(res.events["event_id"]) == set(parents["event_id"])
    assert res.index["multiplier"].between(*BOUNDS).all()
    assert (res.current["year"] == 2026).all() and len(res.current) == res.index[
        "material"
    ].nunique()
    w = res.weights.set_index("signal")
    assert (w.loc[list(SIGNALS), "fitted"] >= 0).all()


def test_the_generator_scales_a_material_rates_by_its_multiplier() -> None:
    from critmat.sim.generator import stochastic_events
    from critmat.sim.market import build_market
    from critmat.sim.scenario import StochasticSpec

    market = build_market(DS, "EU27", 2023, materials=["gallium", "cobalt"])
    base = stochastic_events(DS, market, StochasticSpec(), 60)
    up = stochastic_events(DS, market, StochasticSpec(rate_multiplier={"gallium": 2.5}), 60)
    gi = market.materials.index("gallium")
    ga = base.mat == gi
    assert ga.any() and (~ga).any()
    rate = {k: np.array([s[1] for s in t.start]) for k, t in (("base", base), ("up", up))}
    np.testing.assert_allclose(rate["up"][ga], 2.5 * rate["base"][ga], rtol=1e-6)
    np.testing.assert_allclose(rate["up"][~ga], rate["base"][~ga], rtol=1e-12)
    with pytest.raises(ValueError, match="between 0 and 100"):
        StochasticSpec(rate_multiplier={"gallium": -1.0})


def test_a_material_index_does_not_depend_on_the_others_asked() -> None:
    from critmat.services.warning import WarningRequest, run_warning

    one = run_warning(DS, WarningRequest(materials=["gallium"])).index
    all_ = run_warning(DS, WarningRequest()).index
    pd.testing.assert_frame_equal(
        one.reset_index(drop=True),
        all_[all_["material"] == "gallium"].reset_index(drop=True),
    )
