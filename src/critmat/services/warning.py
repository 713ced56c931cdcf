"""The early-warning index from the dataset: inputs, index, backtest and the event-rate
multipliers the simulator's stochastic generator takes (docs/methods.md 8.4-8.5)."""

from __future__ import annotations

import pandas as pd

from critmat.data.dataset import Dataset
from critmat.data.views import supply_by_country
from critmat.errors import CritmatError
from critmat.forecast.price_series import annual_prices
from critmat.forecast.warning import (
    DEFAULT_BETA,
    DEFAULT_WEIGHTS,
    SIGNALS,
    WarningInputs,
    backtest_index,
    fit_scaling,
    fit_weights,
    onsets,
    signals,
    warning_index,
)
from critmat.risk.concentration import exporter_hhi_panel
from critmat.services.context import resolve
from critmat.services.forecast_tables import warning_tables
from critmat.usecases.outcome import Outcome
from critmat.usecases.pages import WarningResult
from critmat.usecases.requests import WarningRequest

__all__ = [
    "WarningRequest",
    "WarningResult",
    "check_warning_request",
    "event_rate_multipliers",
    "run_warning",
    "warning_inputs",
    "warning_outcome",
    "warning_result",
]

#: Materials in the index by default: the seed list (events and supply data exist for them).
WARNING_MATERIALS = [
    "lithium",
    "nickel",
    "cobalt",
    "graphite",
    "manganese",
    "rare_earths",
    "neodymium",
    "dysprosium",
    "terbium",
    "palladium",
    "platinum",
    "silicon",
    "gallium",
    "germanium",
    "tungsten",
    "antimony",
    "vanadium",
    "niobium",
    "tantalum",
    "chromium",
    "indium",
    "tin",
    "magnesium",
]


def _events(ds: Dataset) -> pd.DataFrame:
    ev = ds.events
    parents = ev[ev["parent_event"].fillna("") == ""].copy()
    parents["year"] = parents["start"].astype(str).str[:4].astype(int)
    parents["materials"] = parents["materials"].astype(str).str.split(";")
    return parents[["event_id", "materials", "actor", "event_type", "year"]].reset_index(drop=True)


def _hazard(ds: Dataset) -> pd.DataFrame:
    h = ds.table("hazards")
    latest = h.sort_values("year").groupby(["country", "indicator"])["value"].last().unstack()
    scale = {
        "inform_drought": 10.0,
        "inform_river_flood": 10.0,
        "aqueduct_drr": 4.0,
        "ndgain_vulnerability": 1.0,
    }
    parts = [latest[k] / v for k, v in scale.items() if k in latest]
    hazard = pd.concat(parts, axis=1).mean(axis=1)
    water = pd.concat(
        [
            latest.get("aqueduct_bws", pd.Series(dtype=float)) / 4.0,
            latest.get("inform_drought", pd.Series(dtype=float)) / 10.0,
        ],
        axis=1,
    ).mean(axis=1)
    return pd.DataFrame(
        {
            "country": hazard.index,
            "hazard": hazard.to_numpy(),
            "water": water.reindex(hazard.index).to_numpy(),
        }
    )


def warning_inputs(ds: Dataset, materials: list[str]) -> tuple[object, list[str]]:
    """The index's raw data from the dataset, and notes on what is missing."""

    notes: list[str] = []
    prices, supply = [], []
    for m in materials:
        a, _label, _unit = annual_prices(ds, m)
        if len(a):
            prices.append(
                pd.DataFrame(
                    {"material": m, "year": a.index.astype(int), "price": a.to_numpy(float)}
                )
            )
        else:
            notes.append(f"{m}: no price series (price signals neutral)")
        try:
            t = supply_by_country(ds, m)
        except Exception:
            notes.append(f"{m}: not assessed (no supply shares)")
            continue
        r = t.rows[~t.rows["country"].isin(["WLD", "ROW", "OTH"])]
        supply.append(
            pd.DataFrame(
                {"material": m, "country": r["country"], "share": r["share"].astype(float)}
            )
        )
    gov = ds.governance
    inputs = WarningInputs(
        prices=pd.concat(prices, ignore_index=True)
        if prices
        else pd.DataFrame(columns=["material", "year", "price"]),
        supply=pd.concat(supply, ignore_index=True),
        hhi=exporter_hhi_panel(ds.trade, materials),
        governance=pd.DataFrame(
            {"country": gov["country"], "year": gov["year"], "pv": gov["value"]}
        ),
        events=_events(ds),
        hazard=_hazard(ds),
    )
    return inputs, notes


