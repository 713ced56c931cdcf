"""Demand projections: the arithmetic (driver x intensity, units, other uses, holder index), the
scenario files, substitution, determinism, the backtest's no-look-ahead rule, and the printed
tonnages against the IEA's published figures (order of magnitude)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from critmat.data import load
from critmat.data.dataset import InputError
from critmat.data.loader import DatasetError
from critmat.data.units import UnitError, convert_intensity
from critmat.forecast.demand import project
from critmat.forecast.demand_backtest import backtest_demand
from critmat.forecast.paths import anchors, extend
from critmat.forecast.scenario_spec import DemandScenario, load_scenario, scenario_path

DS = load()
LFP_LI = 0.0914853  # kg Li per kWh of an LFP pack (intensities table, Busch et al. 2024)


def _spec(**over: object) -> DemandScenario:
    raw = yaml.safe_load(scenario_path("stated_policies").read_text())
    raw.update(over)
    return DemandScenario.model_validate(raw)


def _drivers(battery_gwh: float = 100.0) -> pd.DataFrame:
    """A toy driver table: flat history 2020-2024 for every driver."""
    rows = []
    for d, v, u, ed in (
        ("ev_battery_demand", battery_gwh, "GWh/yr", "GEVO 2025"),
        ("ev_sales", 1e6, "vehicles/yr", "GEVO 2025"),
        ("solar_added", 10.0, "GW/yr", "IRENA 2024"),
        ("wind_added", 5.0, "GW/yr", "IRENA 2024"),
    ):
        for region in ("WLD", "EU27"):
            for y in range(2020, 2025):
                rows.append((d, region, "historical", y, v * (0.1 if region == "EU27" else 1),
                             u, ed))  # fmt: skip
    return pd.DataFrame(rows, columns=["driver", "region", "scenario", "year", "value", "unit",
                                       "edition"])  # fmt: skip


def _flat(**chem: float) -> DemandScenario:
    """Only LFP (or the given mix), no growth anywhere, no ranges."""
    raw = yaml.safe_load(scenario_path("stated_policies").read_text())
    for d in raw["drivers"].values():
        d["points"], d["growth_after"] = [], {"value": 0, "low": 0, "high": 0, "source": "test"}
        d.pop("follow", None)
        d.pop("scale", None)
    raw["chemistry"] = {"shares": {2024: chem or {"LFP": 1.0}}, "intensity_range": [1, 1],
                        "source": "test"}  # fmt: skip
    raw["other_uses"] = {"iea": False, "default": {"value": 0.02, "low": 0.02, "high": 0.02,
                                                   "source": "test"}}  # fmt: skip
    return DemandScenario.model_validate(raw)


def _base(**t: float) -> pd.DataFrame:
    return pd.DataFrame({"material": list(t), "value_t": list(t.values()),
                         "basis": "element", "source": "test"})  # fmt: skip


def test_intensity_units_in_one_place() -> None:
    assert convert_intensity(1.0, "kg/kWh", "t/GWh") == pytest.approx(1000.0)
    assert convert_intensity(500.0, "kg/MW", "t/GW") == pytest.approx(500.0)
    assert convert_intensity(2.0, "g/W", "t/GW") == pytest.approx(2000.0)
    with pytest.raises(UnitError, match="cannot convert"):
        convert_intensity(1.0, "kg/kWh", "t/GW")
    with pytest.raises(UnitError, match="unknown activity unit"):
        convert_intensity(1.0, "kg/furlong", "t/GWh")


def test_driver_times_intensity_and_other_uses_by_hand() -> None:
    """100 GWh of LFP packs at 0.0914853 kg Li/kWh = 9,148.53 t Li; the rest of a 20,000 t
    base is other uses growing 2 %/yr."""
    sc = _flat()
    p = project(sc, _drivers(100.0), DS.intensities, DS.table("demand_projections"),
                _base(lithium=20_000.0), draws=1)  # fmt: skip
    w = p.world.set_index(["sector", "year"])
    ev = 100.0 * LFP_LI * 1e6 / 1e3
    assert w.loc[("ev_batteries", 2024), "demand_t"] == pytest.approx(ev, rel=1e-9)
    assert w.loc[("ev_batteries", 2040), "demand_t"] == pytest.approx(ev, rel=1e-9)
    other0 = 20_000.0 - ev
    assert w.loc[("other_uses", 2030), "demand_t"] == pytest.approx(other0 * 1.02**6, rel=1e-9)
    assert w.loc[("total", 2024), "demand_t"] == pytest.approx(20_000.0, rel=1e-9)
    assert w.loc[("total", 2040), "demand_t"] == pytest.approx(ev + other0 * 1.02**16, rel=1e-9)


def test_modelled_sectors_above_the_base_are_named_and_other_uses_zero() -> None:
    p = project(_flat(), _drivers(100.0), DS.intensities, DS.table("demand_projections"),
                _base(lithium=1_000.0), draws=1)  # fmt: skip
    assert any("exceed the recorded base" in n for n in p.notes)
    w = p.world[(p.world["sector"] == "other_uses")]
    assert (w["demand_t"] == 0).all()


def test_missing_base_is_not_assessed_not_zero() -> None:
    p = project(_flat(), _drivers(), DS.intensities, DS.table("demand_projections"),
                _base(lithium=float("nan")), draws=1)  # fmt: skip
    assert p.world.empty
    assert any("lithium: not assessed" in n for n in p.notes)


def test_holder_follows_its_own_drivers_and_the_world_index() -> None:
    """A holder using the world's sector split: flat drivers, so only other uses grow."""
    sc = _flat()
    p = project(sc, _drivers(100.0), DS.intensities, DS.table("demand_projections"),
                _base(lithium=20_000.0), holder="EU27",
                holder_base=pd.DataFrame({"material": ["lithium"], "value_t": [500.0],
                                          "basis": ["Li"]}), draws=1)  # fmt: skip
    assert p.holder is not None
    h = p.holder.set_index("year")
    ev_share = 100.0 * LFP_LI * 1e3 / 20_000.0
    assert h.loc[2024, "demand_t"] == pytest.approx(500.0)
    want = 500.0 * (ev_share + (1 - ev_share) * 1.02**16)
    assert h.loc[2040, "demand_t"] == pytest.approx(want, rel=1e-9)


