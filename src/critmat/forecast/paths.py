"""Driver paths: history, projection points, scaling and growth, over a draw axis.

A driver's *anchors* are its historical values up to the base year, then the projection points of
the scenario (optionally scaled by the ratio of two scenarios of another series), then the relative
change of a followed series; between anchors the path grows geometrically (constant rate), after
the last anchor at the scenario's growth rate, drawn per run within its range
(docs/forecast.md, "Driver paths"). Pure functions on the ``demand_drivers`` table.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from critmat.forecast.scenario_spec import DriverSpec, SeriesRef

__all__ = ["anchors", "extend", "interp_value", "series"]

F64 = npt.NDArray[np.float64]


def series(tbl: pd.DataFrame, driver: str, region: str, scenario: str, edition: str) -> pd.Series:
    """One series of the ``demand_drivers`` table as year -> value (empty if none)."""
    rows = tbl[
        (tbl["driver"] == driver)
        & (tbl["region"] == region)
        & (tbl["scenario"] == scenario)
        & (tbl["edition"] == edition)
    ]
    return pd.Series(rows["value"].to_numpy(float), index=rows["year"].astype(int)).sort_index()


def interp_value(value: float | dict[int, float], years: F64) -> F64:
    """A constant or a path by year, linear between the years given and flat outside."""
    if not isinstance(value, dict):
        return np.full(len(years), float(value))
    ys = np.array(sorted(value), float)
    out: F64 = np.interp(years, ys, np.array([value[int(y)] for y in ys], float))
    return out


def _geo(s: pd.Series, year: float) -> float:
    """Geometric interpolation of a positive series at ``year`` (flat outside its range)."""
    ys = s.index.to_numpy(float)
    v = np.log(np.maximum(s.to_numpy(float), 1e-12))
    return float(np.exp(np.interp(year, ys, v)))


def anchors(
    tbl: pd.DataFrame, name: str, spec: DriverSpec, region: str, base_year: int
) -> pd.Series:
    """The anchor years and values of driver ``name`` in ``region`` (see the module docstring).

    Only rows of ``region`` are used; a region without projection points keeps its history only
    (the caller extends it with the world's relative change)."""
    hist = series(tbl, name, region, "historical", spec.history)
    hist = hist[hist.index <= base_year]
    out = hist.copy()
    last = int(hist.index.max()) if len(hist) else base_year
    for ref in spec.points:
        pts = series(tbl, ref.driver or name, region, ref.scenario, ref.edition)
        pts = pts[pts.index > last]
        if spec.scale is not None and len(pts):
            sc = spec.scale
            num = series(tbl, sc.driver or name, region, sc.scenario, sc.edition)
            den = series(tbl, sc.driver or name, region, sc.relative_to, sc.edition)
            common = num.index.intersection(den.index)
            if len(common):
                ratio = (num[common] / den[common]).sort_index()
                factor = np.interp(
                    pts.index.to_numpy(float), ratio.index.to_numpy(float), ratio.to_numpy(float)
                )
                pts = pts * factor
        out = pd.concat([out, pts])
    out = out[~out.index.duplicated(keep="first")].sort_index()
    if spec.follow is not None and len(out):
        out = _follow(tbl, out, spec.follow, name, region)
    return out


def _follow(tbl: pd.DataFrame, out: pd.Series, ref: SeriesRef, name: str, region: str) -> pd.Series:
    f = series(tbl, ref.driver or name, region, ref.scenario, ref.edition)
    last = int(out.index.max())
    if len(f) < 2 or f.index.max() <= last or f.index.min() > last:
        return out
    later = f[f.index > last]
    ext = pd.Series([out[last] * v / _geo(f, last) for v in later], index=later.index)
    res: pd.Series = pd.concat([out, ext]).sort_index()
    return res


def extend(anchor: pd.Series, years: F64, growth: F64) -> F64:
    """The path at ``years`` for each draw of ``growth`` (an [N] array of annual rates):
    geometric between anchors, ``(1 + g) ** (y - last)`` after the last anchor. Returns [N, Y];
    years before the first anchor are NaN."""
    n = len(growth)
    out = np.full((n, len(years)), np.nan)
    if anchor.empty:
        return out
    ys = anchor.index.to_numpy(float)
    logv = np.log(np.maximum(anchor.to_numpy(float), 1e-12))
    inside = (years >= ys[0]) & (years <= ys[-1])
    out[:, inside] = np.exp(np.interp(years[inside], ys, logv))[None, :]
    after = years > ys[-1]
    out[:, after] = anchor.iloc[-1] * (1.0 + growth[:, None]) ** (years[after] - ys[-1])[None, :]
    return out