def run_warning(ds: Dataset, req: WarningRequest) -> WarningResult:
    """Signals, index and multiplier per material and year; the backtest against the events."""

    asked = resolve(ds, materials=req.materials or None).materials
    # the scaling is fitted on the whole panel, so a material's index does not depend on which
    # other materials are asked for
    mats = list(dict.fromkeys(WARNING_MATERIALS + asked))
    inp, notes = warning_inputs(ds, mats)
    assert isinstance(inp, WarningInputs)
    years = list(range(req.first_year, req.last_year + 1))
    raw = signals(inp, years)
    hist = raw[raw["year"] <= 2025]
    scaling = fit_scaling(hist)
    z = scaling.apply(hist)
    fitted = fit_weights(z, onsets(inp.events, z))
    weights = {**DEFAULT_WEIGHTS, **req.weights}
    beta = DEFAULT_BETA
    if req.fitted:
        weights = {s: fitted[s] for s in SIGNALS}
        beta = fitted["beta"]
    idx = warning_index(raw, scaling, weights, beta)
    if asked:
        idx = idx[idx["material"].isin(asked)].reset_index(drop=True)
        raw = raw[raw["material"].isin(asked)].reset_index(drop=True)
    known = int(inp.events["year"].max()) if len(inp.events) else None
    per_event, alarms = backtest_index(idx, inp.events, threshold=req.threshold,
                                       known_until=known)  # fmt: skip
    wt = pd.DataFrame(
        {
            "signal": list(SIGNALS),
            "default": [DEFAULT_WEIGHTS[s] for s in SIGNALS],
            "fitted": [fitted[s] for s in SIGNALS],
            "used": [weights[s] for s in SIGNALS],
        }
    )
    wt = pd.concat(
        [
            wt,
            pd.DataFrame(
                {
                    "signal": ["beta"],
                    "default": [DEFAULT_BETA],
                    "fitted": [fitted["beta"]],
                    "used": [beta],
                }
            ),
        ],
        ignore_index=True,
    )
    last = int(idx["year"].max())
    current = idx[idx["year"] == last][["material", "year", "index", "multiplier"]]
    if asked:
        notes = [n for n in notes if n.split(":")[0] in asked]
    notes.append(
        "restriction counts start with the events table (2010); the concentration signal starts "
        "with the trade extract (2015, so from 2019); supply weights are the latest year's shares "
        "for every year (a mild look-ahead, documented)"
    )
    return WarningResult(idx, raw, per_event, alarms, wt, current.reset_index(drop=True), notes)


def event_rate_multipliers(ds: Dataset, materials: list[str], year: int) -> dict[str, float]:
    """The multiplier on each material's disruption rates in ``year`` (default weights)."""
    res = run_warning(ds, WarningRequest(materials=materials, last_year=max(year, 2000)))
    cur = res.index[res.index["year"] == year]
    return {str(m): float(v) for m, v in zip(cur["material"], cur["multiplier"], strict=True)}


def check_warning_request(ds: Dataset, req: WarningRequest) -> None:
    """Unknown materials and a reversed year range are refused before the job is queued."""
    if req.first_year >= req.last_year:
        raise CritmatError(f"first_year {req.first_year} must be before last_year {req.last_year}")
    resolve(ds, materials=req.materials or None)


def warning_outcome(ds: Dataset, req: WarningRequest, progress: object = None) -> Outcome:
    """The registry's runner: :func:`run_warning`, then :func:`warning_result`."""
    return warning_result(run_warning(ds, req))


def warning_result(res: WarningResult) -> Outcome:
    """The early-warning index and its backtest as every face shows them."""
    tables, readme = warning_tables(res)
    return Outcome(tables, readme, list(res.notes), main="current")
