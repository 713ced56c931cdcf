"""Mitigation options beyond stock: the supply credit, the stock sized on the runs' totals
against brute force, the simulator crediting the options, a free immediate option that makes
stock unnecessary, the example's portfolios, refused specs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from critmat.cli.main import app
from critmat.errors import CritmatError
from critmat.optimize.options import OptionArrays, credit, size_stock
from critmat.services.options import run_options

EXAMPLE = Path(__file__).resolve().parents[1] / "src/critmat/optimize/examples/gallium_options.yaml"


def test_the_credit_waits_for_the_lead_time_and_ramps() -> None:
    opt = OptionArrays(["a", "b"], np.zeros(2), np.array([3.0, 0.0]), np.array([4.0, 0.0]),
                       np.array([12.0, 24.0]), np.zeros(2), np.zeros(2))  # fmt: skip
    c = credit(opt, np.array([True, False]), 10)
    assert c[:3].tolist() == [0, 0, 0]
    assert c[3:8] == pytest.approx([0.25, 0.5, 0.75, 1.0, 1.0])
    both = credit(opt, np.array([True, True]), 10)
    assert both[0] == pytest.approx(2.0) and both[9] == pytest.approx(3.0)


def test_the_stock_on_the_totals_against_brute_force() -> None:
    rng = np.random.default_rng(1)
    unmet = np.where(rng.random(500) < 0.2, rng.uniform(1, 20, 500), 0.0)
    loss = unmet * rng.uniform(1e5, 3e5, 500)
    for budget in (1e9, 2e6):
        s, c = size_stock(unmet, loss, 2e4, 4e5, budget)
        per_t = np.where(unmet > 0, loss / np.where(unmet > 0, unmet, 1), 0)
        grid = np.linspace(0, min(unmet.max(), budget / 4e5), 2001)
        brute = min(2e4 * g + (per_t * np.maximum(unmet - g, 0)).mean() for g in grid)
        assert c <= brute + 1e-6 and s * 4e5 <= budget + 1e-6


def _spec(tmp_path: Path, **over: object) -> Path:
    spec = {**yaml.safe_load(EXAMPLE.read_text()), "runs": 100, **over}
    f = tmp_path / "o.yaml"
    f.write_text(yaml.safe_dump(spec))
    return f


def test_a_free_immediate_option_dominates_stock(ds, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    free = {"name": "free plenty", "kind": "supply_agreement", "capex_usd": 0,
            "lead_time_months": 0, "capacity_t_per_year": 5000, "opex_usd_per_t": 0}  # fmt: skip
    rep = run_options(ds, _spec(tmp_path, options=[free], scenario="GAGE-2023"))
    best = rep.portfolios.iloc[0]
    assert best["options"] == "free plenty" and best["stock_t"] == 0
    assert best["expected_unmet_no_stock_t"] == pytest.approx(0.0, abs=1e-6)
    none = rep.portfolios[rep.portfolios["options"] == "none"].iloc[0]
    assert none["expected_unmet_no_stock_t"] > 0  # without it the embargo leaves gallium short


@pytest.mark.slow
def test_the_example_portfolios(ds, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rep = run_options(ds, _spec(tmp_path))
    p = rep.portfolios
    assert len(p) == 8 and p["total_usd"].is_monotonic_increasing
    assert (p["capex_usd"] + p["stock_t"] * 0 <= 150e6).all()
    none = p[p["options"] == "none"].iloc[0]
    everything = p[p["n_options"] == 3].iloc[0]
    assert everything["expected_unmet_no_stock_t"] < none["expected_unmet_no_stock_t"]
    assert everything["stock_t"] <= none["stock_t"]  # the stock shrinks as options come online
    assert rep.shrink["options_online"].iloc[0] == "none"
    assert rep.chosen["portfolio"].iloc[0] == p["options"].iloc[0]


def test_bad_specs_are_refused(ds, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    opt = yaml.safe_load(EXAMPLE.read_text())["options"][0]
    for over, msg in (
        ({"options": [opt, opt]}, "named twice"),
        ({"options": [{**opt, "kind": "wishful"}]}, "kind"),
        ({"options": [{**opt, "capacity_t_per_year": -1}]}, "capacity_t_per_year"),
        ({"material": "unobtanium"}, "unobtanium"),
        ({"budget_usd": 1, "options": [opt]}, None),
    ):
        if msg is None:  # the option alone is over budget: only "none" remains
            rep = run_options(ds, _spec(tmp_path, **over))
            assert list(rep.portfolios["options"]) == ["none"]
            continue
        with pytest.raises(CritmatError) as exc:
            run_options(ds, _spec(tmp_path, **over))
        text = str(exc.value) + " ".join(str(i) for i in getattr(exc.value, "issues", []))
        assert msg in text


@pytest.mark.slow
def test_the_cli(tmp_path: Path) -> None:
    r = CliRunner().invoke(app, ["optimize", "options", str(_spec(tmp_path, runs=60))])
    assert r.exit_code == 0, r.output
    assert "stock as the options come online" in r.output


def test_an_options_study_costs_a_tonne_as_the_plan_does() -> None:
    """Buy spread 2% + (holding 3% + degradation 0.5%) x 2 years + sale spread 5% of 100 USD/t
    (the plan's defaults, critmat.optimize.plan.PlanConfig)."""
    from critmat.optimize.options import stock_cost_per_t

    assert stock_cost_per_t(100.0, 0.03, 2.0) == pytest.approx(14.0)
