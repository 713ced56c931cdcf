"""Simulation: invariants, oracle agreement, determinism, event directions, bad files."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import critmat.data as cd
from critmat.cli.main import app
from critmat.sim.engine import FULL_VARIABLES, Stockpile, simulate_chunk
from critmat.sim.events import compile_events
from critmat.sim.market import Market, SimParams
from critmat.sim.run import BLOCK, block_draws, simulate
from critmat.sim.scenario import Scenario, load_scenario

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.oracle_sim import oracle

P = SimParams()


def toy_market() -> Market:
    """Two materials, three countries; CHN dominates exports of 'graphite'."""
    f = np.float32
    return Market(
        holder="EU27",
        year=2023,
        materials=["graphite", "cobalt"],
        countries=["CHN", "COD", "BRA"],
        demand0=np.array([1000.0, 500.0], f),
        price0=np.array([1200.0, 30000.0], f),
        recycling=np.array([0.03, 0.2], f),
        import_share=np.array([[0.5, 0.0, 0.3], [0.3, 0.6, 0.0]], f),
        world_share=np.array(
            [[[0.7, 0.0, 0.1], [0.02, 0.7, 0.0]], [[0.95, 0.0, 0.0], [0.75, 0.0, 0.0]]], f
        ),
        export_share=np.array([[0.4, 0.0, 0.2], [0.5, 0.4, 0.0]], f),
        sectors=["defence", "clean energy", "industry", "other"],
        sector_share=np.array([[0.05, 0.5, 0.3, 0.15], [0.05, 0.6, 0.2, 0.15]], f),
    )


ALL_EVENTS = {
    "name": "all kinds",
    "horizon_months": 36,
    "events": [
        {
            "type": "export_restriction",
            "country": "CHN",
            "material": "graphite",
            "start": 2,
            "duration": {"dist": "uniform", "low": 3, "high": 20},
            "severity": 0.9,
            "licensing_lag_months": 2,
            "quota": 0.3,
            "frontrun_months": 1,
            "frontrun": 0.2,
        },
        {
            "type": "embargo",
            "country": "COD",
            "target": "EU27",
            "material": "cobalt",
            "start": {"dist": "uniform", "low": 0, "high": 10} if False else 5,
            "duration": 6,
        },
        {
            "type": "chokepoint",
            "route": "Suez",
            "route_share": 0.3,
            "material": "cobalt",
            "start": 12,
            "duration": 4,
            "delay_months": 2,
            "loss": 0.1,
        },
        {
            "type": "outage",
            "country": "BRA",
            "material": "graphite",
            "stage": "mining",
            "start": 20,
            "duration": 3,
            "severity": {"dist": "triangular", "low": 0.2, "mode": 0.5, "high": 0.9},
        },
        {"type": "demand_shock", "material": "cobalt", "start": 25, "duration": 6, "severity": 0.4},
        {
            "type": "withholding",
            "country": "CHN",
            "material": "cobalt",
            "stage": "refining",
            "start": 28,
            "duration": {"dist": "lognormal", "median": 4, "sigma": 0.5},
            "severity": 0.5,
        },
    ],
}


def run_toy(scenario: dict, stock_days: float = 60.0, runs: int = 300, seed: int = 1, **kw):
    m = toy_market()
    sc = Scenario.model_validate(scenario)
    ev = compile_events(sc, m, P)
    stock = (m.demand0 / 30.4375 * stock_days).astype(np.float32)
    sp = Stockpile(stock, (0.5 * m.demand0).astype(np.float32), np.zeros(2, np.float32))
    return simulate(m, ev, runs=runs, seed=seed, horizon=sc.horizon_months, stockpile=sp, **kw)


def test_mass_balance_stock_and_release_invariants() -> None:
    r = run_toy(ALL_EVENTS)
    f = r.paths
    assert set(FULL_VARIABLES) <= set(f)
    np.testing.assert_allclose(
        f["supply"] + f["recycling"] + f["release"], f["consumption"], rtol=1e-5, atol=1e-3
    )
    np.testing.assert_allclose(f["consumption"] + f["unmet"], f["demand"], rtol=1e-5, atol=1e-3)
    assert (f["stock"] >= 0).all() and (f["unmet"] >= 0).all() and (f["supply"] >= -1e-3).all()
    prev = np.concatenate(
        [
            np.broadcast_to(r.stockpile.stock0[None, :, None], (f["stock"].shape[0], 2, 1)),
            f["stock"][:, :, :-1],
        ],
        axis=2,
    )
    assert (f["release"] <= prev + 1e-3).all()
    np.testing.assert_allclose(prev - f["release"], f["stock"], atol=1e-2)


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2**31 - 1), st.floats(0.0, 365.0))
def test_invariants_hold_for_any_seed_and_stock(seed: int, days: float) -> None:
    r = run_toy(ALL_EVENTS, stock_days=days, runs=64, seed=seed)
    f = r.paths
    assert (f["stock"] >= -1e-3).all() and (f["release"] >= 0).all()
    np.testing.assert_allclose(f["consumption"] + f["unmet"], f["demand"], rtol=1e-5, atol=1e-3)


PRICE_RESPONSE = dataclasses.replace(
    P,
    supply_elasticity=0.05,
    precaution=0.8,
    precaution_months=4.0,
    price_floor=0.5,
    buffer_months=1.5,
    elasticities={"graphite": -0.2},
    long_run_response=1.24,
    long_run_months=6.0,
    uncertainty={
        "elasticity": (0.5, 2.0),
        "spare_capacity": (0.5, 1.5),
        "loss": (0.5, 2.0),
        "precaution": (0.5, 2.0),
        "buffer_months": (0.5, 2.0),
        "long_run_months": (0.5, 2.0),
    },
)


@pytest.mark.parametrize("params", [P, PRICE_RESPONSE], ids=["constant-elasticity", "full"])
def test_oracle_matches_vectorised_engine(params: SimParams) -> None:
    m = toy_market()
    sc = Scenario.model_validate(ALL_EVENTS)
    ev = compile_events(sc, m, params)
    d = block_draws(ev, seed=3, block=0, n=40, horizon=36, uncertainty=dict(params.uncertainty))
    sp = Stockpile(
        (m.demand0 * 2).astype(np.float32),
        (0.5 * m.demand0).astype(np.float32),
        np.array([100.0, 0.0], np.float32),
    )
    fast = simulate_chunk(m, params, ev, d, sp, 36, keep_full=False)
    slow = oracle(m, params, ev, d, sp, 36)
    for k in (
        "unmet",
        "shortfall",
        "release",
        "loss_usd",
        "max_price_ratio",
        "outage_months",
        "unmet_by_sector",
    ):
        np.testing.assert_allclose(fast[k], slow[k], rtol=2e-3, atol=0.5, err_msg=k)
    np.testing.assert_allclose(fast["final_stock"], slow["final_stock"], rtol=1e-4, atol=0.5)


def test_same_seed_same_result_whatever_the_chunking() -> None:
    a = run_toy(ALL_EVENTS, runs=3 * BLOCK + 17, chunk_runs=BLOCK)
    b = run_toy(ALL_EVENTS, runs=3 * BLOCK + 17, chunk_runs=4 * BLOCK)
    for k in a.aggregates:
        np.testing.assert_array_equal(a.aggregates[k], b.aggregates[k], err_msg=k)
    c = run_toy(ALL_EVENTS, runs=3 * BLOCK + 17, seed=2)
    assert not np.array_equal(a.aggregates["unmet"], c.aggregates["unmet"])


@pytest.mark.slow
def test_same_result_on_a_dask_local_cluster() -> None:
    local = run_toy(ALL_EVENTS, runs=2 * BLOCK + 5, chunk_runs=BLOCK)
    dist = run_toy(ALL_EVENTS, runs=2 * BLOCK + 5, chunk_runs=BLOCK, workers=2)
    for k in local.aggregates:
        np.testing.assert_array_equal(local.aggregates[k], dist.aggregates[k], err_msg=k)


def test_unmet_by_sector_adds_up_and_defence_is_served_first() -> None:
    r = run_toy(ALL_EVENTS, stock_days=0)
    a = r.aggregates
    np.testing.assert_allclose(a["unmet_by_sector"].sum(axis=2), a["unmet"], rtol=1e-3, atol=1.0)
    by_sector = a["unmet_by_sector"].sum(axis=(0, 1)) / r.market.sector_share.sum(axis=0)
    assert by_sector[0] <= by_sector[-1]  # defence first, "other" last


def test_sector_demand_shock_is_smaller_than_a_shock_on_all_demand() -> None:
    ev = {"type": "demand_shock", "material": "cobalt", "start": 1, "duration": 10, "severity": 0.5}
    all_ = run_toy(_one(ev), stock_days=0, runs=4).aggregates["unmet"][:, 1].sum()
    one = run_toy(_one({**ev, "sector": "industry"}), stock_days=0, runs=4).aggregates["unmet"]
    assert 0 <= one[:, 1].sum() < all_
    with pytest.raises(cd.UnknownChoiceError, match="clean energy"):
        run_toy(_one({**ev, "sector": "toys"}), runs=1)


def test_existing_dask_scheduler_gives_the_same_result() -> None:
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        dist = run_toy(ALL_EVENTS, runs=BLOCK + 3, scheduler=cluster.scheduler_address)
    local = run_toy(ALL_EVENTS, runs=BLOCK + 3)
    np.testing.assert_array_equal(local.aggregates["unmet"], dist.aggregates["unmet"])


def _one(event: dict, horizon: int = 24) -> dict:
    return {"name": "one", "horizon_months": horizon, "events": [event]}


@pytest.mark.parametrize(
    ("event", "material", "expect"),
    [
        (
            {
                "type": "export_restriction",
                "country": "CHN",
                "material": "graphite",
                "start": 1,
                "duration": 10,
                "severity": 0.9,
            },
            0,
            {"unmet", "price"},
        ),
        (
            {
                "type": "embargo",
                "country": "COD",
                "target": "EU27",
                "material": "cobalt",
                "start": 1,
                "duration": 10,
            },
            1,
            {"unmet"},
        ),
        (
            {
                "type": "chokepoint",
                "route": "Suez",
                "route_share": 0.6,
                "material": "cobalt",
                "start": 1,
                "duration": 10,
                "delay_months": 3,
                "loss": 0.5,
            },
            1,
            {"unmet"},
        ),
        (
            {
                "type": "outage",
                "country": "CHN",
                "material": "graphite",
                "stage": "mining",
                "start": 1,
                "duration": 10,
                "severity": 0.8,
            },
            0,
            {"unmet", "price"},
        ),
        (
            {
                "type": "demand_shock",
                "material": "cobalt",
                "start": 1,
                "duration": 10,
                "severity": 0.5,
            },
            1,
            {"unmet", "demand"},
        ),
        (
            {
                "type": "withholding",
                "country": "CHN",
                "material": "cobalt",
                "start": 1,
                "duration": 10,
                "severity": 0.6,
            },
            1,
            {"price"},
        ),
    ],
)
def test_every_event_type_moves_the_outcome_the_expected_way(
    event: dict, material: int, expect: set[str]
) -> None:
    base = run_toy({"name": "none", "horizon_months": 24, "events": []}, stock_days=0, runs=8)
    hit = run_toy(_one(event), stock_days=0, runs=8)
    if "unmet" in expect:
        assert (
            hit.aggregates["unmet"][:, material].mean()
            > base.aggregates["unmet"][:, material].mean()
        )
    if "price" in expect:
        assert hit.aggregates["max_price_ratio"][:, material].mean() > 1.0
    if "demand" in expect:
        assert (
            hit.paths["demand"][:, material, 5].mean() > base.paths["demand"][:, material, 5].mean()
        )
    assert base.aggregates["unmet"].sum() == 0.0  # no event, no shortfall


def test_targeted_restriction_spares_other_holders_directly() -> None:
    ev = {
        "type": "export_restriction",
        "country": "CHN",
        "material": "graphite",
        "start": 1,
        "duration": 10,
        "severity": 1.0,
        "targets": ["USA"],
    }
    hit = run_toy(_one(ev), stock_days=0, runs=4)
    open_ = run_toy(_one({**ev, "targets": []}), stock_days=0, runs=4)
    assert hit.aggregates["unmet"][:, 0].sum() < open_.aggregates["unmet"][:, 0].sum()
    assert (
        1.0
        < hit.aggregates["max_price_ratio"][:, 0].max()
        < open_.aggregates["max_price_ratio"][:, 0].max() + 1e-6
    )


def test_a_stockpile_reduces_unmet_demand_and_loss() -> None:
    ev = _one(
        {
            "type": "export_restriction",
            "country": "CHN",
            "material": "graphite",
            "start": 1,
            "duration": 6,
            "severity": 0.9,
        }
    )
    none = run_toy(ev, stock_days=0, runs=4).summary().set_index("material")
    held = run_toy(ev, stock_days=120, runs=4).summary().set_index("material")
    assert held.loc["graphite", "expected_unmet_t"] < none.loc["graphite", "expected_unmet_t"]
    assert held.loc["graphite", "loss_avoided_usd"] > 0
    assert none.loc["graphite", "loss_avoided_usd"] == 0


@pytest.mark.parametrize(
    ("text", "where", "reason"),
    [
        (
            "name: x\nevents:\n  - type: embargo\n    material: cobalt\n",
            "events.0.embargo.country",
            "Field required",
        ),
        (
            "name: x\nevents:\n  - type: meteor\n    material: cobalt\n",
            "events.0",
            "does not match",
        ),
        (
            "name: x\nevents:\n  - type: outage\n    country: CHN\n    material: cobalt\n"
            "    duration: {dist: lognormal, median: 3}\n",
            "events.0.outage.duration",
            "lognormal needs median, sigma",
        ),
        ("name: x\nhorizon_months: 0\n", "horizon_months", "greater than or equal to 1"),
        (
            "name: x\nevents:\n  - type: outage\n    country: CHN\n    material: cobalt\n"
            "    severity: 1.5\n",
            "events.0.outage.severity",
            "less than or equal to 1",
        ),
        ("events: [\n", "", "not valid YAML"),
    ],
)
def test_malformed_scenario_files(tmp_path: Path, text: str, where: str, reason: str) -> None:
    p = tmp_path / "s.yaml"
    p.write_text(text)
    with pytest.raises(cd.DatasetError) as err:
        load_scenario(p)
    msg = str(err.value)
    assert str(p) in msg and reason in msg
    if where:
        assert any(i.column.startswith(where) for i in err.value.issues), msg


def test_unknown_material_or_country_in_a_scenario() -> None:
    m = toy_market()
    with pytest.raises(cd.UnknownChoiceError, match="material in this market"):
        compile_events(
            Scenario.model_validate(
                _one({"type": "outage", "country": "CHN", "material": "lithium"})
            ),
            m,
            P,
        )
    with pytest.raises(cd.UnknownChoiceError, match="country in events"):  # known, not traded
        compile_events(
            Scenario.model_validate(
                _one({"type": "outage", "country": "TUV", "material": "cobalt"})
            ),
            m,
            P,
        )
    # a code that is no country, or a material critmat does not know, is refused at load
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="ISO 3166"):
        Scenario.model_validate(_one({"type": "outage", "country": "ATL", "material": "cobalt"}))
    with pytest.raises(ValidationError, match="unknown material"):
        Scenario.model_validate(
            _one({"type": "outage", "country": "CHN", "material": "kryptonite"})
        )


runner = CliRunner()


def test_cli_library_and_simulate(tmp_path: Path) -> None:
    r = runner.invoke(app, ["scenarios", "list", "-f", "json"])
    assert r.exit_code == 0
    lib = {x["id"]: x for x in json.loads(r.stdout)}
    assert lib["GR-2023"]["runnable"] and not lib["NI-LME-2022"]["runnable"]
    r = runner.invoke(app, ["scenarios", "show", "GR-2023"])
    assert r.exit_code == 0 and "export_restriction" in r.stdout
    (tmp_path / "gr.yaml").write_text(r.stdout)  # what `show` prints runs as a file
    assert load_scenario(tmp_path / "gr.yaml").events[0].type == "export_restriction"
    nc, page = tmp_path / "r.nc", tmp_path / "r.html"
    r = runner.invoke(
        app,
        [
            "simulate",
            "GR-2023",
            "--holder",
            "EU27",
            "--runs",
            "50",
            "--out",
            str(nc),
            "--html",
            str(page),
            "-f",
            "json",
        ],
    )
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    gr = next(x for x in doc["summary"] if x["material"] == "graphite")
    assert gr["expected_unmet_t"] > 0 and gr["p95_max_price_ratio"] > 1
    import xarray as xr

    with xr.open_dataset(nc) as ds:
        assert ds.attrs["scenario"] == "GR-2023" and "unmet" in ds and ds.sizes["run"] == 50
    text = page.read_text()
    # unmet and price fans; no stockpile in this run, so no flat stock line but a note
    assert text.count('class="plotly-graph-div"') >= 2 and "No stockpile in this run" in text
    r = runner.invoke(app, ["simulate", "NOPE-1999", "--holder", "EU27"])
    assert r.exit_code == 2 and "GR-2023" in r.stderr


@pytest.mark.slow
def test_calibration_table_puts_simulated_next_to_recorded(ds: cd.Dataset) -> None:
    from critmat.sim.calibration import calibration_table

    t = calibration_table(ds)
    gr = t[(t["event_id"] == "GR-2023") & (t["material"] == "graphite")].iloc[0]
    assert gr["recorded_change_pct"] == -93.9
    assert gr["sim_peak_price_change_pct"] > 0 and gr["sim_first_month_supply_change_pct"] < 0
    ga = t[(t["event_id"] == "GAGE-2023") & (t["material"] == "gallium")].iloc[0]
    assert ga["holder"] == "EU27" and ga["sim_first_month_supply_change_pct"] < 0


def test_price_split_for_the_restricting_country() -> None:
    """A restriction by the holder's own country raises the rest-of-world price, not its own."""
    m = toy_market()
    m.holder, m.members = "CHN", ["CHN"]
    sc = Scenario.model_validate(
        _one(
            {
                "type": "export_restriction",
                "country": "CHN",
                "material": "graphite",
                "start": 1,
                "duration": 10,
                "severity": 0.9,
            }
        )
    )
    r = simulate(m, compile_events(sc, m, P), runs=4, seed=0, horizon=24)
    assert r.aggregates["max_price_ratio"][:, 0].max() == 1.0
    assert r.aggregates["max_row_price_ratio"][:, 0].min() > 1.5
    assert (r.paths["price_row"][:, 0, 5] > r.paths["price"][:, 0, 5]).all()


