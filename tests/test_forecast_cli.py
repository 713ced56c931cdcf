"""``critmat forecast`` and ``critmat plan --forecast`` end to end (Typer's CliRunner)."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from critmat.cli.main import app


def run(*args: str) -> object:
    return CliRunner().invoke(app, list(args))


def test_scenarios_list() -> None:
    r = run("forecast", "scenarios", "--format", "json")
    assert r.exit_code == 0, r.output  # type: ignore[attr-defined]
    names = {x["scenario"] for x in json.loads(r.stdout)["scenarios"]}  # type: ignore[attr-defined]
    assert names == {"stated_policies", "accelerated"}


def test_demand_json_html_and_xlsx(tmp_path: Path) -> None:
    html = tmp_path / "d.html"
    out = tmp_path / "d.json"
    r = run("forecast", "demand", "--holder", "EU27", "-m", "lithium", "-m", "cobalt",
            "--scenario", "accelerated", "--draws", "50", "--html", str(html),
            "--format", "json", "--out", str(out))  # fmt: skip
    assert r.exit_code == 0, r.output  # type: ignore[attr-defined]
    doc = json.loads(out.read_text())
    assert {"world", "holder", "drivers", "substitution", "iea_comparison", "backtest",
            "assumptions", "readme"} <= set(doc)  # fmt: skip
    assert doc["readme"]["scenario"].startswith("accelerated")
    hold = [x for x in doc["holder"] if x["material"] == "lithium"]
    assert hold[0]["basis"] == "Li" and hold[0]["index_vs_base"] == pytest.approx(1.0)
    assert all(a["source"] and a["status"] for a in doc["assumptions"])
    page = html.read_text()
    assert "IEA 2025 (APS" in page and "Backtest from" in page and "Substitution" in page
    xl = tmp_path / "d.xlsx"
    r = run("forecast", "demand", "-m", "nickel", "--draws", "20", "--format", "xlsx",
            "--out", str(xl))  # fmt: skip
    assert r.exit_code == 0, r.output  # type: ignore[attr-defined]
    assert {"README", "world", "iea_comparison"} <= set(openpyxl.load_workbook(xl).sheetnames)


def test_demand_table_prints_the_world_and_the_iea() -> None:
    r = run("forecast", "demand", "-m", "lithium", "--draws", "20")
    assert r.exit_code == 0, r.output  # type: ignore[attr-defined]
    out = r.stdout  # type: ignore[attr-defined]
    assert "World demand" in out and "IEA" in out and "205" in out  # IEA 2024: 205 kt Li


def test_bad_scenario_file_is_one_line_exit_2(tmp_path: Path) -> None:
    f = tmp_path / "s.yaml"
    f.write_text("name: x\ntitle: t\ndrivers: {}\n")
    r = run("forecast", "demand", "--scenario", str(f))
    assert r.exit_code == 2  # type: ignore[attr-defined]
    err = r.stderr.strip().splitlines()  # type: ignore[attr-defined]
    assert len(err) == 1 and err[0].startswith("error:") and "chemistry" in err[0]


def test_prices_csv_and_warning_json(tmp_path: Path) -> None:
    page = tmp_path / "p.html"
    r = run("forecast", "prices", "-m", "tin", "--origins", "3", "--format", "csv",
            "--html", str(page))  # fmt: skip
    assert r.exit_code == 0, r.output  # type: ignore[attr-defined]
    assert r.stdout.splitlines()[0].startswith("material,series,model,period,step,mean")  # type: ignore[attr-defined]
    assert "forecast from each origin" in page.read_text()
    html = tmp_path / "w.html"
    r = run("forecast", "warning", "-m", "gallium", "-m", "nickel", "--html", str(html),
            "--format", "json")  # fmt: skip
    assert r.exit_code == 0, r.output  # type: ignore[attr-defined]
    doc = json.loads(r.stdout)  # type: ignore[attr-defined]
    assert {x["material"] for x in doc["current"]} == {"gallium", "nickel"}
    assert "recorded event (start)" in html.read_text()


def test_consumption_forecast() -> None:
    r = run("forecast", "prices", "--consumption", "--origins", "3", "--format", "json")
    assert r.exit_code == 0, r.output  # type: ignore[attr-defined]
    doc = json.loads(r.stdout)  # type: ignore[attr-defined]
    assert {x["series"] for x in doc["forecasts"]} == {
        "USGS DS140 world production",
        "USGS DS140 estimated consumption",
    }


@pytest.mark.slow
def test_plan_with_forecast_scales_demand_and_rates(tmp_path: Path) -> None:
    cfg = tmp_path / "plan.yaml"
    cfg.write_text("runs: 60\neval_runs: 60\nbatches: 2\nfrontier: [1.0]\n")
    r = run("plan", "--holder", "EU27", "--budget", "5e8", "--config", str(cfg),
            "--forecast", "stated_policies", "--format", "json")  # fmt: skip
    assert r.exit_code == 0, r.output  # type: ignore[attr-defined]
    err = r.stderr  # type: ignore[attr-defined]
    assert "demand x forecast: " in err and "disruption rates x early-warning multiplier" in err
    # lithium demand grows in the stated-policies projection: its factor is above 1
    part = err.split("demand x forecast: ")[1].split("\n")[0]
    factors = dict(x.rsplit(" ", 1) for x in part.split(", "))
    assert float(factors["lithium"]) > 1.2
