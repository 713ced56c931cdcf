"""Every seed material counted for every holder, nothing silent, EU economic importance computed,
and every quantity or price in the CLI's JSON outputs naming its basis and unit."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import critmat.data as cd
from critmat.cli.main import app
from critmat.risk.assess import assess
from critmat.risk.eu_method import economic_importance
from critmat.risk.indices import EI_THRESHOLD, eu_crm_ei
from critmat.risk.inputs import AssessmentInputs
from critmat.sim.pipeline import resolve_scenario, run_scenario

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str, str]:
    r = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    return r.exit_code, r.stdout, r.stderr


@pytest.mark.parametrize("holder", ["EU27", "USA"])
def test_gallium_and_germanium_have_supply_risk(ds: cd.Dataset, holder: str) -> None:
    r = assess(ds, holder, 2023, materials=["gallium", "germanium"])
    for mat in ("gallium", "germanium"):
        for method in ("eu-crm", "usgs", "geopolrisk"):
            sel = r[(r["material"] == mat) & (r["method"] == method)]
            assert sel["score"].notna().any(), (mat, method)
        eu = r[(r["material"] == mat) & (r["method"] == "eu-crm") & r["is_bottleneck"]]
        assert eu["sr"].iloc[0] > 1.0  # both are on the EU 2023 list as supply-risky
        assert (eu["unit"] == f"t {mat[:2].capitalize()}").all()


@pytest.mark.slow
def test_every_seed_material_appears_for_every_holder(ds: cd.Dataset) -> None:
    seeds = set(ds.materials.loc[ds.materials["seed"].astype(bool), "material"])
    for holder in ds.holders["holder"]:
        r = assess(ds, holder, 2023, methods=["eu-crm"])
        assert set(r["material"]) == seeds, holder
        bad = r[r["assessment"] != "assessed"]
        assert bad["notes"].str.contains("not assessed|no import balance").all()


def test_gage_2023_moves_gallium_and_germanium(ds: cd.Dataset) -> None:
    sc = resolve_scenario(ds, "GAGE-2023")
    for holder in ("EU27", "USA"):
        res, notes = run_scenario(ds, sc, holder, runs=200, seed=3)
        s = res.summary().set_index("material")
        assert any("rare_earths: not simulated" in n for n in notes)
        for mat in ("gallium", "germanium"):
            assert s.loc[mat, "expected_shortfall_t"] > 0, (holder, mat)
            assert s.loc[mat, "p95_max_price_ratio"] > 1.0
        assert not s.loc["rare_earths", "simulated"]
        assert "not simulated" in s.loc["rare_earths", "reason"]


def test_a_scenario_touching_nothing_exits_nonzero(tmp_path: Path) -> None:
    f = tmp_path / "nothing.yaml"
    f.write_text(
        "name: nothing\nevents:\n  - type: export_restriction\n    material: gallium\n"
        "    country: TUV\n    start: 1\n    duration: 6\n    severity: 0.5\n"
    )
    code, _, err = invoke("simulate", str(f), "--holder", "EU27", "--runs", "10")
    assert code == 2
    assert "touches nothing in the EU27 market" in err and "TUV not in the market" in err


def test_scenarios_list_says_per_holder_whether_runnable() -> None:
    code, out, _ = invoke("scenarios", "list", "--holder", "USA", "-f", "json")
    assert code == 0
    rows = {r["id"]: r for r in json.loads(out)}
    assert rows["GAGE-2023"]["runnable_for_holder"] is True
    assert rows["NI-LME-2022"]["runnable_for_holder"] is False
    assert rows["NI-LME-2022"]["holder_note"]


def test_ei_by_hand_on_a_small_table() -> None:
    """EC 2017 eq. 1 on two sectors: EI = 10 x (0.6 x 50 + 0.4 x 100) / 200 x 0.9 = 3.15."""
    shares = pd.Series({"cars": 0.6, "chips": 0.4})
    ei, note = eu_crm_ei(
        shares, {"cars": "C29", "chips": "C26"}, {"C29": 50.0, "C26": 100.0, "C28": 200.0}, 0.9
    )
    assert ei == pytest.approx(3.15) and note == ""


def test_ei_of_gallium_reproduces_the_ec_inputs(ds: cd.Dataset) -> None:
    """EC 2023 Appendix 6: gallium 70% integrated circuits + 5% CIGS (C26, VA 77,000 MEUR), 25%
    lighting (C27, 89,422 MEUR); scale C28 204,200 MEUR; SI_EI 0.98 (EC 2023 results table)."""
    r = economic_importance(ds, "gallium", "EU27", AssessmentInputs(), 0.98)
    hand = 10 * (0.75 * 77_000 + 0.25 * 89_422) / 204_200 * 0.98
    assert r.ei == pytest.approx(hand, rel=1e-6)
    assert r.ei > EI_THRESHOLD and r.status == "secondary"


def test_ei_falls_back_to_global_end_uses_and_says_so(ds: cd.Dataset) -> None:
    r = economic_importance(ds, "lithium", "EU27", AssessmentInputs(), 1.0)
    assert np.isfinite(r.ei) and r.status == "derived"
    assert "not in the EC 2023 end-use table" in r.note


def test_critical_flag_is_produced_and_matches_the_eu_list_mostly(ds: cd.Dataset) -> None:
    r = assess(ds, "EU27", 2022, methods=["eu-crm"])
    b = r[r["is_bottleneck"]].set_index("material")
    assert b["critical"].notna().sum() >= 18
    # on the EU 2023 CRM list (Annex II of Reg. (EU) 2024/1252)
    for mat in ("gallium", "magnesium", "cobalt", "lithium", "silicon", "tungsten", "niobium"):
        assert bool(b.loc[mat, "critical"]), mat
    # assessed by the EC and not critical in 2023
    for mat in ("tin", "indium"):
        assert not b.loc[mat, "critical"], mat


def test_germanium_and_tantalum_have_economic_importance_and_a_flag(ds: cd.Dataset) -> None:
    """Issue 30, item 3: both were blank (no end-use shares). Germanium's split is the USGS
    OFR 2024-1057 one (40/30/20/10 %); tantalum's a labelled assumption with its range."""
    eu = ds.end_uses
    ge = eu[eu["material"] == "germanium"].set_index("sector")["share"]
    assert ge["fiber optics"] == pytest.approx(0.40)
    assert ge["infrared optics"] == pytest.approx(0.30)
    ta = eu[eu["material"] == "tantalum"]
    assert set(ta["status"]) == {"assumption"} and ta["notes"].str.contains("range|%").all()
    assert ta["share"].sum() == pytest.approx(1.0)
    r = assess(ds, "EU27", 2023, methods=["eu-crm"], materials=["germanium", "tantalum"])
    for mat, src in (("germanium", "Open-File Report 2024-1057"), ("tantalum", "assumption")):
        rows = r[r["material"] == mat]
        assert rows["ei"].notna().all() and rows["critical"].notna().all(), mat
        assert rows["ei_source"].str.contains(src).all(), mat
        assert (rows["critical_note"] == "").all()
    # the EC 2023 study lists both as critical (Annex II of Reg. (EU) 2024/1252)
    b = r[r["is_bottleneck"]].set_index("material")
    assert bool(b.loc["germanium", "critical"]) and bool(b.loc["tantalum", "critical"])


