"""Condition monitoring, degradation, valuation, insurance and rotation (SQLite)."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pandas as pd
import pytest

import critmat.data as cd
from critmat.database import make_engine
from critmat.inventory.checks import InventoryError
from critmat.inventory.ledger import Ledger
from critmat.inventory.migrate import migrate
from critmat.inventory.monitoring import alerts, ingest, quality, set_alert
from critmat.inventory.valuation import add_policy, coverage, rotation_plan, valuation


@pytest.fixture
def led(tmp_path: Path) -> Ledger:
    url = f"sqlite:///{tmp_path}/ops.db"
    migrate(url)
    led = Ledger(make_engine(url))
    led.add_facility("F", "Depot", ["A", "B"])
    led.add_lot("GA", "gallium", "kg", acquired_on=dt.date(2024, 1, 1))
    led.add_lot("LI", "lithium", "t", acquired_on=dt.date(2019, 6, 1))
    led.receive("GA", "F/A", 500, "kg")
    led.receive("LI", "F/B", 20, "t")
    return led


def series(path: Path, zone: str, values: list[float], metric: str = "temperature_c") -> Path:
    t0 = dt.datetime(2026, 1, 1)
    pd.DataFrame(
        {
            "zone": zone,
            "timestamp": [(t0 + dt.timedelta(hours=h)).isoformat() for h in range(len(values))],
            "metric": metric,
            "value": values,
        }
    ).to_csv(path, index=False)
    return path


def test_threshold_anomaly_alerts_and_degradation(led: Ledger, tmp_path: Path) -> None:
    temps = [22.0 + 0.1 * (h % 3) for h in range(48)]
    temps[20] = 25.2  # an anomaly inside the limits
    for h in range(30, 34):
        temps[h] = 30.5  # gallium melts at 29.8 C: out of limits for 4 hours
    rep = ingest(led, series(tmp_path / "t.csv", "F/A", temps))
    assert rep.readings == 48 and rep.alerts == 2
    a = alerts(led).set_index("rule")
    # gallium above its melting point is critical at once (a change of state, not a drift)
    assert a.loc["threshold", "severity"] == "critical", a.loc["threshold", "message"]
    assert "gallium" in a.loc["threshold", "message"] and "melts" in a.loc["threshold", "message"]
    assert "robust z-score" in a.loc["anomaly", "message"]
    assert "above the limit" in a.loc["threshold", "message"]
    assert "None" not in " ".join(a["message"])  # a one-sided limit is said in words
    q = quality(led).set_index("lot")
    assert q.loc["GA", "hours_out_of_limits"] == 4.0 and q.loc["GA", "grade"] < 100
    assert q.loc["LI", "grade"] == 100.0
    first = int(a.loc["threshold", "id"])
    set_alert(led, first, "acknowledged")
    with pytest.raises(InventoryError, match="needs a note"):
        set_alert(led, first, "resolved")
    set_alert(led, first, "resolved", "moved to the refrigerated room")
    assert alerts(led, "resolved")["id"].tolist() == [first]


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (
            "zone,timestamp,metric,value\nF/A,2026-01-01T00:00,temperature_c,warm\n",
            "line 2, column 'value'",
        ),
        ("zone,timestamp,metric,value\nF/A,yesterday,temperature_c,20\n", "column 'timestamp'"),
        ("zone,timestamp,metric,value\nF/A,2026-01-01,smell,2\n", "column 'metric'"),
        ("zone,timestamp,metric,value\nF/Q,2026-01-01,rh_pct,50\n", "unknown zone 'F/Q'"),
        ("zone,when,metric,value\n", "column 'timestamp': required column is missing"),
    ],
)
def test_malformed_sensor_files_write_nothing(
    led: Ledger, tmp_path: Path, text: str, match: str
) -> None:
    p = tmp_path / "bad.csv"
    p.write_text(text)
    with pytest.raises(InventoryError, match=match):
        ingest(led, p)
    assert alerts(led).empty and quality(led)["hours_out_of_limits"].sum() == 0


def test_valuation_insurance_and_rotation(led: Ledger, ds: cd.Dataset) -> None:
    v = valuation(led, ds).set_index("lot")
    assert v.loc["LI", "value_usd"] == pytest.approx(20 * v.loc["LI", "price_usd_per_t"])
    assert "lithium carbonate" in v.loc["LI", "price_source"]
    assert "USD/t Li" in v.loc["LI", "price_source"]  # a lot is booked in t of the basis
    assert v.loc["GA", "value_usd"] == pytest.approx(0.5 * v.loc["GA", "price_usd_per_t"])
    feed = valuation(led, ds, {"lithium": 10_000.0}).set_index("lot")
    assert feed.loc["LI", "value_usd"] == 200_000.0
    add_policy(led, "P-1", "F", 1_000.0, dt.date(2030, 1, 1))
    add_policy(led, "P-OLD", "F", 9e12, dt.date(2020, 1, 1))
    cov = coverage(led, ds, dt.date(2026, 11, 27)).set_index("facility")
    assert cov.loc["F", "insured_usd"] == 1_000.0 and cov.loc["F", "expired_policies"] == 1
    assert cov.loc["F", "gap_usd"] == pytest.approx(cov.loc["F", "value_held_usd"] - 1_000.0)
    with pytest.raises(InventoryError, match="unknown facility"):
        add_policy(led, "P-2", "ZZ", 1.0, dt.date(2030, 1, 1))
    plan = rotation_plan(led, ds, 2026).set_index("lot")
    # lithium carbonate: 5-year indicative shelf life from 2019-06 -> due in 2024
    assert list(plan.index) == ["LI"] and plan.loc["LI", "reason"] == "shelf life ends"
    assert plan.loc["LI", "net_cost_usd"] == pytest.approx(0.1 * plan.loc["LI", "replacement_usd"])


def test_maintenance_risk_and_next_service(led: Ledger) -> None:
    from critmat.inventory.maintenance import add_equipment, failure_risk, maintenance_plan

    # Weibull: a fresh unit has less 30-day risk than a worn one; risk grows with stress alerts
    assert failure_risk(0, 720, 1.5, 20_000) < failure_risk(15_000, 720, 1.5, 20_000)
    add_equipment(
        led, "DH-1", "F", "dehumidifier", dt.date(2020, 1, 1), dt.date(2025, 1, 1), 15_000, 24
    )
    add_equipment(led, "AC-1", "F", "hvac", dt.date(2020, 1, 1), dt.date(2025, 1, 1), 100, 8)
    with pytest.raises(InventoryError, match="unknown equipment kind"):
        add_equipment(led, "X", "F", "toaster", dt.date(2020, 1, 1), dt.date(2025, 1, 1), 1, 1)
    plan = maintenance_plan(led, dt.date(2025, 6, 1)).set_index("equipment")
    assert plan.loc["DH-1", "risk_30d"] > plan.loc["AC-1", "risk_30d"]
    assert plan.loc["DH-1", "next_service"] <= plan.loc["AC-1", "next_service"]
    assert bool(plan.loc["DH-1", "due_now"]) == (plan.loc["DH-1", "risk_30d"] >= 0.05)


@pytest.mark.slow
def test_synthetic_demo_agency(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from critmat.cli.main import app

    db = f"sqlite:///{tmp_path}/demo.db"
    r = CliRunner().invoke(app, ["inventory", "demo", "--db", db])
    assert r.exit_code == 0 and "synthetic" in r.stdout
    led = Ledger(make_engine(db))
    assert led.verify().ok
    assert set(led.balances()["location"].str.split("/").str[0]) <= {
        "SYN-NORTH",
        "SYN-PORT",
        "SYN-INLAND",
    }
    a = alerts(led)
    assert {"threshold", "anomaly"} <= set(a["rule"])
    assert (a["severity"] == "critical").any()  # the July dehumidifier failure
    tg = tmp_path / "t.csv"
    tg.write_text("material,optimal_t\ncobalt,100\nniobium,5\n")
    r = CliRunner().invoke(app, ["inventory", "targets", str(tg), "--db", db, "-f", "json"])
    import json

    rows = {x["material"]: x for x in json.loads(r.stdout)}
    assert rows["niobium"]["held_t"] == 0 and rows["cobalt"]["gap_t"] < 100
    # money in the terminal: grouped digits, never an exponent (values of millions of USD)
    r = CliRunner().invoke(app, ["inventory", "value", "--db", db], env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    assert "e+0" not in r.stdout and "e+1" not in r.stdout
    assert re.search(r"\d{1,3},\d{3},\d{3}", r.stdout), r.stdout


def test_lots_sale_risks_and_price_feed(led: Ledger, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from critmat.cli.main import app
    from critmat.inventory.registers import lots
    from critmat.inventory.risks import add_risk, risk_register

    assert set(lots(led.engine)["lot"]) == {"GA", "LI"}
    led.sell("LI", "F/B", 5, "t", "rotation 2026")
    assert led.balances().set_index("lot").loc["LI", "quantity"] == 15
    with pytest.raises(InventoryError, match="needs a reason"):
        led.sell("LI", "F/B", 1, "t", "")
    add_risk(
        led,
        "theft",
        "palladium is small and valuable",
        2,
        5,
        "vault, two-person rule",
        "security officer",
        "F",
    )
    add_risk(led, "natural_hazard", "river flooding", 3, 3, "raised racks", "site manager")
    reg = risk_register(led)
    assert reg["score"].tolist() == [10, 9] and reg["facility"].tolist() == ["F", "all"]
    with pytest.raises(InventoryError, match=r"likelihood must be 1\.\.5"):
        add_risk(led, "theft", "x", 9, 1, "", "me")
    with pytest.raises(InventoryError, match="unknown risk category"):
        add_risk(led, "ghosts", "x", 1, 1, "", "me")
    feed = tmp_path / "feed.csv"
    feed.write_text("material,price_usd_per_t\nlithium,10000\n")
    url = str(led.engine.url)
    r = CliRunner().invoke(
        app, ["inventory", "value", "--price-feed", str(feed), "--db", url, "-f", "json"]
    )
    import json

    rows = {x["lot"]: x for x in json.loads(r.stdout)}
    assert rows["LI"]["value_usd"] == 150_000.0 and rows["LI"]["price_source"].startswith("user")


def test_the_history_from_the_cli_filters_and_names_the_user(tmp_path: Path) -> None:
    """`inventory movements` filters by lot, kind, facility, user and day (as the API does);
    a CLI booking names the OS user when CRITMAT_USER is not set; `balance` warns when the
    chain does not verify."""
    import json

    from typer.testing import CliRunner

    from critmat.cli.main import app

    db = f"sqlite:///{tmp_path}/h.db"
    run = CliRunner().invoke
    env = {"CRITMAT_USER": "", "USER": "kim"}
    assert run(app, ["inventory", "init", "--db", db], env=env).exit_code == 0
    run(app, ["inventory", "facility", "N", "North", "-z", "A", "--db", db], env=env)
    run(app, ["inventory", "facility", "S", "South", "-z", "A", "--db", db], env=env)
    run(app, ["inventory", "lot", "L1", "cobalt", "--db", db], env=env)
    run(app, ["inventory", "lot", "L2", "nickel", "--db", db], env=env)
    assert run(app, ["inventory", "receive", "L1", "N/A", "5", "--db", db], env=env).exit_code == 0
    run(app, ["inventory", "receive", "L2", "S/A", "7", "--db", db],
        env={"CRITMAT_USER": "lee"})  # fmt: skip

    def history(*args: str) -> list[dict[str, object]]:
        r = run(app, ["inventory", "movements", "--db", db, "-f", "json", *args])
        assert r.exit_code == 0, r.output
        return list(json.loads(r.stdout))

    assert [m["lot"] for m in history()] == ["L2", "L1"]  # newest first
    assert [m["booked_by"] for m in history("--lot", "L1")] == ["kim"]
    assert [m["lot"] for m in history("--facility", "S")] == ["L2"]
    assert [m["lot"] for m in history("--user", "lee")] == ["L2"]
    assert history("--until", "2000-01-01") == [] and len(history("--since", "2000-01-01")) == 2
    assert history("--kind", "release") == []
    r = run(app, ["inventory", "movements", "--db", db, "--since", "yesterday"])
    assert r.exit_code == 2 and "YYYY-MM-DD" in r.stderr
    # a key set after the bookings: the balance still prints, with a warning
    key = tmp_path / "k.key"
    key.write_text("0123456789abcdef0123456789abcdef")
    r = run(app, ["inventory", "balance", "--db", db], env={"CRITMAT_LEDGER_KEY_FILE": str(key)})
    assert r.exit_code == 0 and "does not verify (unsigned)" in r.stderr


def test_run_hours_follow_the_clock_and_a_service_restarts_them(led: Ledger) -> None:
    from typer.testing import CliRunner

    from critmat.cli.main import app
    from critmat.inventory.maintenance import add_equipment, maintenance_plan

    add_equipment(led, "DH-9", "F", "dehumidifier", dt.date(2024, 1, 1), dt.date(2025, 1, 1),
                  1000, 20, hours_as_of=dt.date(2026, 1, 1))  # fmt: skip

    def plan(day: dt.date) -> pd.Series:
        return maintenance_plan(led, day).set_index("equipment").loc["DH-9"]

    jan, mar = plan(dt.date(2026, 1, 1)), plan(dt.date(2026, 3, 2))
    assert jan["hours_since_service"] == 1000 and mar["hours_since_service"] == 1000 + 60 * 20
    assert mar["risk_30d"] > jan["risk_30d"]
    db = str(led.engine.url)
    r = CliRunner().invoke(app, ["inventory", "serviced", "DH-9", "2026-03-01", "--db", db])
    assert r.exit_code == 0, r.output
    after = plan(dt.date(2026, 3, 2))
    assert after["hours_since_service"] == 20 and after["risk_30d"] < mar["risk_30d"]
    r = CliRunner().invoke(app, ["inventory", "serviced", "DH-9", "2025-06-01", "--db", db])
    assert r.exit_code == 2 and "before the last service" in r.stderr
    r = CliRunner().invoke(app, ["inventory", "serviced", "NOPE", "2026-03-01", "--db", db])
    assert r.exit_code == 2 and "unknown equipment 'NOPE'" in r.stderr


def test_lot_attributes_can_be_set_from_the_cli(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Issue 30, item 10: purity, certificate and acquisition date, shown in `inventory lots`,
    are set at registration or later, with the register's checks; nothing else changes."""
    from typer.testing import CliRunner

    from critmat.cli.main import app

    db = f"sqlite:///{tmp_path}/lots.db"
    inv = lambda *a: CliRunner().invoke(app, ["inventory", *a, "--db", db])  # noqa: E731
    assert inv("init").exit_code == 0
    r = inv("lot", "L1", "gallium", "--unit", "kg", "--purity", "4N", "--acquired-on",
            "2024-05-02")  # fmt: skip
    assert r.exit_code == 0, r.output
    r = inv("lot-set", "L1", "--purity", "99.9999%", "--certificate", "AC-2024-117")
    assert r.exit_code == 0 and "purity 4N -> 99.9999%" in r.stdout
    assert "certificate (empty) -> AC-2024-117" in r.stdout
    assert "nothing changed" in inv("lot-set", "L1", "--purity", "99.9999%").stdout
    lots = json.loads(inv("lots", "-f", "json").stdout)
    row = next(x for x in (lots["items"] if isinstance(lots, dict) else lots) if x["lot"] == "L1")
    assert (row["purity"], row["certificate"], str(row["acquired_on"])[:10]) == (
        "99.9999%", "AC-2024-117", "2024-05-02")  # fmt: skip
    assert row["material"] == "gallium" and row["unit"] == "kg"
    bad = inv("lot-set", "L9", "--purity", "x")
    assert bad.exit_code == 2 and "unknown lot 'L9'" in bad.stderr
    bad = inv("lot-set", "L1", "--origin-country", "XXX")
    assert bad.exit_code == 2 and "ISO 3166" in bad.stderr
    assert inv("lot-set", "L1").exit_code == 2  # nothing to set
