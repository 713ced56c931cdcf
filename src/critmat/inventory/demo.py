"""A SYNTHETIC demo agency: three facilities, a year of movements and sensor readings.

Everything here is invented (fixed seed, documented below) to show the inventory features; no
figure is real. Facility codes start with ``SYN-``; sensor files are named ``synthetic-*.csv``.

- 3 facilities, 6 zones; 7 lots (cobalt, lithium carbonate, graphite, rare-earth oxide, gallium,
  tungsten concentrate, palladium) bought over 2017-2025;
- 2025: monthly receipts, quarterly transfers between facilities (one lost at sea), releases, a
  rotation sale and a stocktake adjustment;
- sensor readings every 6 hours for every zone (temperature, humidity) with a 3-day dehumidifier
  failure in SYN-PORT/B in July and a cooling fault in SYN-NORTH/COLD in August;
- climate equipment per facility and one insurance policy each (one facility under-insured).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from critmat.inventory.checks import InventoryError
from critmat.inventory.ledger import Ledger
from critmat.inventory.maintenance import add_equipment
from critmat.inventory.models import Facility, LedgerEntry, Lot
from critmat.inventory.monitoring import ingest
from critmat.inventory.valuation import add_policy
from critmat.streams import Streams

__all__ = ["seed_demo"]

FACILITIES = {
    "SYN-NORTH": ("SYNTHETIC North depot", ["A", "B", "COLD"], True),
    "SYN-PORT": ("SYNTHETIC Port store", ["A", "B"], False),
    "SYN-INLAND": ("SYNTHETIC Inland vault", ["A"], True),
}
LOTS = [  # code, material, unit, form, acquired, cost USD, first zone, quantity
    ("SYN-CO-17", "cobalt", "t", "cathode", dt.date(2017, 5, 2), 2.9e6, "SYN-NORTH/A", 60),
    (
        "SYN-LI-20",
        "lithium",
        "t",
        "lithium carbonate",
        dt.date(2020, 3, 9),
        1.1e6,
        "SYN-PORT/A",
        120,
    ),
    ("SYN-GR-22", "graphite", "t", "natural flake", dt.date(2022, 8, 1), 0.4e6, "SYN-PORT/B", 300),
    (
        "SYN-RE-23",
        "rare_earths",
        "t",
        "NdPr oxide",
        dt.date(2023, 1, 16),
        2.2e6,
        "SYN-INLAND/A",
        25,
    ),
    ("SYN-GA-24", "gallium", "kg", "metal 4N", dt.date(2024, 6, 3), 0.3e6, "SYN-NORTH/COLD", 800),
    ("SYN-W-21", "tungsten", "t", "concentrate", dt.date(2021, 11, 20), 0.9e6, "SYN-INLAND/A", 40),
    ("SYN-PD-25", "palladium", "kg", "sponge", dt.date(2025, 2, 14), 4.0e6, "SYN-INLAND/A", 120),
]


def seed_demo(led: Ledger, seed: int = 7, year: int = 2025) -> dict[str, int]:
    """Fill an empty inventory database with the synthetic agency; returns counts. A database
    that holds any facility, lot or movement is refused: the demo never mixes with real data.

    All or nothing: every write joins one database transaction (the ledger runs on one
    connection whose transaction commits at the end), so a demo interrupted or killed at any
    point leaves the database as it was, and a re-run starts afresh."""
    with led.engine.connect() as conn, conn.begin():
        one = Ledger(conn, key=led.key, user=led.user)  # type: ignore[arg-type]
        return _build(one, seed, year)


def _build(led: Ledger, seed: int, year: int) -> dict[str, int]:
    """The demo's writes on ``led`` (whose engine is the demo's one connection)."""
    _refuse_non_empty(led)
    rng = Streams(seed).generator("inventory_demo")
    for code, (name, zones, climate) in FACILITIES.items():
        led.add_facility(code, name, zones, location="synthetic", climate_controlled=climate)
    moves = 0
    for code, mat, unit, form, acquired, cost, zone, qty in LOTS:
        led.add_lot(
            code,
            mat,
            unit,
            form=form,
            acquired_on=acquired,
            cost_usd=cost,
            supplier="SYNTHETIC supplier",
        )
        moves += len(led.receive(code, zone, qty, unit, key=f"{code}-initial"))
    for month in range(1, 13):
        code, _mat, unit, _f, _a, _c, zone, qty = LOTS[int(rng.integers(len(LOTS)))]
        add = round(float(qty) * float(rng.uniform(0.02, 0.08)), 3)
        moves += len(led.receive(code, zone, add, unit, key=f"{code}-{year}-{month:02d}"))
        if month % 3 == 0:
            t = f"SYN-T-{year}-{month:02d}"
            led.dispatch(
                "SYN-CO-17",
                "SYN-NORTH/A",
                5,
                "t",
                transfer=t,
                carrier="SYNTHETIC Rail",
                route="North-Inland",
                seal=f"SEAL-{month:02d}",
                key=f"{t}-out",
            )
            if month == 9:
                moves += 2 + len(led.lost(t, "container lost at sea (synthetic)", key=f"{t}-lost"))
            else:
                moves += 2 + len(led.arrive(t, "SYN-INLAND/A", key=f"{t}-in"))
    moves += len(
        led.release(
            "SYN-LI-20", "SYN-PORT/A", 10, "t", "emergency release (synthetic)", key="rel-1"
        )
    )
    moves += len(
        led.adjust("SYN-GR-22", "SYN-PORT/B", -0.8, "t", "stocktake difference", key="adj-1")
    )
    readings = _sensors(led, rng, year)
    _equipment_and_policies(led, rng, year)
    return {"movements": moves, "readings": readings}


def _refuse_non_empty(led: Ledger) -> None:
    """The demo builds only into a new, empty database."""
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    with Session(led.engine) as s:
        held = {
            t.__tablename__: int(s.scalar(select(func.count()).select_from(t)) or 0)
            for t in (Facility, Lot, LedgerEntry)
        }
    if any(held.values()):
        raise InventoryError(
            "the demo builds only into a new, empty database; this one holds "
            + ", ".join(f"{n} {k} rows" for k, n in held.items() if n)
        )


def _equipment_and_policies(led: Ledger, rng: np.random.Generator, year: int) -> None:
    """Climate equipment per facility (random run hours) and the insurance policies."""
    for fac in FACILITIES:
        add_equipment(
            led,
            f"{fac}-DH1",
            fac,
            "dehumidifier",
            dt.date(2019, 1, 1),
            dt.date(year, 1, 15),
            float(rng.uniform(3000, 9000)),
            20.0,
        )
        add_equipment(
            led,
            f"{fac}-HVAC",
            fac,
            "hvac",
            dt.date(2018, 1, 1),
            dt.date(year, 3, 1),
            float(rng.uniform(5000, 15000)),
            24.0,
        )
    add_policy(led, "SYN-POL-NORTH", "SYN-NORTH", 5e6, dt.date(year + 1, 12, 31))
    add_policy(led, "SYN-POL-PORT", "SYN-PORT", 1e6, dt.date(year + 1, 12, 31))
    add_policy(led, "SYN-POL-INLAND", "SYN-INLAND", 2e7, dt.date(year + 1, 12, 31))
    add_policy(led, "SYN-POL-TRANSIT", None, 5e5, dt.date(year + 1, 12, 31))


def _sensors(led: Ledger, rng: np.random.Generator, year: int) -> int:
    t = pd.date_range(f"{year}-01-01", f"{year}-12-31 18:00", freq="6h", tz="UTC")
    day = t.day_of_year.to_numpy()
    season = np.sin(2 * np.pi * (day - 100) / 365)
    frames = []
    for fac, (_n, zones, climate) in FACILITIES.items():
        for z in zones:
            temp = (18 if climate else 16) + (2 if climate else 9) * season
            temp = temp + rng.normal(0, 0.4, t.size)
            rh = (40 if climate else 48) + 6 * season + rng.normal(0, 1.5, t.size)
            if z == "COLD":
                temp = 4 + rng.normal(0, 0.3, t.size)
                temp[(t.month == 8) & (t.day >= 10) & (t.day < 12)] = 31.0  # cooling fault
            if fac == "SYN-PORT" and z == "B":
                rh[(t.month == 7) & (t.day >= 3) & (t.day < 6)] = 88.0  # dehumidifier failure
            for metric, v in (("temperature_c", temp), ("rh_pct", rh)):
                frames.append(
                    pd.DataFrame(
                        {
                            "zone": f"{fac}/{z}",
                            "timestamp": [x.isoformat() for x in t],
                            "metric": metric,
                            "value": np.round(v, 2),
                        }
                    )
                )
    df = pd.concat(frames, ignore_index=True)
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / f"synthetic-sensors-{year}.csv"
        df.to_csv(p, index=False)
        return ingest(led, p).readings