def test_substitution_lowers_cobalt_when_lfp_replaces_nmc() -> None:
    raw = _flat(**{"NMC 622": 1.0}).model_dump()
    raw["chemistry"]["shares"] = {2024: {"NMC 622": 1.0}, 2040: {"LFP": 1.0}}
    sc = DemandScenario.model_validate(raw)
    p = project(sc, _drivers(), DS.intensities, DS.table("demand_projections"),
                _base(cobalt=100_000.0, lithium=50_000.0), draws=1)  # fmt: skip
    s = p.substitution.set_index(["material", "year"])
    assert s.loc[("cobalt", 2024), "effect_t"] == pytest.approx(0.0, abs=1e-6)
    assert s.loc[("cobalt", 2040), "effect_t"] < 0
    # the whole NMC 622 cobalt disappears by 2040 (LFP has none)
    co = DS.intensities
    co622 = float(
        co[(co.technology == "battery pack NMC 622") & (co.material == "cobalt")].value.iloc[0]
    )
    assert s.loc[("cobalt", 2040), "effect_t"] == pytest.approx(-100 * co622 * 1e3, rel=1e-9)


def test_unknown_chemistry_names_the_known_ones() -> None:
    sc = _flat(**{"NMC 999": 1.0})
    with pytest.raises(InputError, match=r"NMC 999.*known:.*LFP"):
        project(sc, _drivers(), DS.intensities, DS.table("demand_projections"),
                _base(lithium=1.0), draws=1)  # fmt: skip


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"chemistry": {"shares": {2024: {"LFP": 0.5}}, "source": "x" * 5}}, "sum to 0.5"),
        ({"end_year": 2020}, "must be after base_year"),
        ({"name": "Bad Name"}, "name"),
        ({"drivers": {}}, "drivers missing"),
    ],
)
def test_bad_scenarios_are_refused_with_the_key_path(
    tmp_path: Path, change: dict[str, object], message: str
) -> None:
    raw = yaml.safe_load(scenario_path("stated_policies").read_text())
    raw.update(change)
    f = tmp_path / "s.yaml"
    f.write_text(yaml.safe_dump(raw))
    with pytest.raises(DatasetError, match=message):
        load_scenario(f)


def test_unknown_scenario_lists_the_shipped_ones() -> None:
    with pytest.raises(InputError, match="stated_policies"):
        load_scenario("no_such_scenario")


def test_paths_geometric_between_points_and_growth_after() -> None:
    tbl = pd.DataFrame({"driver": "ev_sales", "region": "WLD",
                        "scenario": ["historical", "historical", "STEPS"],
                        "edition": ["E", "E", "P"], "year": [2023, 2024, 2030],
                        "value": [50.0, 100.0, 6400.0]})  # fmt: skip
    raw = _spec().drivers["ev_sales"].model_dump()
    raw.update(history="E", points=[{"scenario": "STEPS", "edition": "P"}], follow=None)
    spec = type(_spec().drivers["ev_sales"]).model_validate(raw)
    a = anchors(tbl, "ev_sales", spec, "WLD", 2024)
    years = np.arange(2024, 2033, dtype=float)
    x = extend(a, years, np.array([0.1]))
    assert x[0, 0] == pytest.approx(100.0)
    assert x[0, 3] == pytest.approx(800.0)  # 100 -> 6400 over 6 years: x2 per year
    assert x[0, 6] == pytest.approx(6400.0)
    assert x[0, 8] == pytest.approx(6400.0 * 1.1**2)


