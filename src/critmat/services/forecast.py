"""Anticipate: demand projections, statistical forecasts and their backtests, from the dataset
(docs/forecast.md). The maths is in :mod:`critmat.forecast`; this module reads the tables, puts
quantities on their bases and returns tidy results for the CLI, the API and the plan."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from critmat.data.basis import basis_of, mass_to_basis
from critmat.data.dataset import Dataset, UnknownChoiceError
from critmat.data.units import UnitError, convert_mass
from critmat.data.yamlfile import load_yaml_text
from critmat.errors import CritmatError
from critmat.forecast import stats
from critmat.forecast.demand import Projection, project
from critmat.forecast.demand_backtest import backtest_demand, backtest_summary
from critmat.forecast.price_series import price_series_catalogue
from critmat.forecast.scenario_spec import DemandScenario, load_scenario, scenario_names
from critmat.forecast.stats import MODELS, backtest, fit_forecast
from critmat.report.forecast_report import write_demand_report as write_demand_page
from critmat.services.context import resolve
from critmat.services.forecast_tables import demand_tables, price_tables
from critmat.sim.market import build_market
from critmat.usecases.outcome import Outcome
from critmat.usecases.pages import DemandPage, PriceForecast
from critmat.usecases.requests import DemandRequest, PricesRequest

__all__ = [
    "DEMAND_MATERIALS",
    "DemandRequest",
    "PriceForecast",
    "PricesRequest",
    "check_demand_request",
    "check_prices_request",
    "demand_growth",
    "demand_outcome",
    "demand_page",
    "demand_result",
    "forecast_factors",
    "prices_outcome",
    "prices_result",
    "recorded_world_demand",
    "run_demand",
    "run_demand_text",
    "run_prices",
    "scenario_list",
    "write_demand_report",
]

#: Materials projected by default (every sector driver's materials and the seed list's others).
DEMAND_MATERIALS = [
    "lithium",
    "nickel",
    "cobalt",
    "manganese",
    "graphite",
    "copper",
    "neodymium",
    "dysprosium",
    "terbium",
    "magnet_rees",
    "silicon",
    "gallium",
    "germanium",
    "tungsten",
    "platinum",
    "palladium",
]
#: Elements whose world production is a share of rare-earth oxide (element_shares table).
_REE_GROUP = "rare_earths"


def scenario_list() -> pd.DataFrame:
    """The shipped demand scenarios."""

    rows = []
    for n in scenario_names():
        sc = load_scenario(n)
        rows.append(
            {
                "scenario": n,
                "title": sc.title,
                "iea_scenario": sc.iea_scenario,
                "years": f"{sc.base_year}-{sc.end_year}",
                "description": sc.description,
            }
        )
    return pd.DataFrame(rows)


def _world_supply(ds: Dataset, material: str, year: int) -> tuple[float, str, str]:
    """World mine (else refinery) production of one year on the material's basis, t/yr."""

    p = ds.production
    shares = ds.table("element_shares")
    if material in set(shares["material"]):  # an element of the rare-earth oxide group
        v, _b, src = _world_supply(ds, _REE_GROUP, year)
        row = shares[shares["material"] == material].iloc[0]
        return v * float(row["share"]), basis_of(ds, material), f"{src} x {material} share"
    for stage in ("mining", "refining"):
        rows = p[(p["material"] == material) & (p["stage"] == stage) & (p["year"] == year)]
        rows = rows[~rows["country"].isin(["WLD"])]
        for dataset in ("wmd2026", "usgs_mcs2026", "usgs_mcs2025", "iea2025"):
            r = rows[rows["dataset"] == dataset]
            if r.empty:
                continue
            total = float(r["value"].fillna(0.0).sum())
            try:
                v = mass_to_basis(
                    ds, total, str(r["unit"].iloc[0]), str(r["basis"].iloc[0]), material
                )
            except UnitError:
                continue
            return v, basis_of(ds, material), f"{dataset} {stage} {year}"
    return float("nan"), basis_of(ds, material), ""


