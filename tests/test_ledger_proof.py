"""A ledger whose history can be proven: exact quantities, exact idempotency, transfers closed
exactly once, entries that hash their meaning, a MACed head, re-derived balances and anchors.
SQLite and PostgreSQL."""

from __future__ import annotations

import json
import multiprocessing as mp
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from critmat.cli.main import app
from critmat.database import make_engine
from critmat.inventory.chain import entry_fields, entry_hash
from critmat.inventory.checks import InventoryError
from critmat.inventory.ledger import Ledger
from critmat.inventory.migrate import migrate
from critmat.inventory.models import LedgerEntry, LedgerHead
from tests.inventory_helpers import arrive_child

KEY = b"k" * 32


def fresh(url: str, key: bytes | None = KEY) -> Ledger:
    migrate(url)
    led = Ledger(make_engine(url), key=key, user="tester")
    led.add_facility("F", "Depot", ["A", "B"])
    led.add_lot("LOT", "cobalt", "t")
    led.add_lot("GA", "gallium", "kg")
    return led


def test_quantities_are_exact_and_bounded(url: str) -> None:
    led = fresh(url)
    led.receive("LOT", "F/A", "123456789012.123456", "t")
    led.receive("GA", "F/A", "0.000001", "kg")  # type: ignore[arg-type]
    b = led.balances().set_index("lot")["quantity"]
    assert b["LOT"] == Decimal("123456789012.123456") and b["GA"] == Decimal("0.000001")
    assert led.verify().ok
    for bad in ("nan", "inf", "-inf", "1e25", "12345678901234.123456", "abc"):
        with pytest.raises(InventoryError):
            led.receive("LOT", "F/A", bad, "t")  # type: ignore[arg-type]
    assert led.verify().checked == 2


def test_idempotency_keys_match_exactly_and_refuse_another_payload(url: str) -> None:
    led = fresh(url)
    first = led.receive("LOT", "F/A", 10, "t", key="po-1")
    assert led.receive("LOT", "F/A", 10, "t", key="po-1") == first  # a retry
    for other in ("po-_", "po-%", "PO-1", "po-1#0"):  # patterns and case are not the key
        assert led.receive("LOT", "F/A", 1, "t", key=other) != first
    with pytest.raises(InventoryError, match="already used for another request") as err:
        led.receive("LOT", "F/A", 11, "t", key="po-1")
    assert "10" in str(err.value) and "11" in str(err.value)
    with pytest.raises(InventoryError, match="already used"):
        led.release("LOT", "F/A", 10, "t", "x", key="po-1")
    b = led.balances().set_index("lot")["quantity"]
    assert b["LOT"] == 14  # 10 + 4 x 1, nothing lost, nothing doubled


def test_a_transfer_closes_exactly_once(url: str) -> None:
    led = fresh(url)
    led.receive("LOT", "F/A", 50, "t")
    led.dispatch("LOT", "F/A", 20, "t", transfer="T1", carrier="c", route="r", seal="s")
    with pytest.raises(InventoryError, match="used already"):
        led.dispatch("LOT", "F/A", 5, "t", transfer="T1", carrier="c", route="r", seal="s")
    led.arrive("T1", "F/B")
    with pytest.raises(InventoryError, match="arrived or was lost already"):
        led.arrive("T1", "F/B")
    with pytest.raises(InventoryError, match="arrived or was lost already"):
        led.lost("T1", "sank")
    with pytest.raises(InventoryError, match="no such transfer"):
        led.arrive("T9", "F/B")
    assert led.verify().ok


