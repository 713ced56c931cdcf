"""Literature price elasticities as ranges (table ``elasticity_estimates``; GLOMBO / Dahl MEDS).

Estimates scatter widely, so they are used as ranges, never as one number: the interquartile
range of the estimates of a material, kind (demand or supply) and horizon, with the median and
the count beside it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from critmat.data.dataset import Dataset

__all__ = ["literature_ranges", "long_run_response", "pooled_range"]


def literature_ranges(ds: Dataset) -> pd.DataFrame:
    """Per material, kind and horizon: n, min, 25th percentile, median, 75th percentile, max."""
    e = ds.table("elasticity_estimates")
    g = e.groupby(["material", "kind", "horizon"])["value"]
    out = g.agg(
        n="size",
        min="min",
        p25=lambda v: float(np.percentile(v, 25)),
        median="median",
        p75=lambda v: float(np.percentile(v, 75)),
        max="max",
    )
    out["studies"] = e.groupby(["material", "kind", "horizon"])["study"].nunique()
    return out.reset_index()


def pooled_range(ds: Dataset, kind: str = "demand", horizon: str = "short_run") -> dict[str, float]:
    """The estimates of all metals pooled for one kind and horizon: 25th, 50th, 75th percentile
    and the count (a range for metals without estimates of their own)."""
    e = ds.table("elasticity_estimates")
    v = e.loc[(e["kind"] == kind) & (e["horizon"] == horizon), "value"].astype(float).to_numpy()
    if v.size == 0:
        return {"p25": float("nan"), "median": float("nan"), "p75": float("nan"), "n": 0.0}
    p25, med, p75 = np.percentile(v, [25, 50, 75])
    return {"p25": float(p25), "median": float(med), "p75": float(p75), "n": float(v.size)}


def long_run_response(ds: Dataset) -> tuple[float, str]:
    """``eta_l - eps_l``: the pooled median long-run supply elasticity minus the pooled median
    long-run demand elasticity of the shipped estimates (the long-run response the price
    exponent moves to as a loss lasts; docs/methods.md 6.6), with its provenance."""
    s = pooled_range(ds, "supply", "long_run")
    d = pooled_range(ds, "demand", "long_run")
    if not (s["n"] and d["n"]):
        return 0.0, "no long-run estimates in elasticity_estimates: long-run response off"
    return float(s["median"] - d["median"]), (
        f"median long-run supply elasticity {s['median']:.3f} ({int(s['n'])} estimates) minus "
        f"median long-run demand elasticity {d['median']:.3f} ({int(d['n'])} estimates), "
        "elasticity_estimates (GLOMBO / Dahl MEDS; aluminium, copper, nickel)"
    )


def default_uncertainty(ds: Dataset, elasticity: float) -> dict[str, tuple[float, float]]:
    """Per-run parameter ranges (multiplicative factors) used when parameter uncertainty is on:
    the demand elasticity over the interquartile range of the pooled short-run literature
    estimates relative to ``elasticity``, the other suppliers' spare capacity x0.5-x1.5 (a
    labelled assumption), the months buyers need to switch sellers x1/3-x3 (1-9 months around
    3, a labelled assumption) and the market stocks over the widest of ``market_response``'s ranges
    relative to their values (x0.4-x2: gallium 6-24 months around 15, the default 1-4 around
    2)."""
    r = pooled_range(ds, "demand", "short_run")
    # the months to switch sellers: 1-9 around 3 (SimParams.switch_months)
    out: dict[str, tuple[float, float]] = {
        "spare_capacity": (0.5, 1.5),
        "switch_months": (1 / 3, 3.0),
    }
    # market stocks: the widest of market_response's ranges relative to their values
    t = ds.table("market_response")
    st = t[(t["parameter"] == "stock_months") & (t["value"] > 0)]
    if not st.empty:
        lo, hi = float((st["low"] / st["value"]).min()), float((st["high"] / st["value"]).max())
        out["buffer_months"] = (round(lo, 3), round(hi, 3))
    if r["n"] and elasticity < 0:
        lo, hi = sorted((r["p75"] / elasticity, r["p25"] / elasticity))
        out["elasticity"] = (round(lo, 3), round(hi, 3))
    return out