def recorded_world_demand(ds: Dataset, materials: list[str], years: range) -> pd.DataFrame:
    """World production by year (the consumption proxy): material, year, value_t, basis,
    source."""
    rows = []
    for m in materials:
        for y in years:
            v, b, src = _world_supply(ds, m, y)
            if np.isfinite(v) and v > 0:
                v, b = _element_basis(ds, m, v, b)  # the projection's basis (Nd, not Nd2O3)
                rows.append({"material": m, "year": y, "value_t": v, "basis": b, "source": src})
    return pd.DataFrame(rows, columns=["material", "year", "value_t", "basis", "source"])


def _element_basis(ds: Dataset, material: str, value: float, basis: str) -> tuple[float, str]:
    """Oxide bases of single elements (Nd2O3 ...) to the element, the intensities' basis."""

    symbol = {"neodymium": "Nd", "dysprosium": "Dy", "terbium": "Tb"}.get(material)
    if symbol is None or basis == symbol:
        return value, basis
    try:
        return float(convert_mass(value, "t", "t", basis, symbol)), symbol
    except UnitError:
        return value, basis


def world_base(ds: Dataset, materials: list[str], year: int) -> pd.DataFrame:
    """World demand in the base year: the IEA's total demand where published, else world
    production (the latest year up to ``year``) on the element basis."""
    pr = ds.table("demand_projections")
    iea = pr[
        (pr["table"] == "total_demand_by_sector")
        & (pr["use"] == "Total demand")
        & (pr["scenario"] == "historical")
    ]
    rows = []
    for m in materials:
        r = iea[iea["material"] == m]
        if len(r) and int(r["year"].iloc[0]) == year:
            rows.append(
                {
                    "material": m,
                    "value_t": float(r["value"].iloc[0]),
                    "basis": str(r["basis"].iloc[0]),
                    "source": f"IEA CM 2025 total demand {year}",
                }
            )
            continue
        for y in range(year, year - 4, -1):
            v, b, src = _world_supply(ds, m, y)
            if np.isfinite(v) and v > 0:
                v, b = _element_basis(ds, m, v, b)
                rows.append(
                    {
                        "material": m,
                        "value_t": v,
                        "basis": b,
                        "source": f"world production {src} (consumption proxy)",
                    }
                )
                break
        else:
            rows.append({"material": m, "value_t": float("nan"), "basis": "", "source": ""})
    return pd.DataFrame(rows)


def _holder_base(ds: Dataset, holder: str, year: int, materials: list[str]) -> pd.DataFrame:

    market = build_market(ds, holder, year, materials=materials)
    return pd.DataFrame(
        {
            "material": market.materials,
            "value_t": np.asarray(market.demand0, float) * 12.0,
            "basis": market.basis,
        }
    )


@dataclass
class DemandResult:
    """A projection and its backtest."""

    projection: Projection
    base: pd.DataFrame
    backtest: pd.DataFrame
    backtest_summary: pd.DataFrame
    holder: str | None = None
    notes: list[str] = field(default_factory=list)


def demand_page(res: DemandResult) -> DemandPage:
    """What the demand page shows, taken from a projection and its backtest."""
    p = res.projection
    sc = p.scenario
    return DemandPage(
        name=sc.name,
        title=sc.title,
        description=sc.description,
        base_year=sc.base_year,
        end_year=sc.end_year,
        iea_scenario=sc.iea_scenario,
        world=p.world,
        holder=res.holder,
        holder_table=p.holder,
        iea=p.iea,
        substitution=p.substitution,
        assumptions=p.assumptions,
        projection_notes=p.notes,
        backtest=res.backtest,
        backtest_summary=res.backtest_summary,
    )


def write_demand_report(res: DemandResult, out: str | Path) -> Path:
    """The demand page (critmat.report.forecast_report renders the result's page)."""
    return write_demand_page(demand_page(res), out)


def run_demand_text(ds: Dataset, req: DemandRequest, text: str) -> DemandResult:
    """As :func:`run_demand` for a scenario given as YAML text (errors name the key path)."""

    sc = load_yaml_text(text, DemandScenario, "demand scenario", "the scenario YAML")
    return run_demand(ds, req, scenario=sc)


