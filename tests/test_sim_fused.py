"""The compiled monthly step (critmat.sim.kernel) against the per-run Python oracle."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.oracle_sim import oracle
from critmat.sim.engine import FULL_VARIABLES, DrawRule, Stockpile, simulate_chunk
from critmat.sim.events import compile_events
from critmat.sim.market import SimParams
from critmat.sim.run import block_draws
from critmat.sim.scenario import Scenario
from tests.test_sim import ALL_EVENTS, PRICE_RESPONSE, P, toy_market

COUNTS = ("months_short", "outage_months", "any_outage_months")


def _case(params: SimParams, n: int = 64, seed: int = 3):  # type: ignore[no-untyped-def]
    m = toy_market()
    ev = compile_events(Scenario.model_validate(ALL_EVENTS), m, params)
    d = block_draws(ev, seed=seed, block=0, n=n, horizon=36, uncertainty=dict(params.uncertainty))
    sp = Stockpile(
        (m.demand0 * 2).astype(np.float32),
        (0.5 * m.demand0).astype(np.float32),
        np.array([100.0, 0.0], np.float32),
    )
    return m, ev, d, sp


@pytest.mark.parametrize("params", [P, PRICE_RESPONSE], ids=["constant-elasticity", "full"])
def test_fused_matches_the_oracle(params: SimParams) -> None:
    m, ev, d, sp = _case(params, n=40)
    fast = simulate_chunk(m, params, ev, d, sp, 36, keep_full=False)
    slow = oracle(m, params, ev, d, sp, 36)
    for k in slow:
        np.testing.assert_allclose(fast[k], slow[k], rtol=2e-3, atol=0.5, err_msg=k)


def test_fused_release_rule_and_own_supply() -> None:
    m, ev, d, sp0 = _case(P)
    rule = DrawRule(
        material=0,
        levels=np.array([0.0, 50.0, 150.0], np.float32),
        thresholds=np.array([0.05, 0.2], np.float32),
        next_level=np.array([[150, 150, 150], [0, 50, 50], [0, 0, 0]], np.float32),
    )
    own = np.tile(np.linspace(0, 5, 12, dtype=np.float32), (m.n_materials, 1))
    sp = Stockpile(sp0.stock0, sp0.max_release, sp0.floor, draw=rule, own_supply=own)
    fused = simulate_chunk(m, P, ev, d, sp, 36, keep_full=False)
    ref = oracle(m, P, ev, d, sp, 36)
    for k in ("unmet", "release", "final_stock", "loss_usd"):
        scale = max(float(np.abs(ref[k]).max()), 1.0)
        np.testing.assert_allclose(fused[k], ref[k], rtol=1e-3, atol=1e-4 * scale, err_msg=k)
    assert float(ref["release"][:, 0].sum()) > 0
    # the rule's material follows the rule, not the triggers: without it the releases differ
    plain = simulate_chunk(m, P, ev, d, Stockpile(sp0.stock0, sp0.max_release, sp0.floor), 36, 0)
    assert not np.allclose(plain["release"][:, 0], fused["release"][:, 0])


def test_fused_keeps_only_the_first_paths() -> None:
    m, ev, d, sp = _case(P, n=20)
    some = simulate_chunk(m, P, ev, d, sp, 36, keep_full=5)
    every = simulate_chunk(m, P, ev, d, sp, 36, keep_full=True)
    for v in FULL_VARIABLES:
        assert some[f"full_{v}"].shape == (5, m.n_materials, 36)
        np.testing.assert_array_equal(some[f"full_{v}"], every[f"full_{v}"][:5])
    none = simulate_chunk(m, P, ev, d, sp, 36, keep_full=False)
    assert not any(k.startswith("full_") for k in none)


@pytest.mark.parametrize("params", [P, PRICE_RESPONSE], ids=["constant-elasticity", "full"])
def test_skipping_the_quiet_months_changes_nothing(params: SimParams) -> None:
    """Runs without kept paths skip each material's months before its first event; runs with
    kept paths step through every month: their aggregates are identical, bit for bit."""
    m, ev, d, sp = _case(params, n=200, seed=5)
    skipped = simulate_chunk(m, params, ev, d, sp, 36, keep_full=False)
    stepped = simulate_chunk(m, params, ev, d, sp, 36, keep_full=True)
    for k, v in skipped.items():
        np.testing.assert_array_equal(v, stepped[k], err_msg=k)
    starts = d.start.min(axis=1)
    assert (starts > 0).mean() > 0.5  # most runs do have quiet months to skip
