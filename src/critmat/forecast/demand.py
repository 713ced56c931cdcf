"""Driver-based demand projections (docs/forecast.md, docs/methods.md 8.1).

World demand of material m in year y, per draw::

    D_m(y) = sum_s  X_s(y) * I_s,m(y)  +  O_m * (1 + g_m) ** (y - b)

with X_s the sector driver (critmat.forecast.paths), I_s,m its intensity (critmat.forecast.
intensity), b the base year, O_m the base-year demand the sectors do not explain (the recorded
total minus the modelled sectors, floored at 0) and g_m the other uses' growth. A holder's demand
is its base consumption (the simulator's, on the material's basis) times the world index with the
holder's own drivers where the dataset has them::

    H_m(y) = H_m(b) * [ sum_s w_s,m X^h_s(y) I_s,m(y) / (X^h_s(b) I_s,m(b))
                        + w_o,m (1 + g_m) ** (y - b) ]

with w the world's base-year shares of the sectors and of other uses (the holder is assumed to
split its use like the world; its own end-use split would improve this). The central line uses
every parameter at its value; the band is the 10th-90th percentile over uniform draws within the
labelled ranges (seeded).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from critmat.forecast.intensity import SECTOR_DRIVER, Draws, draw_factors, intensities
from critmat.forecast.paths import anchors, extend
from critmat.forecast.scenario_spec import DRIVERS, DemandScenario, Rate
from critmat.streams import Streams

__all__ = ["Projection", "iea_comparison", "other_rates", "project"]

F64 = npt.NDArray[np.float64]
BAND = (10.0, 90.0)


@dataclass
class Projection:
    """A scenario's projection: tidy tables, every quantity with its unit and basis."""

    scenario: DemandScenario
    world: pd.DataFrame  # material, sector, year, demand_t, low_t, high_t, basis
    drivers: pd.DataFrame  # driver, region, year, value, low, high, unit, kind
    substitution: pd.DataFrame  # material, year, demand_t, frozen_mix_t, effect_t, effect_pct
    assumptions: pd.DataFrame  # parameter, value, low, high, unit, source, status
    holder: pd.DataFrame | None = None  # material, year, demand_t, low_t, high_t, index, basis
    iea: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: list[str] = field(default_factory=list)


def other_rates(
    sc: DemandScenario, projections: pd.DataFrame, materials: list[str]
) -> dict[str, tuple[Rate, str]]:
    """The other uses' growth per material and where it comes from."""
    out: dict[str, tuple[Rate, str]] = {}
    iea = projections[
        (projections["table"] == "total_demand_by_sector") & (projections["use"] == "Other uses")
    ]
    scen = sc.iea_scenario or "STEPS"
    for m in materials:
        rows = iea[(iea["material"] == m) & iea["scenario"].isin(["historical", scen])]
        if sc.other_uses.iea and len(rows) >= 2 and m not in sc.other_uses.rates:
            s = rows.groupby("year")["value"].first().sort_index()
            y0, y1 = int(s.index.min()), min(int(s.index.max()), sc.end_year)
            v1 = float(np.interp(y1, s.index.to_numpy(float), s.to_numpy(float)))
            g = (v1 / float(s.iloc[0])) ** (1.0 / max(y1 - y0, 1)) - 1.0
            src = f"IEA CM 2025 'Other uses' {scen} {y0}-{y1} growth (derived), +-1 pp"
            out[m] = (Rate(value=g, low=g - 0.01, high=g + 0.01, source=src, status="derived"), src)
        elif m in sc.other_uses.rates:
            r = sc.other_uses.rates[m]
            out[m] = (r, r.source)
        else:
            out[m] = (sc.other_uses.default, sc.other_uses.default.source)
    return out


