"""The command line, end to end through Typer's runner (and once as a real subprocess)."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from critmat.cli.main import app

runner = CliRunner()
Overlay = Callable[[str, pd.DataFrame | str], Path]


def invoke(*args: str) -> tuple[int, str, str]:
    r = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    return r.exit_code, r.stdout, r.stderr


def test_help_lists_commands() -> None:
    code, out, _ = invoke("--help")
    assert code == 0 and "data" in out
    code, out, _ = invoke("data", "--help")
    assert code == 0
    for cmd in ("list", "show", "check", "report"):
        assert cmd in out


def test_show_cobalt_mining_2024_table() -> None:
    code, out, _ = invoke("data", "show", "cobalt", "--stage", "mining", "--year", "2024")
    assert code == 0
    line = next(ln for ln in out.splitlines() if "COD" in ln)
    assert "226,000" in line and "74.9" in line and "published" in line
    assert "Mineral Commodity Summaries 2026" in out
    assert "Published world total: 302,000 t" in out


def test_show_json_is_stable() -> None:
    code, out, _ = invoke("data", "show", "Co", "--year", "2024", "--stage", "mining", "-f", "json")
    assert code == 0
    doc = json.loads(out)
    assert list(doc) == [
        "material",
        "stage",
        "year",
        "dataset",
        "unit",
        "basis",
        "world_total",
        "share_only",
        "alternatives",
        "split",
        "hhi",
        "readme",
        "notes",
        "rows",
    ]
    first = doc["rows"][0]
    assert list(first) == ["country", "name", "value", "share", "status", "flag", "source", "notes",
                           "material", "stage", "year", "dataset", "unit", "basis"]  # fmt: skip
    assert first["country"] == "COD" and abs(first["share"] - 0.749) < 0.001


def test_show_csv() -> None:
    code, out, _ = invoke("data", "show", "lithium", "--stage", "refining", "-f", "csv")
    assert code == 0
    df = pd.read_csv(io.StringIO(out))
    assert df["dataset"].unique().tolist() == ["iea2025"]
    assert abs(df["share"].sum() - 1) < 1e-9


def test_show_bad_inputs_exit_2_with_choices() -> None:
    code, _, err = invoke("data", "show", "adamantium")
    assert code == 2 and "unknown material 'adamantium'" in err and "cobalt" in err
    code, _, err = invoke("data", "show", "cobalt", "--year", "1850")
    assert code == 2 and "Valid choices: 2018" in err
    code, _, err = invoke("data", "show", "cobalt", "--stage", "recycling")
    assert code == 2 and "mining, refining" in err


def test_list_json() -> None:
    code, out, _ = invoke("data", "list", "-f", "json")
    assert code == 0
    doc = json.loads(out)
    mats = {m["material"] for m in doc["materials"]}
    assert {"cobalt", "neodymium", "silicon"} <= mats
    assert {t["table"] for t in doc["tables"]} >= {"production", "trade", "governance"}


def test_check_strict_passes_and_planted_row_fails(overlay: Overlay) -> None:
    code, out, _ = invoke("data", "check", "--strict")
    assert code == 0 and "data check passed (strict)" in out
    d = overlay(
        "production.csv",
        "material,stage,country,year,value,unit,basis,dataset,source,status,flag,notes\n"
        "nickel,mining,IDN,2024,9000000,t,Ni,usgs_mcs2026,planted,published,,\n",
    )
    code, out, _ = invoke("--data", str(d), "data", "check", "--strict")
    assert code == 1
    assert re.search(r"nickel mining 2024 \(usgs_mcs2026\): countries sum to .* world total", out)


def test_malformed_overlay_is_reported_not_traced(overlay: Overlay) -> None:
    d = overlay("prices.csv", "material,form\ncobalt,cathode\n")
    code, _, err = invoke("--data", str(d), "data", "show", "cobalt")
    assert code == 2
    assert "prices.csv, line 1, column 'market': required column is missing" in err
    assert "Traceback" not in err


def test_report_writes_charts(tmp_path: Path) -> None:
    out = tmp_path / "sub" / "report.html"
    code, stdout, _ = invoke("data", "report", "--material", "Dy", "--out", str(out))
    assert code == 0 and str(out.resolve()) in stdout
    page = out.read_text()
    assert page.count('class="plotly-graph-div"') >= 3
    assert "dysprosium" in page and "Concentration ranking" in page


def test_console_script_runs_as_subprocess() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "critmat", "data", "show", "graphite", "-f", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["material"] == "graphite"


def test_help_stays_fast_no_heavy_imports_at_cli_import() -> None:
    """`critmat --help` must not pay for pandas, numpy or the maths packages (lazy imports)."""
    code = (
        "import sys, critmat.cli.main; "
        "heavy = [m for m in ('pandas', 'numpy', 'scipy', 'xarray', 'critmat.risk') "
        "if m in sys.modules]; print(','.join(heavy))"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.strip() == ""


def test_units_import_is_cheap() -> None:
    """`import critmat.data.units` needs NumPy only: the data package imports lazily."""
    code = (
        "import sys, critmat.data.units, critmat.errors, critmat.settings; "
        "print(','.join(m for m in ('pandas', 'pyarrow', 'pydantic', 'critmat.data.dataset') "
        "if m in sys.modules))"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.strip() == ""


def test_the_declared_summaries_are_the_commands_own_help() -> None:
    """`critmat --help` lists the summaries declared in critmat.cli.main.COMMANDS without
    building the commands (fast); each must be the first line of its command's own help."""
    from critmat.cli.main import COMMANDS, build_command

    for name, (_, summary) in COMMANDS.items():
        cmd = build_command(name)
        assert (cmd.help or "").strip().splitlines()[0] == summary, name
    code, out, _ = invoke("--help")
    assert code == 0
    listed = " ".join(out.split())
    for name, (_, summary) in COMMANDS.items():
        assert f"{name} {summary}" in listed, name


