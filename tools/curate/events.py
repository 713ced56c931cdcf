"""The historical disruption events table."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from tools.curate.common import status_of

EVENT_TYPES = {
    "REE-2010": "export_restriction",
    "GAGE-2023": "export_restriction",
    "GAGE-2024": "embargo",
    "GR-2023": "export_restriction",
    "NI-ID-2014": "export_restriction",
    "NI-ID-2020": "export_restriction",
    "NI-LME-2022": "market",
    "LI-BOOM-BUST": "demand_shock",
    "REE-2021-22": "market",
    "PD-2022": "sanctions_risk",
    "SB-2024": "export_restriction",
}
EVENT_MATERIALS = {
    "REE-2010": ["rare_earths", "dysprosium", "neodymium"],
    "REE-2010b": ["neodymium", "dysprosium"],
    "REE-2010c": ["rare_earths"],
    "REE-2010d": ["neodymium", "dysprosium"],
    "GAGE-2023": ["gallium", "germanium"],
    "GAGE-2023b": ["gallium", "germanium"],
    "GAGE-2024": ["gallium", "germanium", "antimony"],
    "GR-2023": ["graphite"],
    "NI-ID-2014": ["nickel"],
    "NI-ID-2020": ["nickel"],
    "NI-LME-2022": ["nickel"],
    "LI-BOOM-BUST": ["lithium"],
    "REE-2021-22": ["neodymium", "terbium", "dysprosium"],
    "PD-2022": ["palladium"],
    "SB-2024": ["antimony"],
}
EVENT_STAGE = {
    "separated oxides/metals": "refining",
    "metal": "refining",
    "exports": "trade",
    "metal/compounds": "refining",
    "anode material": "refining",
    "ore": "mining",
    "refined metal": "refining",
    "chemical": "refining",
    "oxide": "refining",
    "metal/oxide": "refining",
}
ACTORS = {
    "China": "CHN",
    "China (MOFCOM)": "CHN",
    "Indonesia": "IDN",
    "Russia (Nornickel) risk": "RUS",
}


def _first_date(text: str) -> str:
    m = re.search(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", str(text))
    if not m:
        return ""
    return "-".join(p for p in m.groups() if p)


def _first_pct(text: str) -> float | None:
    m = re.search(r"([+-])?\s*(\d[\d,]*(?:\.\d+)?)", str(text).replace("~", ""))
    if not m or not str(text).strip() or str(text) == "nan":
        return None
    v = float(m.group(2).replace(",", ""))
    return -v if m.group(1) == "-" else v


def events(raw: Path) -> pd.DataFrame:
    d = pd.read_csv(raw / "disruption_events.csv")
    parent = d.event_id.str.replace(r"[a-z]$", "", regex=True)
    ev_type = [
        EVENT_TYPES.get(e, EVENT_TYPES.get(p, "")) for e, p in zip(d.event_id, parent, strict=True)
    ]
    if "" in ev_type:
        raise SystemExit("curate: event without type")
    months = d.window.str.extract(r"(\d+)\s*months?")[0].astype(float)
    return pd.DataFrame(
        {
            "event_id": d.event_id.values,
            "parent_event": [p if p != e else "" for e, p in zip(d.event_id, parent, strict=True)],
            "materials": [";".join(EVENT_MATERIALS[e]) for e in d.event_id],
            "actor": d.actor.map(lambda a: ACTORS.get(a, "market")).values,
            "event_type": ev_type,
            "stage": d.stage.map(EVENT_STAGE).values,
            "start": d.date_start.map(_first_date).values,
            "end": d.date_end.map(lambda s: "" if "ongoing" in str(s) else _first_date(s)).values,
            "ongoing": d.date_end.str.contains("ongoing").values,
            "metric": d.metric.fillna("").values,
            "value_before": d.value_before.fillna("").astype(str).values,
            "value_after": d.value_after_or_peak.fillna("").astype(str).values,
            "change_pct": d.change_pct.map(_first_pct).values,
            "change_pct_text": d.change_pct.fillna("").astype(str).values,
            "window_months": months.values,
            "description": (d.event_type + "; " + d.supply_affected.fillna("")).values,
            "source": d.source.values,
            "status": d.status.map(
                lambda s: "unverified" if "unverified" in s else status_of(s)
            ).values,
            "notes": d.notes.fillna("").values,
        }
    )


#: the price reporters' material names -> critmat materials
_PRICE_MATERIALS = {
    "rare earths (Nd)": "neodymium",
    "rare earths (NdPr)": "neodymium",
}


def event_prices(raw: Path) -> pd.DataFrame:
    """Price points reported around recorded events (snapshots, not series), each with its
    market, date, unit and source; a printed range ``a-b`` keeps both ends."""
    p = pd.read_csv(raw / "event_prices_reported.csv", dtype=str, keep_default_na=False)
    lo, hi = [], []
    for v in p["value"]:
        parts = [x for x in re.split(r"(?<=\d)-(?=\d)", v.replace(",", "")) if x.strip()]
        nums = [float(x) for x in parts if re.fullmatch(r"\d+(\.\d+)?", x.strip())]
        lo.append(nums[0] if nums else float("nan"))
        hi.append(nums[-1] if nums else float("nan"))
    return pd.DataFrame(
        {
            "material": [_PRICE_MATERIALS.get(m, m) for m in p["material"]],
            "form": p["form"],
            "market": p["market"],
            "date": p["date"],
            "value_low": lo,
            "value_high": hi,
            "unit": p["unit"].replace("-", ""),
            "change_note": p["change_note"],
            "event": p["event"],
            "source": p["source"],
            "status": p["status"],
            "notes": "price assessments belong to the price reporters; quoted figures only",
        }
    )
