"""The ledger on SQLite and PostgreSQL: conservation, negatives, idempotency, tampering,
concurrency, crashes, bad input, and a stateful property test."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
from decimal import Decimal

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from sqlalchemy import text

from critmat.database import make_engine
from critmat.inventory.checks import InventoryError
from critmat.inventory.ledger import Ledger
from critmat.inventory.migrate import migrate
from tests.inventory_helpers import crash_child, worker


def fresh(url: str) -> Ledger:
    migrate(url)
    led = Ledger(make_engine(url))
    led.add_facility("F", "Depot", ["A", "B"])
    led.add_facility("G", "Port store", ["A"])
    led.add_lot("LOT", "cobalt", "t", form="cathode", cost_usd=1_000_000)
    return led


def total(led: Ledger) -> Decimal:
    return sum(led.balances()["quantity"], Decimal(0))


def test_receive_transfer_arrive_release_conserve(url: str) -> None:
    led = fresh(url)
    led.receive("LOT", "F/A", 100, "t")
    led.dispatch("LOT", "F/A", 40, "t", transfer="T1", carrier="Rail Co", route="F-G", seal="S9")
    b = led.balances().set_index("location")["quantity"]
    assert b["F/A"] == 60 and b["in transit"] == 40 and total(led) == 100
    led.arrive("T1", "G/A")
    led.release("LOT", "G/A", 15000, "kg", "emergency release")  # converted to t
    b = led.balances().set_index("location")["quantity"]
    assert b["G/A"] == 25 and "in transit" not in b and total(led) == 85
    assert led.verify().ok


def test_loss_in_transit_is_booked(url: str) -> None:
    led = fresh(url)
    led.receive("LOT", "F/A", 10, "t")
    led.dispatch("LOT", "F/A", 4, "t", transfer="T2", carrier="X", route="sea", seal="S1")
    with pytest.raises(InventoryError, match="needs a reason"):
        led.lost("T2", "")
    led.lost("T2", "container overboard")
    assert total(led) == 6 and led.verify().ok


def test_no_negative_balance_and_nothing_half_written(url: str) -> None:
    led = fresh(url)
    led.receive("LOT", "F/A", 5, "t")
    with pytest.raises(InventoryError, match=r"F/A: balance 5\.000000 would become -1\.000000"):
        led.release("LOT", "F/A", 6, "t", "too much")
    with pytest.raises(InventoryError, match="nothing in transit"):
        led.arrive("T-none", "F/B")
    assert total(led) == 5 and led.verify().checked == 1


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda led: led.receive("NOPE", "F/A", 1, "t"), "unknown lot"),
        (lambda led: led.receive("LOT", "F/Z", 1, "t"), "unknown zone 'F/Z'; known: F/A"),
        (lambda led: led.receive("LOT", "F/A", -1, "t"), "must be positive"),
        (lambda led: led.receive("LOT", "F/A", 0, "t"), "must be positive"),
        (lambda led: led.adjust("LOT", "F/A", 0, "t", "count"), "must not be zero"),
        (lambda led: led.release("LOT", "F/A", -3, "t", "draw"), "must be positive"),
        (lambda led: led.receive("LOT", "F/A", 1, "USD"), "kept in t"),
        (lambda led: led.adjust("LOT", "F/A", 1, "t", ""), "needs a reason"),
        (lambda led: led.add_lot("X", "cobalt", "barrels"), "not a mass unit"),
        (lambda led: led.add_lot("LOT", "cobalt", "t"), "exists already"),
    ],
)
def test_bad_input_is_refused_and_writes_nothing(url: str, call: object, match: str) -> None:
    led = fresh(url)
    with pytest.raises(InventoryError, match=match):
        call(led)  # type: ignore[operator]
    assert led.verify().checked == 0


def test_idempotency_key_books_once(url: str) -> None:
    led = fresh(url)
    first = led.receive("LOT", "F/A", 7, "t", key="order-42")
    again = led.receive("LOT", "F/A", 7, "t", key="order-42")
    assert first == again and total(led) == 7


@pytest.mark.parametrize("tamper", ["edit", "delete", "reorder", "truncate"])
def test_verify_names_the_first_bad_entry(url: str, tamper: str) -> None:
    led = fresh(url)
    for i in range(5):
        led.receive("LOT", "F/A", i + 1, "t")
    assert led.verify().ok
    with led.engine.begin() as c:
        if tamper == "edit":
            c.execute(text("UPDATE ledger SET quantity = 99 WHERE seq = 3"))
        elif tamper == "delete":
            c.execute(text("DELETE FROM ledger WHERE seq = 3"))
        elif tamper == "reorder":
            c.execute(text("UPDATE ledger SET seq = 100 WHERE seq = 2"))
            c.execute(text("UPDATE ledger SET seq = 2 WHERE seq = 4"))
            c.execute(text("UPDATE ledger SET seq = 4 WHERE seq = 100"))
        else:
            c.execute(text("DELETE FROM ledger WHERE seq = 5"))
    rep = led.verify()
    assert not rep.ok
    expected = {"edit": 3, "delete": 4, "reorder": 2, "truncate": 5}[tamper]
    assert rep.first_bad_seq == expected, rep


@pytest.mark.slow
def test_concurrent_writers_conserve_and_never_go_negative(url: str) -> None:
    led = fresh(url)
    led.receive("LOT", "F/A", 800, "t")
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    procs = [ctx.Process(target=worker, args=(url, 500, s, q)) for s in range(8)]
    for p in procs:
        p.start()
    results = [q.get(timeout=600) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    booked = sum(r[0] for r in results)
    drawn = sum(r[2] for r in results)
    assert booked + sum(r[1] for r in results) == 8 * 500
    rep = led.verify()
    assert rep.ok and rep.checked == 1 + booked  # no lost write, no double booking
    assert total(led) == 800 - Decimal(drawn)
    assert (led.balances()["quantity"] >= 0).all()


@pytest.mark.slow
def test_sigkill_mid_batch_leaves_all_or_nothing(url: str) -> None:
    led = fresh(url)
    led.receive("LOT", "F/A", 1, "t")
    ctx = mp.get_context("spawn")
    ready = ctx.Event()
    p = ctx.Process(target=crash_child, args=(url, ready))
    p.start()
    assert ready.wait(timeout=120)
    os.kill(p.pid, signal.SIGKILL)
    p.join(timeout=30)
    rep = led.verify()
    assert rep.ok and rep.checked in (1, 401)
    assert total(led) in (1, 401)


class LedgerMachine(RuleBasedStateMachine):
    """Random receipts, releases, transfers and adjustments keep every invariant."""

    def __init__(self) -> None:
        super().__init__()
        import tempfile

        self.dir = tempfile.mkdtemp()
        self.led = fresh(f"sqlite:///{self.dir}/m.db")
        self.expected = Decimal(0)
        self.n = 0

    @rule(q=st.integers(1, 50), zone=st.sampled_from(["F/A", "F/B", "G/A"]))
    def receive(self, q: int, zone: str) -> None:
        self.led.receive("LOT", zone, q, "t")
        self.expected += q

    @rule(q=st.integers(1, 60), zone=st.sampled_from(["F/A", "F/B", "G/A"]))
    def release(self, q: int, zone: str) -> None:
        try:
            self.led.release("LOT", zone, q, "t", "draw")
            self.expected -= q
        except InventoryError:
            pass

    @rule(q=st.integers(1, 30), src=st.sampled_from(["F/A", "G/A"]), dst=st.sampled_from(["F/B"]))
    def transfer(self, q: int, src: str, dst: str) -> None:
        self.n += 1
        try:
            self.led.dispatch(
                "LOT", src, q, "t", transfer=f"T{self.n}", carrier="c", route="r", seal="s"
            )
        except InventoryError:
            return
        self.led.arrive(f"T{self.n}", dst)

    @invariant()
    def conserved_and_non_negative(self) -> None:
        b = self.led.balances()
        assert sum(b["quantity"], Decimal(0)) == self.expected
        assert (b["quantity"] >= 0).all()

    def teardown(self) -> None:
        assert self.led.verify().ok


TestLedgerMachine = LedgerMachine.TestCase
TestLedgerMachine.settings = settings(max_examples=15, stateful_step_count=20, deadline=None)
TestLedgerMachine.pytestmark = [pytest.mark.slow]  # hypothesis state machine


def test_cli_inventory_round_trip(tmp_path: object) -> None:
    from typer.testing import CliRunner

    from critmat.cli.main import app

    db = f"sqlite:///{tmp_path}/cli.db"
    run = CliRunner().invoke

    def ok(*args: str) -> str:
        r = run(app, ["inventory", *args, "--db", db])
        assert r.exit_code == 0, r.stderr
        return r.stdout

    ok("init")
    ok("facility", "N", "North", "-z", "A", "-z", "B")
    ok("lot", "CO-1", "cobalt")
    assert "entries 1" in ok("receive", "CO-1", "N/A", "100", "--key", "k1")
    assert "entries 1" in ok("receive", "CO-1", "N/A", "100", "--key", "k1")
    ok("transfer", "CO-1", "N/A", "10", "T1", "Rail", "N-S", "S1")
    ok("arrive", "T1", "N/B")
    r = run(app, ["inventory", "release", "CO-1", "N/B", "50", "draw", "--db", db])
    assert r.exit_code == 2 and "would become -40" in r.stderr
    import json

    bal = json.loads(ok("balance", "-f", "json"))
    assert {(b["location"], b["quantity"]) for b in bal} == {("N/A", 90.0), ("N/B", 10.0)}
    assert "chain intact" in ok("verify")