def test_help_imports_no_command_module() -> None:
    code = (
        "import sys; sys.argv = ['critmat', '--help']\n"
        "import critmat.cli.main as m\n"
        "try:\n    m.app()\nexcept SystemExit:\n    pass\n"
        "cmds = [k for k in sys.modules if k.startswith('critmat.cli.') and k.endswith('_cmd')]\n"
        "print('loaded:', ','.join(cmds))"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.strip().splitlines()[-1] == "loaded:"


def test_no_number_prints_with_an_exponent_in_a_table() -> None:
    from critmat.cli.output import _fmt_cell

    assert _fmt_cell(14576200.4) == "14,576,200"
    assert _fmt_cell(123456.0) == "123,456"
    assert _fmt_cell(12.5) == "12.5" and _fmt_cell(0.25) == "0.25"
    assert "e" not in _fmt_cell(3.2e14)


def test_every_column_word_of_the_tour_is_in_the_glossary() -> None:
    from critmat.glossary import lookup, terms_in

    for word in ("balance", "critical", "bottleneck", "outage", "avoided", "quota"):
        assert lookup(word), word
    assert {"outage", "avoided"} <= set(terms_in("P(outage) | avoided USD m"))


def test_data_list_says_why_it_shows_the_seed_list() -> None:
    import critmat.data as cd

    m = cd.load().materials
    code, out, _ = invoke("data", "list")
    assert code == 0
    flat = " ".join(out.split())
    seeds = int(m["seed"].astype(bool).sum())
    assert f"seed list: {seeds} of the {len(m)} in the materials table" in flat
    assert "critmat data show" in flat


def test_users_list_disable_enable_and_rotate_from_the_command_line(tmp_path: Path) -> None:
    from critmat.api.auth import authenticate
    from critmat.database import make_engine

    db = f"sqlite:///{tmp_path}/users.db"
    code, token, _ = invoke("users", "add", "kim", "--role", "analyst", "--db", db)
    assert code == 0
    token = token.strip()
    code, out, _ = invoke("users", "list", "--db", db, "-f", "json")
    assert code == 0 and json.loads(out)[0]["name"] == "kim" and token not in out
    assert invoke("users", "disable", "kim", "--db", db)[0] == 0
    assert json.loads(invoke("users", "list", "--db", db, "-f", "json")[1])[0]["disabled"]
    assert authenticate(make_engine(db), token) is None
    assert invoke("users", "enable", "kim", "--db", db)[0] == 0
    code, new, _ = invoke("users", "rotate-token", "kim", "--db", db)
    assert code == 0 and new.strip() != token
    assert authenticate(make_engine(db), new.strip()) is not None
    assert authenticate(make_engine(db), token) is None
    code, _, err = invoke("users", "disable", "nobody", "--db", db)
    assert code == 2 and "unknown user 'nobody'" in err


def test_simulate_shows_the_touched_materials_their_loss_and_the_cap() -> None:
    """The terminal table: the materials the scenario touches (the rest with --all), the loss
    with its band, a line when a price reached the cap, and why nothing spreads in a replay."""

    code, out, err = invoke("simulate", "GAGE-2023", "--holder", "EU27", "--runs", "100")
    assert code == 0, err
    flat = " ".join(out.split())
    assert "E loss USD m" in flat and "not shown (--all)" in flat
    assert "lith" not in out and "nick" not in out  # untouched materials hidden
    assert "price reached its cap" in err and "gallium" in err
    code, out, _ = invoke("simulate", "GAGE-2023", "--holder", "EU27", "--runs", "20", "--all")
    assert code == 0 and "lith" in out  # (Rich may wrap the name inside its cell)
    code, out, _ = invoke("simulate", "GR-2023", "--holder", "EU27", "--runs", "20",
                          "--no-parameter-uncertainty")  # fmt: skip
    assert code == 0 and "no spread: a replay with fixed parameters" in " ".join(out.split())


def test_the_loss_band_holds_the_expected_loss_of_a_replay() -> None:
    """p05/p95 of the loss are over the same per-run count as its mean: in a replay with fixed
    parameters every run is the same, so the band collapses onto the mean."""
    import critmat.data as cd
    from critmat.services.simulate import SimulateRequest, run_simulate

    ds = cd.load()
    req = SimulateRequest(scenario="GR-2023", holder="EU27", runs=20,
                          parameter_uncertainty=False)  # fmt: skip
    res, _, _ = run_simulate(ds, req)
    s = res.summary()
    g = s[s["material"] == "graphite"].iloc[0]
    assert g["expected_loss_usd"] > 0
    assert g["p05_loss_usd"] == pytest.approx(g["expected_loss_usd"], rel=1e-9)
    assert g["p95_loss_usd"] == pytest.approx(g["expected_loss_usd"], rel=1e-9)
