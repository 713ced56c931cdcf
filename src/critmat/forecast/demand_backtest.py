"""Backtest of the driver-based projection from an earlier origin (docs/methods.md 8.2).

From ``origin`` (2018 by default) the method projects world demand for the following years and
is compared with the recorded values (world production, the proxy for consumption that the
dataset has year by year). Three variants separate the sources of error:

``known_drivers``
    What an analyst had at the origin: drivers extrapolated at their growth over the three years
    before the origin, the chemistry mix and magnet composition held at the origin's values.
``recorded_drivers``
    The recorded drivers of each later year (perfect foresight of the drivers) with the
    scenario's chemistry path: the error left is that of the intensities and the other uses.
``naive``
    Demand stays at its origin level (the no-change benchmark).

Only data dated up to the origin enter ``known_drivers`` (tested); the intensities are the
dataset's current pack contents (Busch et al. 2024), which an analyst in 2018 did not have.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from critmat.forecast.intensity import SECTOR_DRIVER, Draws, intensities
from critmat.forecast.paths import series
from critmat.forecast.scenario_spec import DemandScenario

__all__ = ["backtest_demand", "backtest_summary"]

F64 = npt.NDArray[np.float64]


def _known_path(hist: pd.Series, origin: int, years: np.ndarray) -> np.ndarray:
    """Drivers known at ``origin``: the history up to it, then its last three years' growth."""
    h = hist[hist.index <= origin]
    if len(h) < 2:
        return np.full(len(years), np.nan)
    k = min(3, len(h) - 1)
    g = (h.iloc[-1] / h.iloc[-1 - k]) ** (1.0 / k) - 1.0
    return np.asarray(h.iloc[-1] * (1.0 + g) ** (years - origin), float)


def backtest_demand(
    sc: DemandScenario,
    drivers_tbl: pd.DataFrame,
    intensities_tbl: pd.DataFrame,
    recorded: pd.DataFrame,
    *,
    origin: int = 2018,
    other_growth: float | None = None,
) -> pd.DataFrame:
    """Per material and year after ``origin``: recorded demand and the three variants (t/yr).

    ``recorded``: ``material``, ``year``, ``value_t``, ``basis`` (world production, the proxy).
    ``other_growth``: the other uses' growth (default: the scenario's default rate).
    """
    g_other = sc.other_uses.default.value if other_growth is None else other_growth
    rec = recorded[recorded["year"] >= origin]
    if rec.empty:
        return pd.DataFrame()
    years = np.arange(origin, int(rec["year"].max()) + 1, dtype=float)
    one = Draws(1, {k: np.ones(1) for k in _factor_keys(sc)}, {}, {})
    known_i = intensities(sc, intensities_tbl, years, one, frozen_at=origin)
    rec_i = intensities(sc, intensities_tbl, years, one)
    known_x: dict[str, F64] = {}
    rec_x: dict[str, F64] = {}
    for name, spec in sc.drivers.items():
        hist = series(drivers_tbl, name, "WLD", "historical", spec.history)
        known_x[str(name)] = _known_path(hist, origin, years)
        rec_x[str(name)] = np.interp(
            years, hist.index.to_numpy(float), hist.to_numpy(float), right=np.nan
        )
    rows = []
    for m, g in rec.groupby("material"):
        r = g.set_index("year")["value_t"]
        if origin not in r.index:
            continue
        total0 = float(r[origin])
        out = {}
        for label, xs, ints in (
            ("known_drivers", known_x, known_i),
            ("recorded_drivers", rec_x, rec_i),
        ):
            parts = [xs[SECTOR_DRIVER[s]] * ints[(s, mm)][0] for (s, mm) in ints if mm == m]
            modelled = np.sum(parts, axis=0) if parts else np.zeros(len(years))
            other0 = max(total0 - float(modelled[0]), 0.0)
            out[label] = modelled + other0 * (1.0 + g_other) ** (years - origin)
        for k, y in enumerate(years.astype(int)):
            if y == origin or y not in r.index:
                continue
            rows.append(
                {
                    "material": m,
                    "year": y,
                    "recorded_t": float(r[y]),
                    "known_drivers_t": float(out["known_drivers"][k]),
                    "recorded_drivers_t": float(out["recorded_drivers"][k]),
                    "naive_t": total0,
                    "basis": str(g["basis"].iloc[0]),
                }
            )
    return pd.DataFrame(rows)


def _factor_keys(sc: DemandScenario) -> list[str]:
    return ["battery_contents", "pv_silicon_g_per_w", *type(sc.magnets).model_fields]


def backtest_summary(bt: pd.DataFrame) -> pd.DataFrame:
    """Mean absolute percentage error per material and variant, and whether the projection
    beat the no-change benchmark."""
    if bt.empty:
        return pd.DataFrame()
    rows = []
    for m, g in bt.groupby("material"):
        rec = g["recorded_t"].to_numpy(float)
        row: dict[str, object] = {"material": m, "years": f"{g.year.min()}-{g.year.max()}"}
        for v in ("known_drivers", "recorded_drivers", "naive"):
            row[f"mape_{v}_pct"] = float(np.nanmean(np.abs(g[f"{v}_t"] - rec) / rec) * 100.0)
        row["beats_naive"] = bool(row["mape_known_drivers_pct"] < row["mape_naive_pct"])  # type: ignore[operator]
        rows.append(row)
    return pd.DataFrame(rows)