def _driver_paths(
    sc: DemandScenario, tbl: pd.DataFrame, years: F64, draws: Draws, region: str
) -> dict[str, F64]:
    """[N, Y] path per driver for ``region``; beyond a region's own data it follows the world's
    relative change."""
    out: dict[str, F64] = {}
    for name, spec in sc.drivers.items():
        world = extend(anchors(tbl, name, spec, "WLD", sc.base_year), years, draws.growth[name])
        if region == "WLD":
            out[name] = world
            continue
        own = anchors(tbl, name, spec, region, sc.base_year)
        if own.empty:
            out[name] = world  # only the relative change is used for a holder
            continue
        last = int(own.index.max())
        path = extend(own, years, np.zeros(draws.n))
        after = years > last
        if last in years:
            k = int(np.searchsorted(years, last))
            path[:, after] = own.iloc[-1] * world[:, after] / world[:, [k]]
        else:  # own data end before the first projection year
            w_last = extend(
                anchors(tbl, name, spec, "WLD", sc.base_year),
                np.array([float(last)]),
                draws.growth[name],
            )
            path[:, after] = own.iloc[-1] * world[:, after] / w_last
        out[name] = path
    return out


def _band(x: F64) -> tuple[F64, F64, F64]:
    lo, hi = np.nanpercentile(x, BAND, axis=0)
    return x[0], lo, hi


def _sector_demand(
    ints: dict[tuple[str, str], F64], paths: dict[str, F64]
) -> dict[tuple[str, str], F64]:
    """Driver x intensity per (sector, material), [N, Y] t/yr."""
    return {(s, m): paths[SECTOR_DRIVER[s]] * i for (s, m), i in ints.items()}


def project(
    sc: DemandScenario,
    drivers_tbl: pd.DataFrame,
    intensities_tbl: pd.DataFrame,
    projections_tbl: pd.DataFrame,
    base: pd.DataFrame,
    *,
    holder: str | None = None,
    holder_base: pd.DataFrame | None = None,
    materials: list[str] | None = None,
    draws: int = 400,
    seed: int = 0,
) -> Projection:
    """Project world (and a holder's) demand from ``sc.base_year`` to ``sc.end_year``.

    Parameters
    ----------
    base
        World demand in the base year: ``material``, ``value_t`` (t/yr), ``basis``, ``source``.
    holder_base
        The holder's base-year demand: ``material``, ``value_t`` (t/yr of the material's
        basis), ``basis``.
    materials
        Materials to project (default: those of ``base``).
    """
    years = np.arange(sc.base_year, sc.end_year + 1, dtype=float)
    d = draw_factors(sc, draws, seed)
    mats = materials or list(base["material"])
    rates = other_rates(sc, projections_tbl, mats)
    rng = Streams(seed).generator("demand_other_uses")
    for m, (r, _) in ((m, rates[m]) for m in mats):  # draw 0 is the central value
        d.other[m] = np.concatenate([[r.value], rng.uniform(r.low, r.high, draws)[1:]])
    paths = _driver_paths(sc, drivers_tbl, years, d, "WLD")
    ints = intensities(sc, intensities_tbl, years, d)
    sect = _sector_demand(ints, paths)
    frozen_ints = intensities(sc, intensities_tbl, years, d, frozen_at=sc.base_year)
    frozen = _sector_demand(frozen_ints, paths)
    notes: list[str] = []
    rows, subst = [], []
    shares: dict[str, dict[str, float]] = {}
    base_by = base.set_index("material")
    base_t = base_by["value_t"].astype(float).to_dict()
    base_src = base_by["source"].astype(str).to_dict() if "source" in base_by else {}
    growth = (years - sc.base_year)[None, :]
    for m in mats:
        if m not in base_t or not np.isfinite(base_t[m]):
            notes.append(
                f"{m}: not assessed (no world demand or production figure for {sc.base_year})"
            )
            continue
        total0 = float(base_t[m])
        mine = {s: v for (s, mm), v in sect.items() if mm == m}
        modelled0 = sum(float(v[0, 0]) for v in mine.values())
        if modelled0 > total0:
            notes.append(
                f"{m}: the modelled sectors ({modelled0:,.0f} t) exceed the recorded base "
                f"({total0:,.0f} t, {base_src.get(m, '')}) by "
                f"{modelled0 / total0 - 1:.0%}; other uses set to 0"
            )
        other = max(total0 - modelled0, 0.0) * (1.0 + d.other[m][:, None]) ** growth
        parts: dict[str, F64] = {**mine, "other_uses": other}
        total: F64 = np.sum(list(parts.values()), axis=0)
        shares[m] = {s: float(v[0, 0]) / max(float(total[0, 0]), 1e-12) for s, v in parts.items()}
        rows += _bands(m, str(base_by.loc[m, "basis"]), years, {**parts, "total": total})
        fz: F64 = np.sum([v for (s, mm), v in frozen.items() if mm == m] + [other], axis=0)
        subst.append(_substitution(m, years, total[0], fz[0]))
        if not mine:
            notes.append(f"{m}: no sector driver in the model; other uses only ({rates[m][1]})")
    world = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    proj = Projection(scenario=sc, world=world,
                      drivers=_drivers_table(sc, drivers_tbl, years, paths, "WLD"),
                      substitution=pd.concat(subst, ignore_index=True) if subst else pd.DataFrame(),
                      assumptions=_assumptions(sc, rates), notes=notes)  # fmt: skip
    if holder is not None and holder_base is not None:
        hp = _driver_paths(sc, drivers_tbl, years, d, holder)
        proj.holder = _holder(sc, years, _sector_demand(ints, hp), shares, d, holder_base, notes)
        proj.drivers = pd.concat([proj.drivers, _drivers_table(sc, drivers_tbl, years, hp, holder)],
                                 ignore_index=True)  # fmt: skip
    proj.iea = iea_comparison(world, projections_tbl, sc)
    return proj