def test_a_material_without_end_uses_says_why_in_every_view(
    ds: cd.Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Never a blank where a reason belongs: JSON names it, the table says 'not assessed'."""
    thin = cd.Dataset()  # a fresh one: load() returns the shared shipped dataset
    eu = thin.end_uses
    thin._cache["end_uses"] = eu[eu["material"] != "germanium"].reset_index(drop=True)
    r = assess(thin, "EU27", 2023, methods=["eu-crm"], materials=["germanium", "gallium"])
    ge = r[r["material"] == "germanium"]
    assert ge["critical"].isna().all()
    assert (ge["critical_note"] == "not assessed: no end-use shares").all()
    assert (r.loc[r["material"] == "gallium", "critical_note"] == "").all()
    from critmat.cli import assess_cmd

    monkeypatch.setattr(assess_cmd, "dataset_from", lambda _ctx: thin)
    code, out, _ = invoke("assess", "--holder", "EU27", "--year", "2023", "-m", "germanium",
                          "--method", "eu-crm")  # fmt: skip
    assert code == 0, out
    assert "not assessed" in out and "EU criticality not assessed: no end-use shares" in out


def test_eu_shares_switch_changes_the_inputs(ds: cd.Dataset) -> None:
    mine = assess(ds, "EU27", 2022, methods=["eu-crm"], materials=["cobalt"], eu_shares="dataset")
    ec = assess(ds, "EU27", 2022, methods=["eu-crm"], materials=["cobalt"], eu_shares="eu2023")
    assert set(mine["supply_shares_source"]) == {"dataset"}
    assert set(ec["supply_shares_source"]) == {"eu_crm2023"}
    assert "EC 2023 EU sourcing shares" in set(ec["sourcing_source"])
    assert not np.allclose(mine["sr"].to_numpy(), ec["sr"].to_numpy()[: len(mine)])


# -- every JSON output names the basis and unit of its quantities -----------------------------
QUANTITY = re.compile(r"(_t|_t_low|_t_high|_usd_per_t)$")


def _walk(node: object, inherited: bool, bad: list[str], path: str) -> None:
    if isinstance(node, dict):
        has = inherited or any(k in node for k in ("basis", "unit", "price_unit"))
        for k, v in node.items():
            if isinstance(v, int | float) and QUANTITY.search(k) and not has:
                bad.append(f"{path}.{k}")
            _walk(v, has, bad, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node[:50]):
            _walk(v, inherited, bad, f"{path}[{i}]")


@pytest.mark.parametrize(
    "args",
    [
        ["data", "show", "cobalt", "--stage", "mining", "--year", "2024"],
        ["assess", "--holder", "EU27", "--year", "2023", "-m", "gallium", "-m", "dysprosium"],
        ["assess", "--holder", "USA", "--year", "2023", "-m", "nickel", "--method", "usgs"],
        ["simulate", "GAGE-2023", "--holder", "EU27", "--runs", "50"],
        ["plan", "--holder", "USA", "--budget", "1e8", "--config", "{cfg}", "--html", "{html}"],
        ["scenarios", "list", "--holder", "JPN"],
        ["inventory", "value", "--db", "{db}"],
    ],
)
@pytest.mark.slow
def test_every_json_output_names_basis_and_unit(tmp_path: Path, args: list[str]) -> None:
    cfg = tmp_path / "plan.yaml"
    cfg.write_text("runs: 100\neval_runs: 100\nbatches: 2\nfrontier: [0.5, 1.0]\n")
    db = f"sqlite:///{tmp_path / 'demo.db'}"
    if args[0] == "inventory":
        code, _, err = invoke("inventory", "demo", "--db", db)
        assert code == 0, err
    args = [a.format(cfg=cfg, html=tmp_path / "p.html", db=db) for a in args]
    code, out, err = invoke(*args, "-f", "json")
    assert code == 0, err
    doc = json.loads(out)
    bad: list[str] = []
    _walk(doc, False, bad, "$")
    assert not bad, bad[:10]


@pytest.mark.slow
def test_plan_prints_price_basis_and_source(tmp_path: Path) -> None:
    cfg = tmp_path / "plan.yaml"
    cfg.write_text("runs: 100\neval_runs: 100\nbatches: 2\nfrontier: [1.0]\n")
    code, out, _ = invoke(
        "plan",
        "--holder",
        "EU27",
        "--budget",
        "2e9",
        "--config",
        str(cfg),
        "--html",
        str(tmp_path / "p.html"),
    )
    assert code == 0
    assert re.search(r"USD/t (Ni|Co|Li|Ga|Dy2O3|Tb4O7|Mg|Nb)", out)
    assert "USGS MCS" in out and "published" in out
    assert "rare_earths: not planned" in out


@pytest.mark.slow
def test_parameter_uncertainty_from_the_cli_and_the_plan(ds: cd.Dataset) -> None:
    from critmat.optimize.plan import PlanConfig, run_plan

    code, out, err = invoke(
        "simulate", "GAGE-2023", "--holder", "EU27", "--runs", "100", "--parameter-uncertainty",
        "-f", "json",
    )  # fmt: skip
    assert code == 0 and "parameter draws per run" in err and "elasticity" in err
    assert json.loads(out)["summary"]
    cfg = PlanConfig(runs=100, eval_runs=100, batches=2, frontier=[1.0], parameter_uncertainty=True)
    r = run_plan(ds, "USA", 1e8, cfg)
    assert "per-run log-uniform draws" in r.provenance["parameter uncertainty"]
