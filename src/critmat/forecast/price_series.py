"""The series a forecast is fitted to: one annual price series per material chosen among the
dataset's (World Bank monthly averaged by year, USGS, BACI unit values as a proxy), and the
catalogue of every price (or consumption) series to forecast. Prices in each series' own unit
column (nominal USD)."""

from __future__ import annotations

import pandas as pd

from critmat.data.dataset import Dataset

__all__ = ["annual_prices", "price_series_catalogue"]


def annual_prices(ds: Dataset, material: str) -> tuple[pd.Series, str, str]:
    """One annual price series per material, the longest of: World Bank monthly averaged by
    year, USGS DS140, USGS MCS published prices, BACI unit values (proxy): (series, label,
    unit)."""
    ps = ds.table("price_series")
    cands: list[tuple[pd.Series, str, str]] = []
    for s, g in ps[ps["material"] == material].groupby("series"):
        a = g.groupby("year")["value"].mean()
        if g["frequency"].iloc[0] == "M":
            a = a[g.groupby("year").size() == 12]
        cands.append((a, str(s), f"{g['unit'].iloc[0]} {g['basis'].iloc[0]}"))
    p = ds.prices
    for (form, status), g in p[p["material"] == material].groupby(["form", "status"]):
        if status in ("published", "proxy"):
            a = g.groupby("year")["value"].mean()
            label = (
                f"BACI {' '.join(str(form).split()[:2])} unit value (proxy)"
                if status == "proxy"
                else f"USGS MCS: {form}"
            )
            cands.append((a, label, f"{g['unit'].iloc[0]} {g['basis'].iloc[0]}"))
    if not cands:
        return pd.Series(dtype=float), "", ""

    # the series reaching the latest year among those long enough to backtest, then the longest
    def rank(c: tuple[pd.Series, str, str]) -> tuple[bool, int, int, bool]:
        a = c[0].dropna()
        return (
            len(a) >= 12,
            int(a.index.max()) if len(a) else 0,
            len(a),
            not c[1].startswith("BACI"),
        )

    return max(cands, key=rank)


def price_series_catalogue(
    ds: Dataset, kind: str = "price"
) -> list[tuple[str, str, pd.Series, str, str]]:
    """(material, label, series, frequency, unit) of every series to forecast."""
    out: list[tuple[str, str, pd.Series, str, str]] = []
    if kind == "consumption":
        cs = ds.table("consumption_series")
        for s, g in cs.groupby("series"):
            out.append(
                (
                    str(g["material"].iloc[0]),
                    str(s),
                    g.set_index("year")["value"].astype(float).sort_index(),
                    "A",
                    f"{g['unit'].iloc[0]} {g['basis'].iloc[0]}",
                )
            )
        return out
    ps = ds.table("price_series")
    monthly = ps[ps["frequency"] == "M"]
    for s, g in monthly.groupby("series"):
        idx = pd.PeriodIndex(g["period"], freq="M")
        out.append(
            (
                str(g["material"].iloc[0]),
                str(s),
                pd.Series(g["value"].to_numpy(float), index=idx.astype(str)).sort_index(),
                "M",
                f"{g['unit'].iloc[0]} {g['basis'].iloc[0]}",
            )
        )
    have = {o[0] for o in out}
    for m in sorted(set(ds.prices["material"]) - have):
        a, label, unit = annual_prices(ds, m)
        a = a.dropna()
        if len(a) >= 3:
            out.append((m, label, a.sort_index(), "A", unit))
    return out