def run_demand(ds: Dataset, req: DemandRequest, *, scenario: object = None) -> DemandResult:
    """Project demand for a scenario (world, and the holder's if given) and backtest the method
    from ``req.backtest_origin``."""

    sc = scenario if isinstance(scenario, DemandScenario) else load_scenario(req.scenario)
    r = resolve(ds, holder=req.holder, materials=req.materials or None, year=req.year)
    mats = r.materials or DEMAND_MATERIALS
    base = world_base(ds, mats, sc.base_year)
    hbase = None
    if r.holder is not None:
        hbase = _holder_base(ds, r.holder, req.year, mats)
    proj = project(
        sc,
        ds.table("demand_drivers"),
        ds.table("intensities"),
        ds.table("demand_projections"),
        base,
        holder=r.holder,
        holder_base=hbase,
        materials=mats,
        draws=req.draws,
        seed=req.seed,
    )
    if not req.backtest:
        return DemandResult(proj, base, pd.DataFrame(), pd.DataFrame(), r.holder)
    rec = recorded_world_demand(ds, mats, range(req.backtest_origin, sc.base_year + 1))
    bt = backtest_demand(
        sc, ds.table("demand_drivers"), ds.table("intensities"), rec, origin=req.backtest_origin
    )
    return DemandResult(proj, base, bt, backtest_summary(bt), r.holder)