def test_parameter_draws_are_reproducible_and_leave_event_draws_alone() -> None:
    m = toy_market()
    sc = Scenario.model_validate(ALL_EVENTS)
    ev = compile_events(sc, m, P)
    unc = {"elasticity": (0.5, 2.0), "loss": (0.25, 4.0)}
    a = block_draws(ev, seed=9, block=2, n=64, horizon=36, uncertainty=unc)
    b = block_draws(ev, seed=9, block=2, n=64, horizon=36, uncertainty=unc)
    plain = block_draws(ev, seed=9, block=2, n=64, horizon=36)
    np.testing.assert_array_equal(a.factors["loss"], b.factors["loss"])
    np.testing.assert_array_equal(a.start, plain.start)  # events drawn as without the factors
    np.testing.assert_array_equal(a.severity, plain.severity)
    assert (a.factors["loss"] >= 0.25).all() and (a.factors["loss"] <= 4.0).all()
    assert a.factors["loss"].std() > 0 and plain.factors == {}


def test_parameter_uncertainty_whatever_the_chunking_and_degenerate_ranges() -> None:
    m = toy_market()
    sc = Scenario.model_validate(ALL_EVENTS)
    ev = compile_events(sc, m, P)
    wide = dataclasses.replace(P, uncertainty={"elasticity": (0.5, 2.0), "loss": (0.5, 2.0)})
    r1 = simulate(m, ev, runs=2500, seed=4, horizon=36, params=wide, chunk_runs=1024)
    r2 = simulate(m, ev, runs=2500, seed=4, horizon=36, params=wide, chunk_runs=4096)
    np.testing.assert_array_equal(r1.aggregates["loss_usd"], r2.aggregates["loss_usd"])
    # a range of width zero is the point value: same results as without uncertainty
    flat = dataclasses.replace(P, uncertainty={"elasticity": (1.0, 1.0), "loss": (1.0, 1.0)})
    r3 = simulate(m, ev, runs=500, seed=4, horizon=36, params=flat)
    r4 = simulate(m, ev, runs=500, seed=4, horizon=36, params=P)
    np.testing.assert_allclose(r3.aggregates["loss_usd"], r4.aggregates["loss_usd"], rtol=1e-6)
    # the loss factor moves the loss, not the physical shortfall
    np.testing.assert_array_equal(r1.aggregates["shortfall"].shape, (2500, 2))
    loss_only = dataclasses.replace(P, uncertainty={"loss": (0.5, 2.0)})
    r5 = simulate(m, ev, runs=500, seed=4, horizon=36, params=loss_only)
    np.testing.assert_allclose(r5.aggregates["shortfall"], r4.aggregates["shortfall"], rtol=1e-6)
    assert not np.allclose(r5.aggregates["loss_usd"], r4.aggregates["loss_usd"])


def test_unknown_uncertain_parameter_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown uncertain parameter"):
        SimParams(uncertainty={"vibes": (0.5, 2.0)})
    with pytest.raises(ValueError, match="0 < low <= high"):
        SimParams(uncertainty={"loss": (2.0, 0.5)})
