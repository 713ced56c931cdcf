"""Hostile inputs an outside corpus found accepted (issue 27): formula cells in every export, a
new ledger's first audit, deeply nested YAML, meaning checks of scenario, stockpile and plan
files, overlays and price feeds, an interrupted demo, and the small ones. Each test failed
before its fix."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from pydantic import ValidationError
from typer.testing import CliRunner

from critmat.cli.main import app
from critmat.data.loader import DatasetError

run = CliRunner().invoke
EVIL = ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx"]


def _cells(text: str) -> list[str]:
    """The CSV's cells, a carriage return shown as <CR> (Python's csv module, like pandas, does
    not quote a lone CR, and its reader refuses one in an unquoted field)."""
    rows = csv.reader(io.StringIO(text.replace("\r", "<CR>")))
    return [c.replace("<CR>", "\r") for row in rows for c in row]


# -- 1. formula cells --------------------------------------------------------------------------
def test_inventory_lots_csv_neutralises_formula_cells(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/inv.db"
    assert run(app, ["inventory", "init", "--db", db]).exit_code == 0
    for i, text in enumerate(EVIL[:4]):  # a lot's texts refuse control characters
        r = run(app, ["inventory", "lot", f"=L{i}", "cobalt", "--supplier", text,
                      "--form", text, "--db", db])  # fmt: skip
        assert r.exit_code == 0, r.stderr
    r = run(app, ["inventory", "lots", "--format", "csv", "--db", db])
    assert r.exit_code == 0, r.stderr
    cells = _cells(r.stdout)
    for i, text in enumerate(EVIL[:4]):
        assert "'" + text in cells and f"'=L{i}" in cells
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))]


def _frame() -> pd.DataFrame:
    # pandas 3 stores text as its own string dtype, not object (the bug was a dtype test)
    return pd.DataFrame({"note": EVIL, "n": range(len(EVIL)), "k": pd.Categorical(EVIL)})


def test_cli_csv_directory_and_workbook_neutralise_formula_cells(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from critmat.cli.output import Format, emit_tables

    readme = {"scenario": "=HYPERLINK(1)"}
    emit_tables({"t": _frame()}, Format.csv, tmp_path / "dir", readme)
    for name in ("t.csv", "README.csv"):
        cells = _cells((tmp_path / "dir" / name).read_text())
        assert not [c for c in cells if c.startswith(("=", "+", "@", "\t", "\r"))], name
    emit_tables({"t": _frame()}, Format.csv, tmp_path / "one.csv", readme)
    assert "'=1+1" in _cells((tmp_path / "one.csv").read_text())
    emit_tables({"t": _frame()}, Format.xlsx, tmp_path / "w.xlsx", readme)
    wb = load_workbook(tmp_path / "w.xlsx")
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)


def test_api_job_exports_neutralise_formula_cells() -> None:
    from openpyxl import load_workbook

    from critmat.services.jobs_output import result_file

    rows = _frame().astype({"k": str}).to_dict("records")
    job = {"id": "0123456789", "kind": "simulate", "status": "done", "user": "u",
           "created_at": "2026-01-01", "result": {"t": rows}}  # fmt: skip
    body, _, _ = result_file(job, "csv", "t")
    assert "'=1+1" in _cells(body.decode())
    body, _, _ = result_file(job, "xlsx", None)
    wb = load_workbook(io.BytesIO(body))
    assert all(c.data_type != "f" for ws in wb.worksheets for r in ws.iter_rows() for c in r)


# -- 2. a new database passes its first audit ---------------------------------------------------
def test_a_new_ledger_verifies_signed_at_init(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = tmp_path / "key"
    key.write_text("k" * 32)
    monkeypatch.setenv("CRITMAT_LEDGER_KEY_FILE", str(key))
    r = run(app, ["inventory", "init", "--db", url])
    assert r.exit_code == 0 and "genesis signed" in r.stdout, r.stdout
    r = run(app, ["inventory", "verify", "--db", url])
    assert r.exit_code == 0 and "0 entries" in r.stdout and "head signed" in r.stdout, r.stdout
    r = run(app, ["inventory", "verify", "--db", url, "--format", "json"])
    assert json.loads(r.stdout)["ok"] is True


def test_a_new_ledger_without_key_says_how_to_sign(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run(app, ["inventory", "init", "--db", url]).exit_code == 0
    key = tmp_path / "key"
    key.write_text("k" * 32)
    monkeypatch.setenv("CRITMAT_LEDGER_KEY_FILE", str(key))
    r = run(app, ["inventory", "verify", "--db", url])
    assert r.exit_code == 0, r.stdout
    assert "not yet signed" in r.stdout and "critmat inventory sign" in r.stdout
    assert "None" not in r.stdout
    assert run(app, ["inventory", "sign", "--db", url]).exit_code == 0
    assert "head signed" in run(app, ["inventory", "verify", "--db", url]).stdout


# -- 3. a negative adjustment needs no `--` -----------------------------------------------------
def test_negative_adjust_without_double_dash(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/inv.db"
    for args in (["init"], ["facility", "F", "D", "-z", "A"], ["lot", "L1", "cobalt"],
                 ["receive", "L1", "F/A", "10"],
                 ["adjust", "L1", "F/A", "-2.5", "stocktake"]):  # fmt: skip
        r = run(app, ["inventory", *args, "--db", db])
        assert r.exit_code == 0, (args, r.stderr)
    r = run(app, ["inventory", "balance", "--db", db, "-f", "json"])
    assert float(json.loads(r.stdout)[0]["quantity"]) == 7.5


def test_listing_commands_offer_only_formats_they_can_write() -> None:
    for cmd in (["inventory", "lots"], ["inventory", "balance"], ["data", "check"]):
        r = run(app, [*cmd, "--help"])
        assert r.exit_code == 0 and "json" in r.stdout and "xlsx" not in r.stdout, cmd


# -- 4. deeply nested YAML ---------------------------------------------------------------------
def _deep(levels: int) -> str:
    return "name: x\nevents: " + "[" * levels + "]" * levels + "\n"


def test_deep_yaml_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    from critmat.data.yamlfile import load_yaml_text
    from critmat.sim.scenario import Scenario

    f = tmp_path / "deep.yaml"
    f.write_text(_deep(5000))
    r = run(app, ["simulate", str(f), "--holder", "USA", "--runs", "10"])
    assert r.exit_code == 2 and "levels deep" in r.stderr and "Traceback" not in r.stderr
    with pytest.raises(DatasetError, match="levels deep"):
        load_yaml_text("a: " + "{b: " * 50 + "1" + "}" * 50, Scenario, "scenario", "x")


# -- 5. meaning checks of the files ------------------------------------------------------------
EVENT = {"type": "export_restriction", "country": "CHN", "material": "gallium"}
BAD_SCENARIOS = {
    "unknown target": {**EVENT, "targets": ["XXX"]},
    "target restricts itself": {**EVENT, "targets": ["CHN"]},
    "severity distribution to 5": {**EVENT, "severity": {"dist": "uniform", "low": 0.5, "high": 5}},
    "lognormal severity median 2": {
        **EVENT, "severity": {"dist": "lognormal", "median": 2, "sigma": 0.3}},
    "embargo on itself": {"type": "embargo", "country": "FRA", "target": "EU27",
                          "material": "cobalt"},
    "embargo unknown target": {"type": "embargo", "country": "CHN", "target": "MARS",
                               "material": "cobalt"},
    "unknown route": {"type": "chokepoint", "route": "Atlantis Passage", "route_share": 0.3,
                      "material": "cobalt"},
    "demand shock to 9": {"type": "demand_shock", "material": "cobalt",
                          "severity": {"dist": "triangular", "low": 0, "mode": 1, "high": 9}},
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(BAD_SCENARIOS))
def test_scenario_meaning_checks(name: str) -> None:
    from critmat.data.yamlfile import load_yaml_text
    from critmat.sim.scenario import Scenario

    text = yaml.safe_dump({"name": name, "events": [BAD_SCENARIOS[name]]})
    with pytest.raises(DatasetError) as exc:
        load_yaml_text(text, Scenario, "scenario", "the scenario")
    assert exc.value.issues and "events.0" in exc.value.issues[0].column


def test_scenario_unknown_crisis_country_and_good_routes() -> None:
    from critmat.sim.scenario import Scenario

    with pytest.raises(ValidationError, match="crisis_country"):
        Scenario.model_validate({"name": "x", "stochastic": {"crisis_country": "XXX"}})
    ok = Scenario.model_validate({"name": "x", "events": [
        {"type": "chokepoint", "route": "Bab-el-Mandeb", "route_share": 0.2, "material": "cobalt"},
        {"type": "chokepoint", "route": "other: Lobito rail", "route_share": 0.2,
         "material": "cobalt"},
        {**EVENT, "targets": ["USA", "JPN"], "severity": {"dist": "uniform", "low": 0, "high": 1}},
    ]})  # fmt: skip
    assert ok.events[0].route == "bab_el_mandeb"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "spec",
    [
        {"max_release_share": 7},
        {"materials": {"cobalt": {"stock_t": 100, "floor_t": 200}}},
        {"materials": {"cobalt": {"stock_t": 1e300}}},
        {"own_supply": {"cobalt": [1e300]}},
    ],
    ids=["release share 7", "floor above stock", "stock 1e300", "own supply 1e300"],
)
def test_stockpile_meaning_checks(spec: dict[str, object]) -> None:
    from critmat.sim.stockpile import StockpileSpec

    with pytest.raises(ValidationError):
        StockpileSpec.model_validate(spec)


@pytest.mark.parametrize(
    "spec",
    [
        {"max_release_share": 9},
        {"cap_share": 0},
        {"capacity_t": {"cryogenic_vault": 100}},
        {"floors_t": {"unobtainium": 5}},
        {"frontier": []},
    ],
    ids=["release share 9", "cap share 0", "unknown storage class", "unknown floor", "frontier"],
)
def test_plan_meaning_checks(spec: dict[str, object], tmp_path: Path) -> None:
    from critmat.optimize.plan import load_plan_config

    f = tmp_path / "plan.yaml"
    f.write_text(yaml.safe_dump(spec))
    with pytest.raises(DatasetError, match="refused"):
        load_plan_config(f)


def test_plan_storage_classes_of_the_catalogue_are_accepted() -> None:
    from critmat.data.catalogue import STORAGE_CLASSES
    from critmat.optimize.plan import PlanConfig

    cfg = PlanConfig.model_validate({"capacity_t": {c: 10.0 for c in [*STORAGE_CLASSES, "other"]}})
    assert len(cfg.capacity_t) == len(STORAGE_CLASSES) + 1


# -- 6. overlays and price feeds ----------------------------------------------------------------
HEAD = "material,stage,country,year,value,unit,basis,dataset,source,status,flag,notes\n"
OVERLAY_ROWS = {
    "inf": ("cobalt,mining,AUS,2024,inf,t,Co,mine,me,published,,\n", "value", "finite"),
    "1e300": ("cobalt,mining,AUS,2024,1e300,t,Co,mine,me,published,,\n", "value", "range"),
    "furlong": ("cobalt,mining,AUS,2024,5,furlong,Co,mine,me,published,,\n", "unit", "unit"),
    "country XXX": ("cobalt,mining,XXX,2024,5,t,Co,mine,me,published,,\n", "country", "country"),
    "unobtainium": ("unobtainium,mining,AUS,2024,5,t,Co,mine,me,published,,\n", "material",
                    "material"),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(OVERLAY_ROWS))
def test_overlay_rows_are_refused_at_load(name: str, tmp_path: Path) -> None:
    import critmat.data as cd

    row, column, why = OVERLAY_ROWS[name]
    (tmp_path / "production.csv").write_text(HEAD + row)
    with pytest.raises(DatasetError) as exc:
        cd.load(tmp_path, use_env=False)
    (issue,) = exc.value.issues
    assert issue.line == 2 and issue.column == column and why in issue.message


def test_an_overlay_may_add_its_own_country(tmp_path: Path) -> None:
    import critmat.data as cd

    base = cd.load(use_env=False).countries
    extra = base.head(1).assign(country="XKX", name="Kosovo")
    (tmp_path / "countries.csv").write_text(extra.to_csv(index=False))
    (tmp_path / "production.csv").write_text(HEAD + OVERLAY_ROWS["country XXX"][0].replace(
        "XXX", "XKX"))  # fmt: skip
    assert "XKX" in set(cd.load(tmp_path, use_env=False).production["country"])


FEEDS = {
    "negative": "material,price_usd_per_t\ncobalt,-450\n",
    "nan": "material,price_usd_per_t\ncobalt,nan\n",
    "word": "material,price_usd_per_t\ncobalt,cheap\n",
    "unknown material": "material,price_usd_per_t\nunobtainium,5\n",
    "duplicate": "material,price_usd_per_t\ncobalt,30000\ncobalt,31000\n",
    "missing column": "material,price\ncobalt,30000\n",
    "no rows": "material,price_usd_per_t\n",
}


@pytest.mark.parametrize("name", sorted(FEEDS))
def test_bad_price_feeds_are_refused(name: str, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/inv.db"
    for args in (["init"], ["facility", "F", "D", "-z", "A"], ["lot", "L1", "cobalt"],
                 ["receive", "L1", "F/A", "10"]):  # fmt: skip
        assert run(app, ["inventory", *args, "--db", db]).exit_code == 0
    feed = tmp_path / "feed.csv"
    feed.write_text(FEEDS[name])
    r = run(app, ["inventory", "value", "--price-feed", str(feed), "--db", db])
    assert r.exit_code == 2, r.stdout
    assert str(feed) in r.stderr and len(r.stderr.strip().splitlines()) == 1
    good = tmp_path / "good.csv"
    good.write_text("material,price_usd_per_t\ncobalt,30000\n")
    r = run(app, ["inventory", "value", "--price-feed", str(good), "--db", db, "-f", "json"])
    assert r.exit_code == 0 and json.loads(r.stdout)[0]["value_usd"] == pytest.approx(3e5)


# -- 7. the demo is all or nothing --------------------------------------------------------------
@pytest.mark.slow
def test_an_interrupted_demo_leaves_nothing(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import critmat.inventory.demo as demo
    from critmat.database import make_engine
    from critmat.inventory.ledger import Ledger
    from critmat.inventory.migrate import migrate
    from critmat.inventory.registers import lots

    migrate(url)
    led = Ledger(make_engine(url))

    def interrupted(*_: object, **__: object) -> None:
        raise KeyboardInterrupt

    # Ctrl-C while the sensor readings load, after every facility, lot and movement was written
    monkeypatch.setattr(demo, "ingest", interrupted)
    with pytest.raises(KeyboardInterrupt):
        demo.seed_demo(led)
    assert led.balances().empty and lots(led.engine).empty
    assert led.verify().ok and led.verify().checked == 0
    monkeypatch.undo()
    counts = demo.seed_demo(led)
    assert counts["movements"] == led.verify().checked > 0
    led.engine.dispose()