def demand_growth(
    ds: Dataset, holder: str, scenario: str, year: int, start: int, months: int, *, seed: int = 0
) -> dict[str, float]:
    """The holder's mean demand over ``months`` from January of ``start`` relative to its base
    consumption, per material (what ``critmat plan --forecast`` scales the simulator's demand
    by)."""
    res = run_demand(
        ds,
        DemandRequest(
            scenario=scenario, holder=holder, year=year, draws=1, seed=seed, backtest=False
        ),
    )
    h = res.projection.holder
    if h is None or h.empty:
        return {}
    years = [start + k // 12 for k in range(months)]
    out = {}
    for m, g in h.groupby("material"):
        idx = g.set_index("year")["index"]
        vals = [float(np.interp(y, idx.index.to_numpy(float), idx.to_numpy(float))) for y in years]
        out[str(m)] = float(np.mean(vals))
    return out


# -- statistical forecasts ----------------------------------------------------------------------


def _future_labels(last: str, freq: str, h: int) -> list[str]:
    if freq == "M":
        p = pd.Period(last, freq="M")
        return [str(p + k) for k in range(1, h + 1)]
    return [str(int(last) + k) for k in range(1, h + 1)]


def run_prices(ds: Dataset, req: PricesRequest) -> PriceForecast:
    """Backtest naive, ETS and ARIMA on each series (rolling origins), then forecast with the
    model the backtest favours; a model is shown as better than naive only where its MASE is
    lower."""

    mats = resolve(ds, materials=req.materials or None).materials
    cat = price_series_catalogue(ds, req.kind)
    if mats:
        cat = [c for c in cat if c[0] in mats]
        missing = sorted(set(mats) - {c[0] for c in cat})
        if missing and not cat:
            raise UnknownChoiceError(
                f"material with a {req.kind} series",
                missing[0],
                sorted({c[0] for c in price_series_catalogue(ds, req.kind)}),
            )
    fc, summ, det, hist, notes = [], [], [], [], []
    for m, label, y, freq, unit in cat:
        h = req.horizon or (24 if freq == "M" else 3)
        step = 12 if freq == "M" else 1
        bh = 12 if freq == "M" else min(h, 3)
        window = 240 if freq == "M" else None
        n = len(y)
        origins = [n - 1 - bh - step * k for k in range(req.origins)]
        origins = sorted(t for t in origins if t >= (36 if freq == "M" else 10))
        hist.append(
            pd.DataFrame(
                {
                    "material": m,
                    "series": label,
                    "period": y.index.astype(str),
                    "value": y.to_numpy(float),
                    "unit": unit,
                }
            )
        )
        rows = [backtest(y, mod, bh, origins, window=window) for mod in MODELS] if origins else []
        d = (
            pd.concat([r for r in rows if not r.empty], ignore_index=True)
            if rows
            else pd.DataFrame()
        )
        s = stats.backtest_summary(d)
        chosen = "naive"
        if s.empty:
            notes.append(f"{m} ({label}): {n} values, too short to backtest; naive forecast only")
        else:
            s.insert(0, "series", label)
            s.insert(0, "material", m)
            summ.append(s)
            d.insert(0, "series", label)
            d.insert(0, "material", m)
            det.append(d)
            better = s[s["better_than_naive"]]
            if len(better):
                chosen = str(better.sort_values("mase")["model"].iloc[0])
            else:
                notes.append(
                    f"{m} ({label}): no model beat naive in the backtest; the naive "
                    "forecast is shown"
                )
        train = y.to_numpy(float)[-window:] if window else y.to_numpy(float)
        f = fit_forecast(train, chosen, h)  # type: ignore[arg-type]
        f.insert(0, "period", _future_labels(str(y.index[-1]), freq, h))
        f.insert(0, "model", chosen)
        f.insert(0, "series", label)
        f.insert(0, "material", m)
        f["unit"] = unit
        fc.append(f)
    cat_frames = (
        pd.concat(fc, ignore_index=True) if fc else pd.DataFrame(),
        pd.concat(summ, ignore_index=True) if summ else pd.DataFrame(),
        pd.concat(det, ignore_index=True) if det else pd.DataFrame(),
        pd.concat(hist, ignore_index=True) if hist else pd.DataFrame(),
    )
    return PriceForecast(*cat_frames, notes=notes)


def forecast_factors(ds: Dataset, material: str, years: list[int]) -> tuple[list[float], str]:
    """The forecast price of ``material`` in each of ``years`` relative to its last recorded
    year (annual means; the model the backtest favours), and a label naming series and model.
    Unit-free, so it scales a price on any basis (``prices: forecast`` of the acquisition
    schedule)."""
    res = run_prices(ds, PricesRequest(materials=[material], origins=8))
    f = res.forecasts
    if f.empty:
        raise UnknownChoiceError("material with a price series", material, [])
    label = f"{f['series'].iloc[0]}, {f['model'].iloc[0]} forecast"
    per = f.assign(year=f["period"].str[:4].astype(int)).groupby("year")["mean"].mean()
    hist = res.history.assign(year=res.history["period"].str[:4].astype(int))
    last = hist.groupby("year")["value"].mean()
    both = pd.concat([last, per[~per.index.isin(last.index)]]).sort_index()
    ref = float(last.iloc[-1])
    vals = [
        float(np.interp(y, both.index.to_numpy(float), both.to_numpy(float))) / ref for y in years
    ]
    return vals, label


def check_demand_request(ds: Dataset, req: DemandRequest) -> None:
    """What an HTTP demand job is refused for before it is queued: a scenario that is not a
    shipped one (files on the server are not read over HTTP; POST the YAML to
    /api/v1/forecast/demand), an unknown holder or material."""
    shipped = set(scenario_list()["scenario"])
    if req.scenario not in shipped:
        raise CritmatError(f"scenario: one of {', '.join(sorted(shipped))} over HTTP")
    resolve(ds, holder=req.holder, materials=req.materials or None)


def demand_outcome(ds: Dataset, req: DemandRequest, progress: object = None) -> Outcome:
    """The registry's runner: :func:`run_demand`, then :func:`demand_result`."""
    return demand_result(run_demand(ds, req))


def demand_result(res: DemandResult) -> Outcome:
    """A demand projection as every face shows it (critmat.usecases)."""
    tables, readme = demand_tables(res)
    notes = [*res.projection.notes, *res.notes]
    return Outcome(tables, readme, notes, main="holder" if "holder" in tables else "world")


def check_prices_request(ds: Dataset, req: PricesRequest) -> None:
    """Unknown materials are refused before the job is queued."""
    resolve(ds, materials=req.materials or None)


def prices_outcome(ds: Dataset, req: PricesRequest, progress: object = None) -> Outcome:
    """The registry's runner: :func:`run_prices`, then :func:`prices_result`."""
    return prices_result(run_prices(ds, req))


def prices_result(res: PriceForecast) -> Outcome:
    """Price (or consumption) forecasts and their backtests as every face shows them."""
    tables, readme = price_tables(res)
    return Outcome(tables, readme, list(res.notes), main="forecasts")
