"""The cutting-plane CVaR method against the extensive HiGHS LP (critmat.optimize.cvar)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from critmat.optimize.cvar import cvar_value, solve_cvar_cuts
from critmat.optimize.lp import solve_lp
from critmat.optimize.problem import InfeasibleError, Problem


def random_problem(seed: int, s_n: int, m_n: int, alpha: float, budget_share: float,
                   full: bool, capacity: bool) -> Problem:  # fmt: skip
    rng = np.random.default_rng(seed)
    q = rng.exponential(50, (s_n, m_n)) * (rng.random((s_n, m_n)) < 0.4)
    price = rng.uniform(1, 5, m_n)
    extra: dict[str, object] = {}
    if full:
        extra["end_value"] = price[None, :] * rng.uniform(0.0, 1.5, (s_n, m_n))
        extra["transaction"] = 0.02 * price
    if capacity:
        extra["storage_class"] = ["a" if i % 2 else "b" for i in range(m_n)]
        extra["capacity"] = {"a": float(q.mean() * 2)}
    return Problem(
        [f"m{i}" for i in range(m_n)],
        q,
        price,
        rng.uniform(5, 30, m_n),
        rng.uniform(0, 1, m_n),
        budget=float(budget_share * q.mean(axis=0).sum() * 3),
        cap=rng.uniform(20, 200, m_n),
        risk="cvar",
        alpha=alpha,
        **extra,  # type: ignore[arg-type]
    )


@settings(max_examples=40, deadline=None)
@given(
    st.integers(0, 10_000),
    st.integers(1, 60),
    st.integers(1, 5),
    st.floats(0.0, 0.99),
    st.floats(0.0, 3.0),
    st.booleans(),
    st.booleans(),
)
def test_cuts_equal_the_lp(seed: int, s_n: int, m_n: int, alpha: float, budget_share: float,
                           full: bool, capacity: bool) -> None:  # fmt: skip
    p = random_problem(seed, s_n, m_n, alpha, budget_share, full, capacity)
    lp = solve_lp(p)
    cuts = solve_cvar_cuts(p)
    assert cuts.objective == pytest.approx(lp.objective, rel=1e-6, abs=1e-6)
    # the stock found is feasible and its cost, evaluated independently, is the optimum
    assert np.all(cuts.x >= p.floor - 1e-9) and np.all(cuts.x <= p.cap + 1e-9)
    assert float(p.price @ cuts.x) <= p.budget * (1 + 1e-9) + 1e-9
    k = p.scenario_costs(cuts.x)
    total = float(p.unit_cost @ cuts.x) + cvar_value(k["loss"] - k["residual"], p.alpha)
    assert total == pytest.approx(lp.objective, rel=1e-6, abs=1e-6)


@given(st.integers(0, 10_000), st.integers(1, 200), st.floats(0.0, 0.999))
def test_cvar_value_is_the_ru_minimum(seed: int, s_n: int, alpha: float) -> None:
    """CVaR = min_eta eta + E[(L - eta)^+] / (1 - alpha), minimised over the sample points."""
    loss = np.random.default_rng(seed).normal(0, 10, s_n)
    ru = min(eta + np.maximum(loss - eta, 0).mean() / (1 - alpha) for eta in loss)
    assert cvar_value(loss, alpha) == pytest.approx(ru, rel=1e-9, abs=1e-9)


def test_hand_solved_tail() -> None:
    """Shortfalls 0..9 t, v = 4, unit cost 1, alpha = 0.8: the tail is the two largest (8, 9);
    a tonne saves 4 in both while x < 8 and 4 in the worst only between 8 and 9: 4/2 > 1 so the
    optimum is x = 9 (cost 9)."""
    p = Problem(["a"], np.arange(10.0)[:, None], np.ones(1), np.array([4.0]), np.zeros(1), 1e9,
                risk="cvar", alpha=0.8)  # fmt: skip
    r = solve_cvar_cuts(p)
    assert r.x[0] == pytest.approx(9.0)
    assert r.objective == pytest.approx(9.0)
    assert r.gap <= 1e-9


def test_refuses_the_expectation_and_infeasible_floors() -> None:
    p = Problem(["a"], np.ones((3, 1)), np.ones(1), np.ones(1), np.zeros(1), 1.0)
    with pytest.raises(ValueError, match="CVaR"):
        solve_cvar_cuts(p)
    bad = Problem(["a"], np.ones((3, 1)), np.ones(1), np.ones(1), np.zeros(1), 1.0,
                  floor=np.array([5.0]), risk="cvar")  # fmt: skip
    with pytest.raises(InfeasibleError, match="budget"):
        solve_cvar_cuts(bad)


def test_the_plan_solves_cvar_by_cutting_planes(monkeypatch: pytest.MonkeyPatch) -> None:
    """The plan's solver takes the cutting planes for CVaR (never the LP) and gets its optimum."""
    import critmat.optimize.plan as plan

    p = random_problem(7, 40, 4, 0.9, 1.0, True, False)
    called: list[str] = []

    def no_lp(*_a: object, **_k: object) -> None:
        called.append("lp")
        raise AssertionError("the plan solved the CVaR problem with the extensive LP")

    monkeypatch.setattr(plan, "solve_lp", no_lp)
    x = plan._solver(p)
    assert not called
    monkeypatch.undo()
    lp = solve_lp(p)
    k = p.scenario_costs(x)
    total = float(p.unit_cost @ x) + cvar_value(k["loss"] - k["residual"], p.alpha)
    assert total == pytest.approx(lp.objective, rel=1e-6)
