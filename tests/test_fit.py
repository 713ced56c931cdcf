"""Calibration of the price response: recovery on synthetic events, leave-one-out hygiene, CLI."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import critmat.data as cd
import critmat.sim.fit as fitmod
from critmat.cli.main import app
from critmat.sim.events import compile_events
from critmat.sim.fit import Target, Theta, fit, leave_one_out, load_user_targets, simulated_move
from critmat.sim.market import SimParams
from critmat.sim.run import simulate
from critmat.sim.scenario import Scenario
from tests.test_sim import toy_market

GRID = {
    "elasticity": (-0.05, -0.1, -0.2),
    "precaution": (0.0, 1.0, 3.0),
    "buffer_months": (0.0, 1.0, 3.0),
    "long_run_months": (6.0, 12.0, 48.0),
}
TRUE: Theta = (-0.1, 1.0, 1.0, 12.0)


def _scenario(severity: float, duration: int) -> Scenario:
    return Scenario.model_validate(
        {
            "name": f"s{severity}",
            "horizon_months": 36,
            "events": [
                {
                    "type": "export_restriction",
                    "country": "CHN",
                    "material": "graphite",
                    "start": 2,
                    "duration": duration,
                    "severity": severity,
                }
            ],
        }
    )


def _evaluate(target: Target, theta: Theta) -> float:
    m = toy_market()
    p = SimParams(
        elasticity=theta[0],
        precaution=theta[1],
        buffer_months=theta[2],
        long_run_months=theta[3],
        long_run_response=1.24,
        price_cap=100.0,
    )
    ev = compile_events(target.scenario, m, p)
    res = simulate(m, ev, runs=1, seed=0, horizon=36, params=p, keep_full_runs=1)
    return simulated_move(res.paths["price_row"][0], m, ev, target)


def _synthetic() -> list[Target]:
    out = []
    cases = [(0.3, 12, 1, "peak"), (0.6, 6, 4, "peak"), (0.9, 20, 12, "peak"), (0.5, 3, 2, "peak"),
             (0.7, 30, 24, "level")]  # fmt: skip
    for k, (sev, dur, win, kind) in enumerate(cases):
        t = Target(
            f"e{k}", f"e{k}", "graphite", "EU27", 2023, 0.0, win, _scenario(sev, dur), "", kind
        )
        out.append(dataclasses.replace(t, recorded_pct=_evaluate(t, TRUE)))
    return out


def test_calibration_recovers_known_parameters() -> None:
    theta, loss = fit(_synthetic(), _evaluate, GRID)
    assert theta == TRUE and loss == pytest.approx(0.0, abs=1e-10)


def test_leave_one_out_never_sees_its_held_out_event(monkeypatch: pytest.MonkeyPatch) -> None:
    targets = _synthetic()
    seen: list[set[str]] = []
    original = fitmod.fit

    def spy(train, evaluate, grid=fitmod.GRID):  # type: ignore[no-untyped-def]
        seen.append({t.event for t in train})
        return original(train, evaluate, grid)

    monkeypatch.setattr(fitmod, "fit", spy)
    loo = leave_one_out(targets, _evaluate, GRID)
    events = list(dict.fromkeys(t.event for t in targets))
    assert len(seen) == len(events)
    for held, train in zip(events, seen, strict=True):
        assert held not in train and train == set(events) - {held}
    # on noise-free synthetic events, each held-out move is predicted from the others
    rec = {t.id: t.recorded_pct for t in targets}
    for row in loo.itertuples():
        assert row.loo_pct == pytest.approx(rec[row.id], rel=0.05, abs=0.5)


@pytest.mark.slow
def test_batched_grid_equals_one_run_per_point(ds: cd.Dataset) -> None:
    """The evaluator simulates a target's whole grid in one call (per-run factors); each point
    must give what a run of its own gives."""
    targets, _ = fitmod.library_targets(ds)
    base = SimParams(price_cap=50.0, long_run_response=1.24)
    grid = {"elasticity": (-0.02, -0.1), "precaution": (0.0, 0.05), "buffer_months": (0.0, 2.0),
            "long_run_months": (12.0, 96.0)}  # fmt: skip
    batched = fitmod.Evaluator(ds, base, fitmod.sourced_elasticities(ds), grid)
    alone = fitmod.Evaluator(ds, base, fitmod.sourced_elasticities(ds), grid)
    for t in targets:
        for theta in [(-0.02, 0.05, 2.0, 12.0), (-0.1, 0.0, 0.0, 96.0)]:
            alone._run(t, [theta])
            assert batched(t, theta) == pytest.approx(alone._cache[t.id, theta], rel=1e-5), t.id


def test_user_event_file(tmp_path: Path) -> None:
    f = tmp_path / "mine.yaml"
    f.write_text(
        "targets:\n  - id: my-ban\n    material: graphite\n    holder: EU27\n    year: 2023\n"
        "    recorded_pct: 80\n    window_months: 3\n    scenario:\n      name: my-ban\n"
        "      events:\n        - {type: export_restriction, country: CHN, material: graphite,"
        " start: 1, duration: 6, severity: 0.5}\n"
    )
    (t,) = load_user_targets(f)
    assert t.id == "my-ban" and t.recorded_pct == 80 and t.scenario.events
    f.write_text("targets:\n  - id: x\n    recorded_pct: -150\n")
    with pytest.raises(cd.DatasetError) as err:
        load_user_targets(f)
    assert {i.column for i in err.value.issues} >= {"targets.0.recorded_pct", "targets.0.material"}


@pytest.mark.slow
def test_calibrate_cli_on_the_library() -> None:
    r = CliRunner().invoke(app, ["calibrate", "--event", "REE-2010", "-f", "json"])
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    rows = doc["targets"]
    assert {x["event"] for x in rows} == {"REE-2010"}
    dy = next(x for x in rows if x["material"] == "dysprosium")
    assert dy["recorded_pct"] == 2512.0 and dy["fitted_pct"] > 100.0
    assert doc["parameters"]["loss_function"].startswith("sum over targets")
    assert {x["event"] for x in doc["excluded"]} >= {"GR-2023", "NI-ID-2014"}
    level = next(x for x in rows if x["kind"] == "level")
    assert level["target"] == "REE-2010b:dysprosium:level" and level["recorded_pct"] == 433.3
    assert doc["parameters"]["long_run_response"] == pytest.approx(1.24, abs=0.01)
    bad = CliRunner().invoke(app, ["calibrate", "--event", "NOPE"])
    assert bad.exit_code == 2 and "unknown calibrated event" in bad.stderr


def test_a_target_read_from_two_reported_prices() -> None:
    """SB-2024: Rotterdam antimony 22,000 USD/t on 2024-08-15 and 39,500-40,000 at the end of
    2024 (event_prices): +80.7% from the midpoint, a peak within four months of the licences."""
    from critmat.data.dataset import load
    from critmat.sim.fit import library_targets

    targets, excluded = library_targets(load())
    sb = {t.id: t for t in targets}["SB-2024:antimony"]
    assert sb.recorded_pct == pytest.approx(100.0 * (39750.0 / 22000.0 - 1.0), abs=0.05)
    assert (sb.kind, sb.window, sb.holder) == ("peak", 4, "EU27")
    assert "event_prices" in sb.source
    assert "SB-2024" not in set(excluded["event"])