def test_same_seed_same_projection_and_band_around_the_central_line() -> None:
    sc = load_scenario("stated_policies")
    args = (DS.table("demand_drivers"), DS.intensities, DS.table("demand_projections"),
            _base(lithium=205_000.0, cobalt=220_000.0, neodymium=58_000.0))  # fmt: skip
    a = project(sc, *args, draws=200, seed=3)
    b = project(sc, *args, draws=200, seed=3)
    pd.testing.assert_frame_equal(a.world, b.world)
    w = a.world
    assert (w["low_t"] <= w["high_t"] + 1e-9).all()
    tot = w[(w["sector"] == "total") & (w["year"] > 2026)]
    assert ((tot["low_t"] < tot["demand_t"]) & (tot["demand_t"] < tot["high_t"])).mean() > 0.9


@settings(max_examples=20, deadline=None)
@given(gwh=st.floats(1.0, 5000.0), lfp=st.floats(0.0, 1.0))
def test_battery_demand_is_linear_in_the_driver(gwh: float, lfp: float) -> None:
    mix = {"LFP": lfp, "NCA": 1.0 - lfp}
    sc = _flat(**mix)
    args = (DS.intensities, DS.table("demand_projections"), _base(nickel=1e9))
    one = project(sc, _drivers(gwh), *args, draws=1).world
    two = project(sc, _drivers(2 * gwh), *args, draws=1).world
    e1 = one[one["sector"] == "ev_batteries"]["demand_t"].to_numpy()
    e2 = two[two["sector"] == "ev_batteries"]["demand_t"].to_numpy()
    np.testing.assert_allclose(e2, 2 * e1, rtol=1e-9)


def test_backtest_known_drivers_use_no_data_after_the_origin() -> None:
    sc = load_scenario("stated_policies")
    rec = pd.DataFrame({"material": "lithium", "year": range(2018, 2025),
                        "value_t": np.linspace(90e3, 240e3, 7), "basis": "Li"})  # fmt: skip
    tbl = DS.table("demand_drivers")
    a = backtest_demand(sc, tbl, DS.intensities, rec, origin=2018)
    leaked = tbl.copy()
    later = leaked["year"] > 2018
    leaked.loc[later, "value"] = leaked.loc[later, "value"] * 50.0  # a different future
    b = backtest_demand(sc, leaked, DS.intensities, rec, origin=2018)
    np.testing.assert_allclose(a["known_drivers_t"], b["known_drivers_t"])
    assert not np.allclose(a["recorded_drivers_t"], b["recorded_drivers_t"])


def test_printed_tonnages_within_an_order_of_magnitude_of_the_iea() -> None:
    """IEA Critical Minerals Data Explorer 2025 (STEPS): world demand 2030 and 2040 of lithium,
    nickel, cobalt, graphite, copper; our projection within a factor of 3 (and the 2024 base
    equal to the IEA's total)."""
    from critmat.services.forecast import DemandRequest, run_demand

    mats = ["lithium", "nickel", "cobalt", "graphite", "copper"]
    res = run_demand(DS, DemandRequest(materials=mats, draws=50))
    iea = res.projection.iea
    assert set(iea["material"]) == set(mats)
    assert (iea["scope"] == "total demand").all()
    base = iea[iea["year"] == 2024]
    np.testing.assert_allclose(base["ratio"], 1.0, rtol=1e-9)
    later = iea[iea["year"].isin([2030, 2040])]
    assert ((later["ratio"] > 1 / 3) & (later["ratio"] < 3)).all(), later
    # and the lithium base is the IEA's published 205 kt Li (2024)
    li = res.base.set_index("material").loc["lithium"]
    assert li["value_t"] == pytest.approx(205_000.0) and li["basis"] == "Li"


def test_backtest_record_and_base_share_the_projection_basis() -> None:
    """Rare-earth elements: world production is REO x the element's oxide share; the backtest's
    record and the base are both converted to the element (the intensities' basis)."""
    from critmat.data.units import convert_mass
    from critmat.services.forecast import recorded_world_demand, world_base

    rec = recorded_world_demand(DS, ["neodymium"], range(2024, 2025)).iloc[0]
    base = world_base(DS, ["neodymium"], 2024).iloc[0]
    assert rec["basis"] == base["basis"] == "Nd"
    assert rec["value_t"] == pytest.approx(base["value_t"])
    reo = recorded_world_demand(DS, ["rare_earths"], range(2024, 2025)).iloc[0]["value_t"]
    assert rec["value_t"] == pytest.approx(convert_mass(reo * 0.17, "t", "t", "Nd2O3", "Nd"))
