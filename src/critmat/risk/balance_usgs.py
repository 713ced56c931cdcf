"""A holder's balance from the USGS salient statistics (the USA's published consumption, net
import reliance and import sources), and the partner table every balance method fills
(critmat.risk.balance)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from critmat.data.countries import AGGREGATES
from critmat.data.dataset import Dataset

if TYPE_CHECKING:
    from critmat.risk.balance import Balance

__all__ = ["partner_frame", "usgs_salient"]


@dataclass(frozen=True)
class _Salient:
    """Where a material's figures sit in the USGS salient statistics (indicator prefixes)."""

    src: str = ""
    cons: tuple[str, ...] = ("Consumption",)
    imp: tuple[str, ...] = ("Imports for consumption",)
    exp: tuple[str, ...] = ("Exports",)
    cat: str = ""
    nir: str = "Net import reliance"
    prod: str = "Production"


#: Per-material reading of the USGS MCS 2026 salient statistics (default: the plain indicators).
USGS_SALIENT: dict[str, _Salient] = {
    "nickel": _Salient(
        cons=("Consumption: Apparent, total",),
        imp=("Imports:",),
        cat="Primary nickel",
        prod="Production: Mine",
    ),
    "silicon": _Salient(
        imp=("Imports for consumption: Silicon metal",),
        exp=("Exports: Silicon metal",),
        cat="Silicon metal",
        nir="Net import reliance as a percentage of apparent consumption: Silicon",
    ),
    "palladium": _Salient(
        "pgms",
        ("Consumption, apparent: Palladium",),
        ("Imports for consumption: Palladium",),
        ("Exports: Palladium",),
        "Palladium",
        "Net import reliance as a percentage of apparent consumption: Palladium",
        "Mine production: Palladium",
    ),
    "platinum": _Salient(
        "pgms",
        ("Consumption, apparent: Platinum",),
        ("Imports for consumption: Platinum",),
        ("Exports: Platinum",),
        "Platinum",
        "Net import reliance as a percentage of apparent consumption: Platinum",
        "Mine production: Platinum",
    ),
    "gallium": _Salient(imp=("Imports for consumption: Metal",)),
    "rare_earths": _Salient(
        cons=("Consumption, apparent",),
        imp=("Imports:",),
        exp=("Exports:",),
        prod="Production: Mineral concentrates",
    ),
}


def _first(rows: pd.DataFrame, prefixes: tuple[str, ...]) -> pd.DataFrame:
    ind = rows["indicator"].astype(str)
    return rows[ind.str.startswith(prefixes)].dropna(subset=["value"])


def usgs_salient(ds: Dataset, b: Balance) -> bool:
    spec = USGS_SALIENT.get(b.material, _Salient())
    hi = ds.holder_indicators
    src_mat = spec.src or b.material
    rows = hi[(hi["holder"] == "USA") & (hi["material"] == src_mat) & (hi["year"] == b.year)]
    imp, exp = _first(rows, spec.imp), _first(rows, spec.exp)
    src = ds.import_sources
    src = src[(src["holder"] == "USA") & (src["material"] == src_mat)]
    if rows.empty or imp.empty or src.empty:
        return False
    unit = str(imp["unit"].iloc[0])
    total_imp = float(imp["value"].sum()) * _t(unit)
    total_exp = float(exp["value"].sum()) * _t(unit)
    nir = _first(rows, (spec.nir,))
    cons = _first(rows, spec.cons)
    if len(cons):
        pref = cons[cons["indicator"].str.contains("pparent")]
        c = (pref if len(pref) else cons).iloc[0]
        consumption = float(c["value"]) * _t(str(c["unit"]))
        b.consumption_source = f"USGS MCS 2026 salient statistics: {c['indicator']} {b.year}"
        b.status = "published"
    elif len(nir) and float(nir["value"].iloc[0]) > 0 and total_imp > total_exp:
        r = nir.iloc[0]
        consumption = (total_imp - total_exp) / (float(r["value"]) / 100.0)
        bound = (
            " (NIR printed as a lower bound, so this is an upper bound)"
            if str(r["flag"]) == "greater_than"
            else ""
        )
        b.consumption_source = (
            f"derived: (imports - exports) / NIR {r['raw_value']}%, USGS MCS 2026 {b.year}{bound}"
        )
        b.status = "derived"
    else:
        return False
    cats = list(dict.fromkeys(src["import_category"]))
    cat = spec.cat or next(
        (x for x in cats if x.lower().startswith(("all", "total", "combined"))), cats[0]
    )
    s = src[src["import_category"].str.startswith(cat)]
    shares = s.set_index("partner")["share"].astype(np.float64)
    shares = shares.groupby(level=0).sum() / shares.sum()
    b.partners = partner_frame(shares * total_imp, shares * total_imp, shares * total_imp)
    b.exports_total_t = total_exp
    b.method, b.stage = "usgs_salient", "all forms"
    b.consumption_t = b.consumption_low_t = b.consumption_high_t = consumption
    if len(nir):
        b.import_reliance = float(nir["value"].iloc[0]) / 100.0
        b.ir_source = f"USGS published NIR {nir['raw_value'].iloc[0]}%"
    prod = _first(rows, (spec.prod,))
    b.production_t = (
        float(prod["value"].iloc[0]) * _t(str(prod["unit"].iloc[0])) if len(prod) else 0.0
    )
    b.notes.append(
        f"imports {total_imp:,.0f} t and exports {total_exp:,.0f} t ({b.basis} content, USGS); "
        f"partners: USGS import sources '{cat}' ({s['period'].iloc[0]})"
    )
    return True


def _t(unit: str) -> float:
    return {"t": 1.0, "kt": 1e3, "kg": 1e-3}.get(unit, 1.0)


def partner_frame(imp: pd.Series, low: pd.Series, high: pd.Series) -> pd.DataFrame:
    imp = imp[~imp.index.isin(list(AGGREGATES)) | (imp > 0)]
    return pd.DataFrame(
        {
            "partner": imp.index.astype(str),
            "imports_t": imp.to_numpy(np.float64),
            "imports_t_low": low.reindex(imp.index).to_numpy(np.float64),
            "imports_t_high": high.reindex(imp.index).to_numpy(np.float64),
            "imports_kusd": np.full(len(imp), np.nan),
            "exports_t": np.zeros(len(imp)),
            "exports_kusd": np.zeros(len(imp)),
            "flows_without_quantity": np.zeros(len(imp), dtype=int),
        }
    )