def _bands(m: str, basis: str, years: F64, parts: dict[str, F64]) -> list[pd.DataFrame]:
    """Per sector: the central projection and its p10-p90 band (t/yr of the basis)."""
    out = []
    for s, v in parts.items():
        c, lo, hi = _band(v)
        out.append(
            pd.DataFrame(
                {
                    "material": m,
                    "sector": s,
                    "year": years.astype(int),
                    "demand_t": c,
                    "low_t": lo,
                    "high_t": hi,
                    "basis": basis,
                }
            )
        )
    return out  # fmt: skip


def _substitution(m: str, years: F64, total: F64, frozen: F64) -> pd.DataFrame:
    """The demand against the mix and composition frozen at the base year (t/yr, %)."""
    return pd.DataFrame(
        {
            "material": m,
            "year": years.astype(int),
            "demand_t": total,
            "frozen_mix_t": frozen,
            "effect_t": total - frozen,
            "effect_pct": 100.0 * (total - frozen) / np.maximum(frozen, 1e-12),
        }
    )


def _holder(
    sc: DemandScenario,
    years: F64,
    hsect: dict[tuple[str, str], F64],
    shares: dict[str, dict[str, float]],
    d: Draws,
    holder_base: pd.DataFrame,
    notes: list[str],
) -> pd.DataFrame:
    rows = []
    hb = holder_base.set_index("material")
    hb_t = hb["value_t"].astype(float).to_dict()
    hb_basis = hb["basis"].astype(str).to_dict()
    growth = (years - sc.base_year)[None, :]
    for m, w in shares.items():
        if m not in hb_t or not np.isfinite(hb_t[m]):
            notes.append(f"{m}: holder demand not assessed (no base consumption)")
            continue
        idx = w.get("other_uses", 0.0) * (1.0 + d.other[m][:, None]) ** growth
        for s, ws in w.items():
            if s == "other_uses" or ws <= 0:
                continue
            x = hsect[(s, m)]
            idx = idx + ws * x / np.maximum(x[:, [0]], 1e-12)
        val = hb_t[m] * idx
        c, lo, hi = _band(val)
        rows.append(
            pd.DataFrame(
                {
                    "material": m,
                    "year": years.astype(int),
                    "demand_t": c,
                    "low_t": lo,
                    "high_t": hi,
                    "index": idx[0],
                    "basis": hb_basis[m],
                }
            )
        )
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


def _drivers_table(
    sc: DemandScenario, tbl: pd.DataFrame, years: F64, paths: dict[str, F64], region: str
) -> pd.DataFrame:

    out = []
    for name, spec in sc.drivers.items():
        hist = tbl[
            (tbl["driver"] == name)
            & (tbl["region"] == region)
            & (tbl["scenario"] == "historical")
            & (tbl["edition"] == spec.history)
            & (tbl["year"] < sc.base_year)
        ]
        out.append(
            pd.DataFrame(
                {
                    "driver": name,
                    "region": region,
                    "year": hist["year"].astype(int),
                    "value": hist["value"].astype(float),
                    "low": np.nan,
                    "high": np.nan,
                    "unit": DRIVERS[name],
                    "kind": "recorded",
                }
            )
        )
        c, lo, hi = _band(paths[name])
        out.append(
            pd.DataFrame(
                {
                    "driver": name,
                    "region": region,
                    "year": years.astype(int),
                    "value": c,
                    "low": lo,
                    "high": hi,
                    "unit": DRIVERS[name],
                    "kind": "projected",
                }
            )
        )
    return pd.concat(out, ignore_index=True)


