"""GeoPolRisk on the basis its publications use, or on critmat's content basis.

The method (Gemechu et al. 2016; Santillan-Saldivar et al. 2021; Koyamparambath et al. 2024,
docs/methods.md 5.4)::

    WTA      = sum_i g_i f_i / (p + F)
    score    = HHI * WTA
    midpoint = score * price

is published on **traded quantities as reported**: ``f_i`` the tonnes (gross weight) of the
material's HS headings imported from ``i`` (CEPII BACI), ``p`` the holder's mine production as
World Mining Data reports it, and the price the average unit value of the headings' world trade
(USD/kg of the goods). That is the default here (``basis="as_traded"``): the published figures can
be reproduced. ``basis="content"`` runs the same formula on the holder's balance on the
material's content basis (imports of every traded form x content factors, or USGS's published
imports, and the published price on the basis): comparable across materials, not with the papers.
The two differ most where the holder imports refined metal and the headings are ores (the USA's
nickel: 164 kt of Ni content in primary nickel against a few tonnes of ore).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from critmat.data.basis import PriceQuote
from critmat.data.dataset import Dataset, UnknownChoiceError
from critmat.data.views import available_supply, supply_by_country
from critmat.risk.exposure import extra_holder
from critmat.risk.indices import geopolrisk_wta
from critmat.risk.inputs import AssessmentInputs

__all__ = ["GPR_BASES", "GprBasis", "TradedInputs", "as_traded", "gpr_row"]

GprBasis = Literal["as_traded", "content"]
GPR_BASES: tuple[str, ...] = ("as_traded", "content")


@dataclass(frozen=True)
class TradedInputs:
    """GeoPolRisk's inputs as its publications take them (units in the field names)."""

    imports_t: pd.Series  #: gross t of the material's headings, by exporting country
    production_t: float  #: the holder's mine production, World Mining Data unit
    production_source: str
    unit_value_usd_per_kg: float  #: world trade of the headings: value / quantity
    headings: str


def as_traded(ds: Dataset, members: Iterable[str], material: str, year: int) -> TradedInputs | None:
    """The holder's imports of the material's headings in gross tonnes, its mine production
    (World Mining Data where it covers the material, else the first tonnage source) and the
    headings' world unit value; ``None`` when the trade extract has no quantity for them."""
    tr = ds.trade
    t = tr[(tr["material"] == material) & (tr["year"] == year)]
    t = t[t["quantity_t"].notna() & (t["quantity_t"] > 0)]
    if t.empty:
        return None
    imports, _, _ = extra_holder(t, members, ["quantity_t", "value_kusd"])
    world_q = float(t["quantity_t"].sum())
    uv = float(t["value_kusd"].sum()) * 1e3 / (world_q * 1e3)  # USD per kg of goods
    prod, src = _mine_production(ds, set(members), material, year)
    return TradedInputs(
        imports["quantity_t"].astype(np.float64),
        prod,
        src,
        uv,
        ",".join(sorted(set(t["hs6"].astype(str)))),
    )


def _mine_production(ds: Dataset, members: set[str], material: str, year: int) -> tuple[float, str]:
    for dataset in ("wmd2026", None):
        try:
            tab = supply_by_country(ds, material, "mining", dataset=dataset)
        except UnknownChoiceError:
            continue
        if tab.share_only:
            continue
        av = available_supply(ds, material)
        av = av[(av["stage"] == "mining") & (av["dataset"] == tab.dataset)]
        years = sorted({int(y) for y in av["year"]})
        use = max([y for y in years if y <= year], default=years[0])
        if use != tab.year:
            tab = supply_by_country(ds, material, "mining", year=use, dataset=tab.dataset)
        own = tab.rows[tab.rows["country"].isin(list(members))]["value"].fillna(0.0).sum()
        return float(own), f"{tab.dataset} mining {tab.year} ({tab.unit}, {tab.basis})"
    return 0.0, "no mine production in the dataset (taken as 0)"


def gpr_row(
    base: dict[str, object],
    flows: pd.DataFrame | None,
    traded: TradedInputs | None,
    g: pd.Series,
    prod_t: float,
    price: PriceQuote | None,
    inp: AssessmentInputs,
    basis: str,
    defaults: list[str],
    notes: list[str],
) -> dict[str, object]:
    """The ``geopolrisk`` row of one material and stage (``base`` holds the stage's HHI)."""
    n = list(notes)
    if basis == "as_traded" and (traded is None or traded.imports_t.sum() <= 0):
        basis = "content"  # labelled: the row's gpr_basis and notes say so
        n.append(
            "not computable as traded (no imports with quantities of the material's headings "
            "in the extract): content basis used"
        )
    if basis == "as_traded" and traded is not None:
        f = traded.imports_t
        g_exp = pd.Series([g.get(c, inp.missing_governance) for c in f.index], f.index)
        wta = geopolrisk_wta(f, g_exp, traded.production_t)
        uv = traded.unit_value_usd_per_kg
        n.append(
            f"as published: imports in gross t of HS {traded.headings} (BACI), own "
            f"production {traded.production_t:,.0f} ({traded.production_source}), price the "
            f"headings' world unit value {uv:.3g} USD/kg"
        )
    else:
        uv = price.usd_per_t / 1e3 if price is not None else float("nan")  # USD/kg of the basis
        if flows is None or flows["imports_t"].sum() <= 0:
            wta = float("nan")
            if flows is not None:
                n.append("no imports with quantities")
        else:
            gi = g.reindex(flows.index).fillna(inp.missing_governance)
            wta = geopolrisk_wta(flows["imports_t"], gi, prod_t)
        n.append("content basis: the holder's balance on the material's basis")
        if price is not None:
            n.append(
                f"price {price.as_printed} ({price.source}, {price.price_year}, {price.status})"
            )
    score = float(base["hhi"]) * wta  # type: ignore[arg-type]
    midpoint = score * uv
    if inp.copper_midpoint is None:
        cf = float("nan")
        n.append("CF not computed: copper midpoint input missing (no copper trade in extract)")
    else:
        cf = midpoint / inp.copper_midpoint
    return {
        **base,
        "method": "geopolrisk",
        "gpr_basis": basis,
        "score": score,
        "wta": wta,
        "price_usd_per_kg_basis": uv if basis == "content" else float("nan"),
        "unit_value_usd_per_kg_traded": uv if basis == "as_traded" else float("nan"),
        "midpoint": midpoint,
        "cf": cf,
        "defaults": "; ".join(defaults),
        "notes": "; ".join(n),
    }
