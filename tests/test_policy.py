"""The Markov-regime stockpile policy: a hand-solved instance, value iteration = policy
iteration = LP on random instances (hypothesis), the Teisberg (1981) example, refused specs and
the CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from critmat.cli.main import app
from critmat.errors import CritmatError
from critmat.optimize.policy import (
    PolicyProblem,
    bellman,
    policy_iteration,
    policy_lp,
    value_iteration,
)
from critmat.optimize.policy_spec import PolicySpec, build_problem
from critmat.services.policy import run_policy

EXAMPLE = Path(__file__).resolve().parents[1] / "src/critmat/optimize/examples/teisberg1981.yaml"

TWO = {
    "name": "two levels",
    "states": ["normal", "disrupted"],
    "transition": [[0.5, 0.5], [0.5, 0.5]],
    "levels": {"min": 0, "max": 1, "step": 1},
    "discount": 0.9,
    "holding_cost": 0.1,
    "reward": {"kind": "price", "prices": {"normal": 1, "disrupted": 3}},
}


def _spec(**over: object) -> PolicySpec:
    return PolicySpec.model_validate({**TWO, **over})


def test_a_hand_solved_two_level_instance() -> None:
    # Buy at 1 in normal times, hold, sell at 3 in a disruption. With a = E V(1, .) and
    # b = E V(0, .): V0n = -1.1 + .9a, V1n = -.1 + .9a, V1d = 3 + .9b, V0d = .9b, so
    # b = -1 + 9a/11 and .55a = 1.45 + .45b, giving a = 5.5, b = 3.5 and the values below;
    # each alternative move is worse (stay at 0 in normal: 3.15 < 3.85; sell in normal:
    # 4.15 < 4.85; hold in a disruption: 4.85 < 6.15; buy in a disruption: 1.85 < 3.15).
    p = build_problem(_spec())
    want = np.array([[3.85, 4.85], [3.15, 6.15]])  # [state, level]
    for solve in (value_iteration, policy_iteration, policy_lp):
        sol = solve(p)
        assert sol.value == pytest.approx(want, rel=1e-8), sol.method
        assert sol.next_index.tolist() == [[1, 1], [0, 0]], sol.method
        assert sol.objective == pytest.approx(18.0)


def _random_problem(seed: int, n_levels: int, n_states: int, beta: float) -> PolicyProblem:
    rng = np.random.default_rng(seed)
    t = rng.random((n_states, n_states)) + 0.05
    t /= t.sum(axis=1, keepdims=True)
    spec = PolicySpec.model_validate({
        "name": "random", "states": [f"s{i}" for i in range(n_states)],
        "transition": t.tolist(), "levels": {"min": 0, "max": n_levels - 1, "step": 1},
        "discount": beta, "holding_cost": float(rng.random()),
        "max_build_steps": int(rng.integers(1, n_levels)),
        "reward": {"kind": "price",
                   "prices": {f"s{i}": float(rng.uniform(1, 10)) for i in range(n_states)},
                   "buy_premium": float(rng.uniform(0, 0.1))},
    })  # fmt: skip
    return build_problem(spec)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n_levels=st.integers(2, 7),
    n_states=st.integers(1, 4),
    beta=st.floats(0.3, 0.95),
)
def test_value_iteration_policy_iteration_and_the_lp_agree(
    seed: int, n_levels: int, n_states: int, beta: float
) -> None:
    p = _random_problem(seed, n_levels, n_states, beta)
    vi, pi, lp = value_iteration(p, tol=1e-11), policy_iteration(p), policy_lp(p)
    scale = max(1.0, float(np.abs(pi.value).max()))
    assert np.abs(vi.value - pi.value).max() / scale < 1e-6
    assert np.abs(lp.value - pi.value).max() / scale < 1e-6
    assert abs(lp.objective - pi.objective) / max(1.0, abs(pi.objective)) < 1e-6
    # the fixed point: the Bellman operator leaves the optimal value where it is
    v, _ = bellman(p, pi.value)
    assert np.abs(v - pi.value).max() / scale < 1e-9


def test_limits_are_respected() -> None:
    spec = _spec(levels={"min": 0, "max": 10, "step": 1}, max_build_steps=2, max_draw_steps=3,
                 no_build_in=["disrupted"], holding_cost=0.01)  # fmt: skip
    p = build_problem(spec)
    sol = policy_iteration(p)
    change = sol.next_index - np.arange(11)[None, :]
    assert change.max() <= 2 and change.min() >= -3
    assert (change[1] <= 0).all()  # never builds in a disruption
    assert (change[0] > 0).any()  # builds in normal times (cheap)


def test_the_teisberg_example_has_a_target_in_normal_times_and_draws_in_disruptions() -> None:
    rep = run_policy(EXAMPLE)
    assert rep.agreement is not None and rep.agreement < 1e-6
    t = rep.table
    lvl, nxt = "level_million_bbl", "next_level_million_bbl"
    normal = t[t["state"] == "normal"].set_index(lvl)[nxt]
    disrupted = t[t["state"] == "disrupted"].set_index(lvl)[nxt]
    # normal times: fill below a band, hold inside it, draw down above it (the price impact of
    # trading makes a band of inaction rather than one target)
    held = normal.index[normal.index == normal]
    lo, hi = float(held.min()), float(held.max())
    assert list(held) == [x for x in normal.index if lo <= x <= hi]  # one contiguous band
    assert (normal[normal.index < lo] > normal.index[normal.index < lo]).all()
    assert (normal[normal.index > hi] < normal.index[normal.index > hi]).all()
    assert lo > 0 and hi < 21
    # a disruption: never buy, draw from every level with stock
    assert (disrupted <= disrupted.index).all()
    assert (disrupted[disrupted.index > 0] < disrupted.index[disrupted.index > 0]).all()
    # and a reserve is worth more in a disruption than the same reserve in normal times minus
    # the disruption's cost without it: V rises with the stock in both states
    for state in ("normal", "disrupted"):
        v = t[t["state"] == state]["value"].to_numpy()
        assert (np.diff(v) > 0).all()
    # by hand: in a disruption with no move, 99 million bbl clear D(p) = -130 + 342 p^-0.1 at
    # p = (342 / 229)^10 = 55.1 USD/bbl; the US loses 0.25 x the area under D from 34.526 to p
    p = build_problem(PolicySpec.model_validate(yaml.safe_load(EXAMPLE.read_text())))
    price = (342 / 229) ** 10
    area = -130 * (price - 34.526) + 342 * (price**0.9 - 34.526**0.9) / 0.9
    assert p.reward[1, 0, 0] == pytest.approx(-0.25 * area, rel=1e-12)
    # filling 3 from level 0 in normal times costs the US the dearer oil and the storage
    price = (342 / (107 + 130)) ** 10
    area = -130 * (price - 34.526) + 342 * (price**0.9 - 34.526**0.9) / 0.9
    assert p.reward[0, 0, 1] == pytest.approx(-(0.25 * area + 3 * price + 0.32 * 3), rel=1e-12)


BAD = [
    ({"transition": [[0.5, 0.4], [0.5, 0.5]]}, "row 0 (normal) sums to 0.9"),
    ({"transition": [[1.0], [1.0]]}, "row 0 (normal) has 1 entries"),
    ({"levels": {"min": 0, "max": 10, "step": 3}}, "not a whole number"),
    ({"levels": {"min": 0, "max": -1, "step": 1}}, "greater than 0"),
    ({"holding_cost": -1}, "greater than or equal to 0"),
    ({"discount": 1.0}, "less than 1"),
    ({"no_build_in": ["war"]}, "unknown state(s) ['war']"),
    ({"reward": {"kind": "price", "prices": {"normal": 1}}}, "missing ['disrupted']"),
    ({"reward": {"kind": "price", "prices": {"normal": 1, "disrupted": 2, "x": 3}}},
     "unknown ['x']"),
    ({"reward": {"kind": "auction"}}, "kind"),
    ({"states": ["a", "a"]}, "named twice"),
]  # fmt: skip


@pytest.mark.parametrize(("over", "msg"), BAD)
def test_bad_specs_are_refused_with_a_precise_message(
    tmp_path: Path, over: dict[str, object], msg: str
) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text(yaml.safe_dump({**TWO, **over}))
    with pytest.raises(CritmatError) as exc:
        run_policy(f)
    text = str(exc.value) + " ".join(str(i) for i in getattr(exc.value, "issues", []))
    assert msg in text and "bad.yaml" in text


def test_moves_that_empty_the_market_are_excluded_and_a_dry_market_refused(
    tmp_path: Path,
) -> None:
    spec = yaml.safe_load(EXAMPLE.read_text())
    spec["levels"] = {"min": 0, "max": 300, "step": 100}  # buying 300 of 110 supplied: no price
    f = tmp_path / "big.yaml"
    f.write_text(yaml.safe_dump(spec))
    rep = run_policy(f)
    assert np.isneginf(rep.problem.reward[0, 0, 3])  # 0 -> 300 in normal times: excluded
    assert rep.agreement is not None and rep.agreement < 1e-6
    assert (rep.table["next_level_million_bbl"] - rep.table["level_million_bbl"] < 300).all()
    spec["reward"]["demand"]["shift"] = 500  # demand never falls to the supply: no price at all
    f.write_text(yaml.safe_dump(spec))
    with pytest.raises(CritmatError, match="left without supply"):
        run_policy(f)


def test_the_cli_prints_the_policy_the_values_and_the_lp_objective(tmp_path: Path) -> None:
    r = CliRunner().invoke(app, ["optimize", "policy", "teisberg1981"])  # the shipped example
    assert r.exit_code == 0, r.output
    assert "next level" in r.output and "(million bbl)" in r.output
    assert "Value function" in r.output
    assert "LP objective" in r.output and "agree to" in r.output
    r = CliRunner().invoke(app, ["optimize", "policy", str(EXAMPLE), "--format", "json"])
    import json

    doc = json.loads(r.stdout)
    rows = doc["policy"]
    assert len(rows) == 16 and {"state", "next_level_million_bbl", "value"} <= set(rows[0])
    assert float(doc["readme"]["sum_of_values"]) == pytest.approx(sum(x["value"] for x in rows))
    bad = tmp_path / "b.yaml"
    bad.write_text("name: x\n")
    r = CliRunner().invoke(app, ["optimize", "policy", str(bad)])
    assert r.exit_code != 0 and "states" in r.output and "Traceback" not in r.output


def _market_run(ds, stockpile):  # type: ignore[no-untyped-def]
    from critmat.sim.pipeline import resolve_scenario, run_scenario

    sc = resolve_scenario(ds, "GAGE-2023")
    res, _ = run_scenario(ds, sc, "EU27", year=2023, runs=200, seed=5, stockpile=stockpile)
    return res


@pytest.mark.slow
def test_a_draw_rule_that_always_empties_equals_the_zero_trigger(  # type: ignore[no-untyped-def]
    ds,
) -> None:
    # target 0 at every level and state, the whole gap a month: the release is
    # min(shortfall, max release, room), exactly the trigger rule with a zero threshold
    from critmat.services.policy import solve_release_policy
    from critmat.sim.stockpile import MaterialHolding, PolicyRelease, StockpileSpec

    hold = {"gallium": MaterialHolding(stock_t=30.0)}
    zero = StockpileSpec(materials=hold, trigger_shortfall=0.0, trigger_price=1e9)
    levels = [0.0, 10.0, 20.0, 30.0]
    rule = PolicyRelease(material="gallium", spec="x", thresholds=[0.5], months_per_period=1.0,
                         levels=levels, next_level=[[0.0] * 4, [0.0] * 4])  # fmt: skip
    with_rule = StockpileSpec(materials=hold, trigger_shortfall=0.0, trigger_price=1e9, policy=rule)
    a, b = _market_run(ds, zero), _market_run(ds, with_rule)
    i = a.market.index("gallium")
    assert a.aggregates["release"][:, i].sum() > 0
    np.testing.assert_allclose(a.aggregates["release"][:, i], b.aggregates["release"][:, i])
    np.testing.assert_allclose(a.aggregates["unmet"][:, i], b.aggregates["unmet"][:, i])
    # hold at every level: nothing is released by the rule, whatever the triggers say
    keep = rule.model_copy(update={"next_level": [[0.0, 10.0, 20.0, 30.0]] * 2})
    c = _market_run(ds, StockpileSpec(materials=hold, trigger_shortfall=0.0, policy=keep))
    assert c.aggregates["release"][:, i].sum() == 0
    assert solve_release_policy(zero) is zero  # no policy: unchanged


@pytest.mark.slow
def test_the_release_comparison_uses_common_random_numbers(ds) -> None:  # type: ignore[no-untyped-def]
    from critmat.services.policy import compare_release_rules, example_path

    kw = dict(holder="EU27", material="gallium", scenario="GAGE-2023", stock_t=40.0,
              policy_spec=example_path("gallium_release"), thresholds=[0.02, 0.2], runs=200,
              seed=2)  # fmt: skip
    t1 = compare_release_rules(ds, **kw)  # type: ignore[arg-type]
    t2 = compare_release_rules(ds, **kw)  # type: ignore[arg-type]
    assert t1.equals(t2)
    assert list(t1["rule"]) == ["no reserve", "trigger: shortfall>5% or price>1.5x",
                                "trigger: price>1.5x only", "Markov policy"]  # fmt: skip
    none = t1.iloc[0]
    # a reserve never hurts; the shortfall trigger and the Markov policy help. The shortage of
    # GAGE-2023 for the EU27 falls in the months its buyers switch sellers, while the price is
    # still under 1.5x: a price-only trigger fires too late for it
    unmet = t1["expected_unmet_t"]
    assert (unmet.iloc[1:] <= none["expected_unmet_t"] + 1e-9).all()
    assert unmet.iloc[1] < none["expected_unmet_t"] and unmet.iloc[3] < none["expected_unmet_t"]
    assert (t1["expected_release_t"] <= 40.0 + 1e-6).all()
    with pytest.raises(CritmatError, match="make 2 states, the policy has 3"):
        compare_release_rules(ds, **{**kw, "thresholds": [0.1]})  # type: ignore[arg-type]


@pytest.mark.slow
def test_the_plan_carries_the_decisions_beyond_the_sizing(tmp_path: Path) -> None:
    import json

    import yaml as _yaml

    from critmat.services.policy import example_path

    sched = {**_yaml.safe_load(example_path("lithium_schedule").read_text()), "prices": "base"}
    f = tmp_path / "s.yaml"
    f.write_text(_yaml.safe_dump(sched))
    opts = {**_yaml.safe_load(example_path("gallium_options").read_text()), "runs": 60}
    g = tmp_path / "o.yaml"
    g.write_text(_yaml.safe_dump(opts))
    cfg = tmp_path / "plan.yaml"
    cfg.write_text("runs: 100\neval_runs: 100\nbatches: 2\nfrontier: [0.5, 1.0]\n")
    html = tmp_path / "plan.html"
    r = CliRunner().invoke(app, [
        "plan", "--holder", "EU27", "--budget", "1e9", "--config", str(cfg),
        "--policy", "teisberg1981", "--schedule", str(f), "--coalition", "coalition_gallium",
        "--options", str(g), "--html", str(html), "--format", "json",
    ])  # fmt: skip
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert {"policy", "schedule_years", "coalition", "options_portfolios"} <= set(doc)
    page = html.read_text()
    for title in ("Build and draw policy over time", "Acquisition schedule and sourcing",
                  "Coalition", "Options beyond stock"):  # fmt: skip
        assert title in page
