"""Coalitions: the newsvendor alone and the pooled optimum against brute force, allocations that
sum to the pooled totals, the value of cooperation, individual rationality and the core, joint
procurement discounts, and refused exchange files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from critmat.cli.main import app
from critmat.errors import CritmatError
from critmat.optimize.coalition import (
    CoalitionProblem,
    allocate,
    alone_optimum,
    core_check,
    discounted_price_factor,
    pooled_loss,
    pooled_optimum,
    received,
)
from critmat.services.coalition import run_coalition


def problem(seed: int = 0, n: int = 3, w: int = 400, rule: str = "need", rho: float = 0.0,
            equal: bool = False) -> CoalitionProblem:  # fmt: skip
    rng = np.random.default_rng(seed)
    common = rng.random(w) < 0.15
    own = rng.random((n, w)) < 0.15
    hit = np.where(rng.random((n, w)) < rho, common[None, :], own)
    need = hit * rng.uniform(10, 100, (n, w))
    loss = np.full(n, 50.0) if equal else rng.uniform(20, 80, n)
    cost = np.full(n, 5.0) if equal else rng.uniform(2, 8, n)
    return CoalitionProblem([f"m{i}" for i in range(n)], need, loss, cost, rule, [])


def test_alone_is_the_newsvendor_quantile() -> None:
    p = problem()
    for i in range(3):
        s = alone_optimum(p.need[i], float(p.loss[i]), float(p.cost[i]))
        grid = np.linspace(0, p.need[i].max(), 4001)
        costs = [p.cost[i] * g + p.loss[i] * np.maximum(p.need[i] - g, 0).mean() for g in grid]
        best = float(min(costs))
        mine = p.cost[i] * s + p.loss[i] * np.maximum(p.need[i] - s, 0).mean()
        assert mine <= best + 1e-9  # at least as good as any grid point


@pytest.mark.parametrize("rule", ["need", "contribution"])
def test_the_pooled_optimum_against_brute_force(rule: str) -> None:
    p = problem(rule=rule, rho=0.5)
    _, c = pooled_optimum(p)
    unit = float((p.share * p.cost).sum())
    grid = np.linspace(0, p.need.sum(axis=0).max(), 3001)
    brute = min(unit * g + float(pooled_loss(p, g).sum()) for g in grid)
    assert c <= brute + 1e-6 * abs(brute) if rule == "need" else c <= brute * 1.01


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 5000), n=st.integers(2, 5), stock=st.floats(0, 500),
       rule=st.sampled_from(["need", "contribution"]))  # fmt: skip
def test_allocations_sum_to_the_pooled_totals(seed: int, n: int, stock: float, rule: str) -> None:
    p = problem(seed, n, 200, rule, rho=0.5)
    got = received(p, stock)
    assert (got >= -1e-9).all() and (got <= p.need + 1e-9).all()
    np.testing.assert_allclose(got.sum(axis=0), np.minimum(stock, p.need.sum(axis=0)), rtol=1e-9,
                               atol=1e-9)  # fmt: skip
    t = allocate(p)
    s, _ = pooled_optimum(p)
    assert t["contribution_t"].sum() == pytest.approx(s)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 5000), n=st.integers(2, 5), rho=st.floats(0, 1))
def test_equal_members_never_lose_by_pooling_on_need(seed: int, n: int, rho: float) -> None:
    p = problem(seed, n, 300, "need", rho=rho, equal=True)
    t = allocate(p)
    assert t["cost_in_coalition_usd"].sum() <= t["cost_alone_usd"].sum() + 1e-6


def test_independent_risks_gain_and_the_core_holds() -> None:
    p = problem(seed=3, n=3, w=600, rho=0.0, equal=True)
    t = allocate(p)
    assert (t["gain_usd"] > 0).all() and t["individually_rational"].all()
    ok, blocking = core_check(p, t["cost_in_coalition_usd"].to_numpy(float))
    assert ok and blocking == []
    overcharged = t["cost_in_coalition_usd"].to_numpy(float).copy()
    overcharged[0] = t["cost_alone_usd"].iloc[0] * 1.5  # member 0 would leave
    ok, blocking = core_check(p, overcharged)
    assert not ok and "m0" in blocking


def test_perfectly_correlated_identical_members_gain_nothing() -> None:
    p = problem(seed=1, n=2, w=500, rho=1.0, equal=True)
    p.need[1] = p.need[0]
    t = allocate(p)
    assert t["gain_usd"].to_numpy() == pytest.approx([0.0, 0.0], abs=1e-6)


def test_joint_procurement_discount() -> None:
    tiers = [(0.0, 0.0), (100.0, 0.05), (500.0, 0.1)]
    assert [discounted_price_factor(x, tiers) for x in (50, 100, 499, 800)] == [1, 0.95, 0.95, 0.9]
    p = problem(seed=2, equal=True)
    stock, plain = pooled_optimum(p)
    assert stock > 0
    p.tiers = [(0.0, 0.0), (0.5 * stock, 0.05)]  # the pooled purchase reaches the tier
    _, cheaper = pooled_optimum(p)
    assert cheaper < plain


def _exchange(tmp_path: Path, **over: object) -> Path:
    p = problem(seed=4, n=3, w=50, equal=True)
    members = [{"name": n, "loss_usd_per_t": 50, "cost_usd_per_t": 5, "need_t": p.need[i].tolist()}
               for i, n in enumerate(["DEU", "FRA", "ITA"])]  # fmt: skip
    doc = {"format": "critmat-coalition-exchange/1", "material": "gallium", "basis": "Ga",
           "scenario_set": "test set 1", "sharing_rule": "need",
           "volume_discount": [{"from_t": 0, "discount": 0}, {"from_t": 50, "discount": 0.03}],
           "members": members}  # fmt: skip
    doc.update(over)
    f = tmp_path / "x.json"
    f.write_text(json.dumps(doc))
    return f


def test_an_exchange_file_runs_and_bad_ones_are_refused(tmp_path: Path) -> None:
    rep = run_coalition(_exchange(tmp_path))
    assert rep.value_of_cooperation_usd >= 0 and rep.in_core is True
    assert list(rep.table["member"]) == ["DEU", "FRA", "ITA"]
    good = json.loads(_exchange(tmp_path).read_text())
    m0, m1 = good["members"][0], good["members"][1]
    tiers = [{"from_t": 9, "discount": 0.1}, {"from_t": 1, "discount": 0}]
    cases = [
        ({"format": "v0"}, "format"),
        ({"members": [m0]}, "at least 2"),
        ({"members": [m0, {**m1, "need_t": [1.0]}]}, "differ in length"),
        ({"members": [m0, m0]}, "named twice"),
        ({"volume_discount": tiers}, "ascending"),
        ({"members": [m0, {**m1, "loss_usd_per_t": -1}]}, "members.1.loss_usd_per_t"),
    ]
    for over, msg in cases:
        with pytest.raises(CritmatError) as exc:
            run_coalition(_exchange(tmp_path, **over))
        text = str(exc.value) + " ".join(str(i) for i in getattr(exc.value, "issues", []))
        assert msg in text and "x.json" in text, (msg, text)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(CritmatError, match="not JSON"):
        run_coalition(bad)


def test_the_cli(tmp_path: Path) -> None:
    r = CliRunner().invoke(app, ["optimize", "coalition", "--schema"])
    assert r.exit_code == 0 and "need_t" in json.loads(r.stdout)["$defs"]["Member"]["properties"]
    r = CliRunner().invoke(app, ["optimize", "coalition", str(_exchange(tmp_path))])
    assert r.exit_code == 0, r.output
    assert "value of cooperation" in r.output and "core" in r.output
    r = CliRunner().invoke(app, ["optimize", "coalition", str(_exchange(tmp_path)), "--rule",
                                 "contribution", "--format", "json"])  # fmt: skip
    assert json.loads(r.stdout)["readme"]["sharing_rule"] == "contribution"
