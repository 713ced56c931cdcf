"""The historical library: recorded disruptions (events table) as runnable scenarios.

Each scenario restates a recorded event in the model's terms. The calibration choices (severity,
duration, licensing lag, quota) are written next to the event and its source in
:data:`CALIBRATION`; they are critmat's reading of the recorded magnitudes, stated so they can be
argued with. Market events without a supply restriction (an exchange squeeze, a price cycle, a
sanctions scare) are listed but not runnable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from critmat.data.dataset import Dataset, UnknownChoiceError
from critmat.sim.market import Market, build_market
from critmat.sim.scenario import Scenario

__all__ = ["CALIBRATION", "LibraryEntry", "library", "restrict_to_market", "scenario_by_id"]

#: event_id -> (events in scenario terms, the calibration rationale)
CALIBRATION: dict[str, tuple[list[dict[str, Any]], str]] = {
    "REE-2010": (
        [
            {
                "type": "export_restriction",
                "country": "CHN",
                "material": m,
                "stage": "refining",
                "start": 0,
                "duration": 48,
                "severity": 0.4,
            }
            for m in ("rare_earths", "neodymium", "dysprosium")
        ]
        + [
            {
                "type": "embargo",
                "country": "CHN",
                "target": "JPN",
                "material": m,
                "start": 2,
                "duration": 2,
                "severity": 1.0,
            }
            for m in ("rare_earths", "neodymium", "dysprosium")
        ],
        "2010 export quota cut ~40% vs 2009 -> severity 0.4 for the quota years 2010-2014 "
        "(48 months); informal halt to Japan ~2 months from 2010-09 -> embargo on JPN.",
    ),
    "GAGE-2023": (
        [
            {
                "type": "export_restriction",
                "country": "CHN",
                "material": m,
                "stage": "refining",
                "start": 1,
                "duration": 36,
                "severity": 1.0,
                "licensing_lag_months": 2,
                "quota": 0.5,
                "frontrun_months": 1,
                "frontrun": 0.3,
            }
            for m in ("gallium", "germanium")
        ],
        "Announced 2023-07-03, effective 2023-08-01: one month of front-running, ~45 working "
        "days of licensing lag with exports stopped, then half of normal exports licensed "
        "(assumption); ongoing -> 36 months.",
    ),
    "GAGE-2024": (
        [
            {
                "type": "embargo",
                "country": "CHN",
                "target": "USA",
                "material": m,
                "start": 0,
                "duration": 24,
                "severity": 1.0,
            }
            for m in ("gallium", "germanium", "antimony")
        ],
        "Export ban to the United States from 2024-12-03; ongoing -> 24 months.",
    ),
    "GR-2023": (
        [
            {
                "type": "export_restriction",
                "country": "CHN",
                "material": "graphite",
                "stage": "refining",
                "start": 1,
                "duration": 24,
                "severity": 0.94,
                "licensing_lag_months": 1,
                "quota": 0.6,
                "frontrun_months": 1,
                "frontrun": 0.5,
            }
        ],
        "Licensing from 2023-12-01: flake exports -94% in the first month (recorded), surge the "
        "month before; partial recovery to 60% of normal afterwards (assumption); 24 months.",
    ),
    "NI-ID-2014": (
        [
            {
                "type": "export_restriction",
                "country": "IDN",
                "material": "nickel",
                "stage": "mining",
                "start": 0,
                "duration": 36,
                "severity": 1.0,
            }
        ],
        "Raw-ore export ban 2014-01-12 to its relaxation in 2017-01: 36 months, full ban.",
    ),
    "NI-ID-2020": (
        [
            {
                "type": "export_restriction",
                "country": "IDN",
                "material": "nickel",
                "stage": "mining",
                "start": 4,
                "duration": 56,
                "severity": 1.0,
                "frontrun_months": 4,
                "frontrun": 0.3,
            }
        ],
        "Announced 2019-09-02, effective 2020-01-01: four months of front-running, then a full "
        "ore ban for the rest of the horizon.",
    ),
    "SB-2024": (
        [
            {
                "type": "export_restriction",
                "country": "CHN",
                "material": "antimony",
                "stage": "refining",
                "start": 1,
                "duration": 24,
                "severity": 0.8,
                "licensing_lag_months": 2,
                "quota": 0.5,
            }
        ],
        "Licensing from 2024-09-15 (announced 2024-08-15): severity 0.8 and half of exports "
        "licensed after the lag are assumptions (magnitudes not recorded in the table).",
    ),
}


@dataclass
class LibraryEntry:
    """One recorded event and, if runnable, its scenario."""

    event_id: str
    event_type: str
    materials: str
    start: str
    status: str
    scenario: Scenario | None
    reason: str


def library(ds: Dataset) -> list[LibraryEntry]:
    """Every parent event of the events table, runnable or with the reason it is not."""
    ev = ds.events
    out = []
    for _, row in ev[ev["parent_event"] == ""].iterrows():
        eid = str(row["event_id"])
        if eid in CALIBRATION:
            events, why = CALIBRATION[eid]
            sc = Scenario.model_validate(
                {
                    "name": eid,
                    "description": f"{row['description']}. Calibration: {why}",
                    "events": events,
                    "source": f"events table {eid}: {row['source']} ({row['status']})",
                }
            )
            reason = ""
        else:
            sc = None
            reason = f"{row['event_type']}: no supply restriction to simulate"
        out.append(
            LibraryEntry(
                eid,
                str(row["event_type"]),
                str(row["materials"]),
                str(row["start"]),
                str(row["status"]),
                sc,
                reason,
            )
        )
    return out


def scenario_by_id(ds: Dataset, event_id: str) -> Scenario:
    """The runnable scenario of a recorded event (case-insensitive id)."""
    entries = {e.event_id.lower(): e for e in library(ds)}
    runnable = [e.event_id for e in entries.values() if e.scenario is not None]
    e = entries.get(event_id.lower())
    if e is None or e.scenario is None:
        raise UnknownChoiceError("runnable library scenario", event_id, runnable)
    return e.scenario


def restrict_to_market(scenario: Scenario, market: Market) -> tuple[Scenario, list[str]]:
    """Drop events on materials or countries outside the holder's market, saying which."""
    kept, dropped = [], []
    for ev in scenario.events:
        country = getattr(ev, "country", None)
        if ev.material not in market.materials:
            dropped.append(f"{ev.type} {ev.material}: material not in the {market.holder} market")
        elif country and country not in market.countries:
            dropped.append(f"{ev.type} {ev.material}: {country} not in the market")
        else:
            kept.append(ev)
    return scenario.model_copy(update={"events": kept}), dropped


def library_frame(ds: Dataset, holder: str | None = None, year: int = 2023) -> pd.DataFrame:
    """The library as a table for the CLI; with a holder, whether each scenario touches that
    holder's market (``runnable_for_holder``) and, if not, why."""
    frame = _library_table(ds)
    if holder is None:
        return frame

    market = build_market(ds, holder, year)
    ok, why = [], []
    for e in library(ds):
        if e.scenario is None:
            ok.append(False)
            why.append(e.reason)
            continue
        kept, dropped = restrict_to_market(e.scenario, market)
        ok.append(bool(kept.events))
        why.append("" if kept.events else "; ".join(dropped))
    return frame.assign(holder=market.holder, runnable_for_holder=ok, holder_note=why)


def _library_table(ds: Dataset) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "id": e.event_id,
                "type": e.event_type,
                "materials": e.materials,
                "start": e.start,
                "status": e.status,
                "runnable": e.scenario is not None,
                "events": len(e.scenario.events) if e.scenario else 0,
                "note": e.reason,
            }
            for e in library(ds)
        ]
    )