@pytest.mark.slow
def test_eight_processes_close_one_transfer_once(url: str) -> None:
    led = fresh(url)
    led.receive("LOT", "F/A", 100, "t")
    ctx = mp.get_context("spawn")
    for t in ("T1", "T2"):
        led.dispatch("LOT", "F/A", 10, "t", transfer=t, carrier="c", route="r", seal="s")
    q = ctx.Queue()
    procs = [
        ctx.Process(target=arrive_child, args=(url, "T1", "F/B" if i % 2 else "", q))
        for i in range(8)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    results = sorted(q.get(timeout=10) for _ in procs)
    assert results.count("booked") == 1 and results.count("refused") == 7
    led.arrive("T2", "F/B")  # the other transfer's quantity was not borrowed
    rep = led.verify()
    assert rep.ok, rep.reason
    b = led.balances().set_index("location")["quantity"]
    assert "in transit" not in b.index and sum(b) in (Decimal(90), Decimal(100))


def _recompute_chain(url: str, edit: str) -> None:
    """An insider without the key: edit rows, then recompute every hash and the head."""
    eng = make_engine(url)
    with eng.begin() as c:
        c.execute(text(edit))
    with Session(eng) as s, s.begin():
        entries = s.query(LedgerEntry).order_by(LedgerEntry.seq).all()
        prev = "0" * 64
        from critmat.inventory.proof import _context

        for e in entries:
            e.prev_hash = prev
            e.hash = entry_hash(prev, entry_fields(e, _context(s, e)))
            prev = e.hash
        head = s.get(LedgerHead, 1)
        assert head is not None
        head.hash, head.seq = prev, len(entries)


def test_recomputing_the_chain_without_the_key_fails(url: str) -> None:
    led = fresh(url)
    led.receive("LOT", "F/A", 10, "t")
    led.receive("LOT", "F/A", 5, "t")
    _recompute_chain(url, "UPDATE ledger SET quantity = quantity * 2 WHERE seq = 1")
    rep = led.verify()
    assert not rep.ok and "MAC" in rep.reason
    assert Ledger(led.engine).verify().ok  # without the key the forgery is consistent ...
    assert not Ledger(led.engine).verify().signed  # ... and the report says it proves less


def test_a_forged_history_with_a_negative_balance_fails_even_without_the_key(url: str) -> None:
    led = fresh(url, key=None)
    led.receive("LOT", "F/A", 10, "t")
    led.release("LOT", "F/A", 4, "t", "draw")
    _recompute_chain(url, "UPDATE ledger SET quantity = -40000000 WHERE seq = 2")
    rep = Ledger(led.engine).verify()
    assert not rep.ok and "negative" in rep.reason and rep.first_bad_seq == 2


@pytest.mark.parametrize(
    "edit",
    [
        "UPDATE lot SET unit = 't' WHERE code = 'GA'",
        "UPDATE lot SET material = 'nickel' WHERE code = 'LOT'",
        "UPDATE lot SET code = 'LOT2' WHERE code = 'LOT'",
        "UPDATE zone SET code = 'Z' WHERE code = 'A'",
        "UPDATE facility SET code = 'H' WHERE code = 'F'",
    ],
)
def test_editing_what_an_entry_means_is_detected(url: str, edit: str) -> None:
    led = fresh(url)
    led.receive("LOT", "F/A", 10, "t")
    led.receive("GA", "F/A", 800, "kg")
    with led.engine.begin() as c:
        c.execute(text(edit))
    rep = led.verify()
    assert not rep.ok and "hash" in rep.reason


def test_anchor_detects_a_rollback_of_the_newest_entries(url: str, tmp_path: Path) -> None:
    led = fresh(url)
    led.receive("LOT", "F/A", 10, "t")
    with Session(led.engine) as s:
        old = s.get(LedgerHead, 1)
        assert old is not None
        saved = (old.seq, old.hash, old.mac)  # an insider keeps an old, validly signed head
    led.receive("LOT", "F/A", 5, "t")
    anchor = led.export_anchor()
    assert anchor["seq"] == 2 and anchor["signed"]
    with led.engine.begin() as c:  # delete the newest entry and roll the head back
        c.execute(text("DELETE FROM ledger WHERE seq = 2"))
        c.execute(
            text("UPDATE ledger_head SET seq = :s, hash = :h, mac = :m WHERE id = 1"),
            {"s": saved[0], "h": saved[1], "m": saved[2]},
        )
    assert led.verify().ok  # the rollback alone is consistent and signed ...
    rep = led.verify(anchor)
    assert not rep.ok and "removed" in rep.reason  # ... the anchor proves it


def test_upgrade_from_revision_0004_keeps_history_exact(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/old.db"
    migrate(url, "0004")
    eng = make_engine(url)
    with eng.begin() as c:  # an old database: NUMERIC quantities, version-1 hashes
        c.execute(
            text(
                "INSERT INTO facility (id, code, name, location, climate_controlled, "
                "capacity_t, security_level) VALUES (1, 'F', 'D', '', 0, 12.5, 's')"
            )
        )
        c.execute(
            text("INSERT INTO zone (id, facility_id, code, conditions) VALUES (1, 1, 'A', '')")
        )
        c.execute(
            text(
                "INSERT INTO lot (id, code, material, form, purity, unit, packaging, "
                "origin_country, supplier, cost_usd, certificate) VALUES "
                "(1, 'LOT', 'cobalt', '', '', 't', '', '', '', 1234.56, '')"
            )
        )
    from critmat.inventory.chain import entry_fields_v1

    class Old:  # the fields of a version-1 entry
        seq, created_at, kind, lot_id, zone_id = 1, "2025-01-01T00:00:00+00:00", "receipt", 1, 1
        quantity, unit, reason, transfer, carrier, route, seal, batch = (
            Decimal("7.250000"),
            "t",
            "",
            "",
            "",
            "",
            "",
            "",
        )
        idempotency_key = None

    h = entry_hash("0" * 64, entry_fields_v1(Old))  # type: ignore[arg-type]
    with eng.begin() as c:
        c.execute(
            text(
                "INSERT INTO ledger (seq, created_at, kind, lot_id, zone_id, quantity, "
                "unit, reason, transfer, carrier, route, seal, batch, prev_hash, hash) "
                "VALUES (1, '2025-01-01T00:00:00+00:00', 'receipt', 1, 1, 7.25, 't', '', "
                "'', '', '', '', '', :p, :h)"
            ),
            {"p": "0" * 64, "h": h},
        )
        c.execute(text("UPDATE ledger_head SET seq = 1, hash = :h WHERE id = 1"), {"h": h})
    eng.dispose()
    migrate(url)
    led = Ledger(make_engine(url))
    assert led.verify().ok
    led.receive("LOT", "F/A", "0.000001", "t")  # type: ignore[arg-type]
    assert led.balances()["quantity"].sum() == Decimal("7.250001")
    assert led.verify().ok
    assert led.verify().checked == 2


def test_reads_never_create_a_database_and_demo_never_mixes(tmp_path: Path) -> None:
    missing = tmp_path / "typo.db"
    r = CliRunner().invoke(app, ["inventory", "balance", "--db", f"sqlite:///{missing}"])
    assert r.exit_code == 2 and "no inventory database" in r.stderr and not missing.exists()
    r = CliRunner().invoke(app, ["inventory", "balance", "--db", "garbage"])
    assert r.exit_code == 2 and "not a database URL" in r.stderr
    db = f"sqlite:///{tmp_path}/real.db"
    assert CliRunner().invoke(app, ["inventory", "init", "--db", db]).exit_code == 0
    CliRunner().invoke(app, ["inventory", "facility", "H", "Home", "-z", "A", "--db", db])
    r = CliRunner().invoke(app, ["inventory", "demo", "--db", db])
    assert r.exit_code == 2 and "new, empty database" in r.stderr


def test_cli_sign_verify_export_and_anchor(tmp_path: Path) -> None:
    keyfile = tmp_path / "ledger.key"
    keyfile.write_text("0123456789abcdef0123456789abcdef\n")
    env = {"CRITMAT_LEDGER_KEY_FILE": str(keyfile)}
    db = f"sqlite:///{tmp_path}/k.db"
    run = CliRunner().invoke
    assert run(app, ["inventory", "init", "--db", db], env=env).exit_code == 0
    run(app, ["inventory", "facility", "F", "Depot", "-z", "A", "--db", db], env=env)
    run(app, ["inventory", "lot", "L1", "cobalt", "--db", db], env=env)
    r = run(app, ["inventory", "receive", "L1", "F/A", "5", "--db", db], env=env)
    assert r.exit_code == 0, r.stderr
    anchor = tmp_path / "anchor.json"
    r = run(app, ["inventory", "verify", "--db", db, "--export", str(anchor)], env=env)
    assert r.exit_code == 0 and "head signed" in r.stdout and anchor.exists()
    r = run(app, ["inventory", "verify", "--db", db, "--anchor", str(anchor)], env=env)
    assert r.exit_code == 0 and "anchor matched" in r.stdout
    # rotation: a new key signs after the old key's MAC is checked
    new = tmp_path / "new.key"
    new.write_text("fedcba9876543210fedcba9876543210\n")
    env2 = {"CRITMAT_LEDGER_KEY_FILE": str(new)}
    assert run(app, ["inventory", "verify", "--db", db], env=env2).exit_code == 1
    r = run(app, ["inventory", "sign", "--db", db, "--old-key-file", str(keyfile)], env=env2)
    assert r.exit_code == 0, r.stderr
    assert run(app, ["inventory", "verify", "--db", db], env=env2).exit_code == 0


def test_the_readme_order_a_ledger_written_before_the_key_then_signed(tmp_path: Path) -> None:
    """README steps 7 then 9: bookings without a key, then a key: `verify` says NOT YET SIGNED
    (exit 1, what to run, never BROKEN), `sign` signs it, `verify` proves it intact and signed."""
    db = f"sqlite:///{tmp_path}/r.db"
    run = CliRunner().invoke
    assert run(app, ["inventory", "init", "--db", db], env={}).exit_code == 0
    run(app, ["inventory", "facility", "N", "Depot", "-z", "A", "--db", db], env={})
    run(app, ["inventory", "lot", "CO-1", "cobalt", "--db", db], env={})
    assert run(app, ["inventory", "receive", "CO-1", "N/A", "100", "--db", db]).exit_code == 0
    keyfile = tmp_path / "ledger.key"
    keyfile.write_text("0123456789abcdef0123456789abcdef\n")
    env = {"CRITMAT_LEDGER_KEY_FILE": str(keyfile)}
    r = run(app, ["inventory", "verify", "--db", db], env=env)
    assert r.exit_code == 1
    assert "NOT YET SIGNED" in r.stdout and "critmat inventory sign" in r.stdout
    assert "BROKEN" not in r.stdout and "None" not in r.stdout
    r = run(app, ["inventory", "verify", "--db", db, "-f", "json"], env=env)
    assert json.loads(r.stdout)["state"] == "unsigned"
    assert run(app, ["inventory", "sign", "--db", db], env=env).exit_code == 0
    r = run(app, ["inventory", "verify", "--db", db], env=env)
    assert r.exit_code == 0 and "chain intact" in r.stdout and "head signed" in r.stdout
