"""Literature price elasticities of metal demand and supply (GLOMBO database, mostly Dahl's MEDS).

Rows flagged in the input as wrong-sign, probable mis-filings or duplicates are left out (the
flag text says why); every kept row names its study. Types are normalised: ``demand`` (own-price
elasticity of demand, also primary demand) and ``supply`` (primary supply); scrap and
intensity-of-use estimates are not used by the simulator and are left out.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

GLOMBO = "GLOMBO literature database (Ryter et al.), mostly from Dahl's MEDS"
TYPES = {
    "demand_price": "demand",
    "primary_demand_price": "demand",
    "primary_supply_price": "supply",
    "supply_price": "supply",
}


def elasticity_estimates(raw: Path) -> pd.DataFrame:
    e = pd.read_csv(raw / "metal_price_elasticities.csv")
    e = e[e["flags"].isna() & e["elasticity_type"].isin(list(TYPES))].copy()
    out = pd.DataFrame(
        {
            "material": e["material"].values,
            "kind": e["elasticity_type"].map(TYPES).values,
            "horizon": e["horizon"].values,
            "value": e["value"].astype(float).values,
            "study": e["publication"].fillna("").astype(str).values,
            "method": e["method"].fillna("").astype(str).values,
            "period": e["estimation_period"].fillna("").astype(str).values,
            "region": e["region_or_notes"].fillna("").astype(str).values,
            "source": [f"{GLOMBO}; {s}" for s in e["source"]],
            "status": e["status"].values,
            "notes": "",
        }
    )
    out = out.reset_index(drop=True)
    pairs = zip(out["material"], out["kind"], strict=True)
    ids = [f"{m}-{k}-{i:03d}" for i, (m, k) in enumerate(pairs)]
    out.insert(0, "estimate", ids)
    return out
