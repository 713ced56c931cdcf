"""Movement kinds are declared once (critmat.usecases.movements): the ledger books every kind
through one path, and the CLI commands and the API routes are generated from the declarations.
A kind declared here, in the test, appears in both and conserves stock."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from critmat.api.app import ApiConfig, create_app
from critmat.api.auth import add_user
from critmat.cli.main import app
from critmat.database import make_engine
from critmat.inventory.checks import InventoryError
from critmat.inventory.ledger import Ledger
from critmat.inventory.migrate import migrate
from critmat.usecases import movements as mv

KEY = b"m" * 32

#: a kind the product does not ship: a move between two zones, booked as one request
RELOCATION = mv.MovementKind(
    "relocation",
    "relocate",
    "relocations",
    "Move part of a lot from one zone to another (both legs in one transaction).",
    (mv.LOT, mv.ZONE, mv.Param("to_zone", "Destination FACILITY/ZONE.", 81, 1), mv.QUANTITY,
     mv.UNIT),
    (mv.Leg("zone", -1), mv.Leg("to_zone", +1)),
)  # fmt: skip


@pytest.fixture
def relocation() -> Iterator[mv.MovementKind]:
    mv.register(RELOCATION)
    try:
        yield RELOCATION
    finally:
        del mv.MOVEMENTS[RELOCATION.name]


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path}/inv.db"
    migrate(url)
    led = Ledger(make_engine(url))
    led.add_facility("F", "Depot", ["A", "B"])
    led.add_lot("L1", "gallium", "kg")
    led.receive("L1", "F/A", "10", "kg")
    return url


def _held(url: str) -> dict[str, Decimal]:
    b = Ledger(make_engine(url)).balances()
    return dict(zip(b["location"], b["quantity"], strict=True))


def test_a_kind_declared_once_is_a_command_and_a_route_and_conserves_stock(
    relocation: mv.MovementKind, db: str
) -> None:
    runner = CliRunner()
    r = runner.invoke(app, ["inventory", "--help"])
    assert "relocate" in r.output
    r = runner.invoke(app, ["inventory", "relocate", "L1", "F/A", "F/B", "4", "--unit", "kg",
                            "--db", db])  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "booked ledger entries" in r.output
    assert _held(db) == {"F/A": Decimal(6), "F/B": Decimal(4)}

    eng = make_engine(db)
    token = add_user(eng, "op", "operator")
    viewer = add_user(eng, "v", "viewer")
    pool = ThreadPoolExecutor(max_workers=1)
    api = create_app(ApiConfig(db, KEY, executor=pool))
    with TestClient(api, raise_server_exceptions=False) as c:
        assert "/api/v1/inventory/relocations" in c.get("/openapi.json").json()["paths"]
        body = {"lot": "L1", "zone": "F/B", "to_zone": "F/A", "quantity": "1.5", "unit": "kg",
                "key": "move-1"}  # fmt: skip

        def post(json: dict[str, str], who: str = token) -> Any:
            auth = {"Authorization": f"Bearer {who}"}
            return c.post("/api/v1/inventory/relocations", json=json, headers=auth)

        r = post(body)
        assert r.status_code == 201, r.text
        entries = r.json()["entries"]
        assert len(entries) == 2
        again = post(body)
        assert again.json()["entries"] == entries  # the idempotency key holds for a new kind
        r = post(body, viewer)
        assert r.status_code == 403  # the declared role
        r = post({**body, "colour": "red"})
        assert r.status_code == 422 and "colour" in r.text
    pool.shutdown()
    api.state.engine.dispose()
    assert _held(db) == {"F/A": Decimal("7.5"), "F/B": Decimal("2.5")}
    assert sum(_held(db).values()) == 10  # conserved
    assert Ledger(make_engine(db)).verify().ok
    # a move larger than the zone holds is refused whole (no leg booked)
    with pytest.raises(InventoryError, match="would become"):
        Ledger(make_engine(db)).book("relocation", lot="L1", zone="F/B", to_zone="F/A",
                                     quantity="3", unit="kg")  # fmt: skip
    assert _held(db) == {"F/A": Decimal("7.5"), "F/B": Decimal("2.5")}


def test_the_shipped_kinds_book_through_one_path(db: str) -> None:
    led = Ledger(make_engine(db))
    led.book("dispatch", lot="L1", zone="F/A", quantity="2", unit="kg", transfer="T1",
             carrier="rail", route="F-F", seal="S1")  # fmt: skip
    assert _held(db) == {"F/A": Decimal(8), "in transit": Decimal(2)}
    led.book("arrive", transfer="T1", zone="F/B")
    assert _held(db) == {"F/A": Decimal(8), "F/B": Decimal(2)}
    with pytest.raises(InventoryError, match="needs reason"):
        led.book("release", lot="L1", zone="F/A", quantity="1", unit="kg")
    with pytest.raises(InventoryError, match="takes lot, zone, quantity, unit; not colour"):
        led.book("receipt", lot="L1", zone="F/A", quantity="1", colour="red")
    with pytest.raises(InventoryError, match="unknown movement kind 'theft'"):
        led.book("theft", lot="L1")
    # conservation is a property of the declaration: legs whose signs sum to zero
    conserving = {k.name for k in mv.kinds() if len(k.legs) > 1}
    assert conserving == {"dispatch", "arrive"}
    assert all(sum(leg.sign for leg in mv.get(k).legs) == 0 for k in conserving)


def test_a_declaration_is_checked_when_registered() -> None:
    with pytest.raises(ValueError, match="declared already"):
        mv.register(mv.MovementKind("receipt", "x", "y", "dup", (mv.LOT,), ()))
    with pytest.raises(ValueError, match="no parameter"):
        mv.register(mv.MovementKind("odd", "odd", "odds", "?", (mv.LOT,), (mv.Leg("bay", 1),)))