def _assumptions(sc: DemandScenario, rates: dict[str, tuple[Rate, str]]) -> pd.DataFrame:
    rows: list[tuple[object, ...]] = []
    for name, spec in sc.drivers.items():
        g = spec.growth_after
        rows.append(
            (
                f"growth of {name} after its last point",
                g.value,
                g.low,
                g.high,
                "1/yr",
                g.source,
                g.status,
            )
        )
    ch = sc.chemistry
    mixes = "; ".join(
        f"{y}: " + ", ".join(f"{c} {s:.0%}" for c, s in mix.items())
        for y, mix in sorted(ch.shares.items())
    )
    rows.append(
        (
            "battery chemistry mix (share of EV battery GWh)",
            mixes,
            "",
            "",
            "share",
            ch.source,
            ch.status,
        )
    )
    rows.append(
        (
            "battery pack contents (factor)",
            1.0,
            ch.intensity_range[0],
            ch.intensity_range[1],
            "x",
            ch.source,
            ch.status,
        )
    )
    params = {
        "pv_silicon_g_per_w": sc.pv_silicon_g_per_w,
        **{k: getattr(sc.magnets, k) for k in type(sc.magnets).model_fields},
    }
    for k, p in params.items():
        v = (
            p.value
            if not isinstance(p.value, dict)
            else "; ".join(f"{y}: {x:g}" for y, x in sorted(p.value.items()))
        )
        rows.append((k, v, f"x{p.rel_low:g}", f"x{p.rel_high:g}", p.unit, p.source, p.status))
    for m, (r, src) in sorted(rates.items()):
        rows.append(
            (
                f"other uses growth, {m}",
                round(r.value, 4),
                round(r.low, 4),
                round(r.high, 4),
                "1/yr",
                src,
                r.status,
            )
        )
    return pd.DataFrame(
        rows, columns=["parameter", "value", "low", "high", "unit", "source", "status"]
    ).astype({"value": str, "low": str, "high": str})


def iea_comparison(
    world: pd.DataFrame, projections: pd.DataFrame, sc: DemandScenario
) -> pd.DataFrame:
    """critmat's world projection next to the IEA's (2025) for the same mineral and scenario:
    total demand where the IEA publishes it, else clean technologies only (EV, wind, solar and
    storage, networks, hydrogen: critmat models only the first three)."""
    if world.empty or sc.iea_scenario is None:
        return pd.DataFrame()
    rows = []
    for m, g in world.groupby("material"):
        p = projections[projections["material"] == m]
        tot = p[(p["table"] == "total_demand_by_sector") & (p["use"] == "Total demand")]
        if len(tot):
            scope, ours = "total demand", g[g["sector"] == "total"]
        else:
            tot = p[(p["table"] == "cleantech_demand_by_mineral")]
            scope = "clean technologies"
            ours = (
                g[~g["sector"].isin(["total", "other_uses"])]
                .groupby("year", as_index=False)[["demand_t"]]
                .sum()
            )
        if tot.empty:
            continue
        tot = tot[tot["scenario"].isin(["historical", sc.iea_scenario])]
        mine = ours.set_index("year")["demand_t"]
        for _, r in tot.iterrows():
            y = int(r["year"])
            if y not in mine.index:
                continue
            rows.append(
                {
                    "material": m,
                    "year": y,
                    "scope": scope,
                    "critmat_t": float(mine[y]),
                    "iea_t": float(r["value"]),
                    "ratio": float(mine[y]) / float(r["value"]) if r["value"] else np.nan,
                    "iea_scenario": r["scenario"],
                    "iea_basis": r["basis"],
                    "iea_mineral": r["iea_mineral"],
                }
            )
    return pd.DataFrame(rows)
