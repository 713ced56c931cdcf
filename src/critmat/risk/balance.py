"""A holder's supply balance of one material on the material's basis: who supplies it, how much
the holder uses, and how far it relies on imports, with the source of every figure.

The balance is built by the first method that the data allow, in this order (each row of every
output names the method used):

``usgs_salient``
    The USA, where USGS publishes apparent (or reported) consumption and imports on a
    contained basis: consumption and imports from the salient statistics, partners from the
    USGS import-source shares, NIR as published.
``trade_content``
    Extra-holder trade of the material's HS headings (CEPII BACI) converted to the basis with the
    content factors, own production from the production tables: ``C = P + I - E``.
``eu_sourcing``
    The EU27 for materials whose shipped headings are missing or cover only some forms (gallium,
    germanium, silicon metal, magnesium, refined nickel, indium, tin): partners from the EC 2023
    EU sourcing shares, import reliance as published by the EC, consumption = world production x
    the holder's demand share (below).
``group_split``
    A rare-earth element: the group's balance (REO) times the element's oxide share of REO
    (``element_shares``), so the elements never take the whole group's tonnes.
``world_supply``
    Any other holder without trade data: partners in proportion to world supply at the stage,
    consumption = world production x the holder's demand share.

The holder's *demand share* is the median, over the materials whose consumption is published or
measured from trade, of consumption / world production (interquartile range reported): a
labelled ``proxy``.

A material for which none of these works is returned with ``assessed = False`` and the reason.
"""

from __future__ import annotations

import copy
import dataclasses
import weakref
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from critmat.data.basis import basis_of, mass_to_basis, year_trade_on_basis
from critmat.data.dataset import Dataset, UnknownChoiceError
from critmat.data.units import UnitError
from critmat.data.views import SupplyTable, supply_by_country
from critmat.risk.balance_usgs import partner_frame, usgs_salient
from critmat.risk.exposure import extra_holder

__all__ = ["INCOMPLETE_TRADE", "Balance", "demand_share", "holder_balance", "world_production"]

#: Materials whose shipped HS headings miss the forms most of the trade is in (the holder's
#: import mix then comes from published sourcing shares where they exist).
INCOMPLETE_TRADE: dict[str, str] = {
    "nickel": "only nickel ore (HS 2604) is in the extract; refined nickel, matte and NPI are not",
    "germanium": "HS 8112.30 has quantities only for 2015-2016 in the extract",
    "gallium": "HS 8112.92 is not in the extract",
    "indium": "HS 8112.92 is not in the extract",
    "silicon": "HS 2804.61/69 are not in the extract",
    "magnesium": "HS 8104.11 is not in the extract",
    "tin": "HS 2609 and 8001 are not in the extract",
    # measured: US imports of the shipped headings on the content basis against the USGS
    # contained imports, 2023 (docs/methods.md, "Trade coverage")
    "manganese": "ferromanganese and silicomanganese are not in the extract (US check: 9% of "
    "USGS contained imports)",
    "chromium": "ferrochromium is not in the extract (US check: 3% of USGS contained imports)",
    "tungsten": "APT, oxides, carbide and ferrotungsten are not in the extract (US check: 19%)",
    "antimony": "antimony oxide and metal are not in the extract (US check: 0%)",
}

PARTNER_COLUMNS = [
    "partner",
    "imports_t",
    "imports_t_low",
    "imports_t_high",
    "imports_kusd",
    "exports_t",
    "exports_kusd",
    "flows_without_quantity",
]


@dataclass
class Balance:
    """The supply balance of one holder, material and year, on the material's basis (t/yr)."""

    holder: str
    material: str
    year: int
    basis: str
    method: str = ""
    partners: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=PARTNER_COLUMNS))
    production_t: float = 0.0
    consumption_t: float = float("nan")
    consumption_low_t: float = float("nan")
    consumption_high_t: float = float("nan")
    consumption_source: str = ""
    import_reliance: float = float("nan")
    ir_source: str = ""
    stage: str = ""
    status: str = ""
    notes: list[str] = field(default_factory=list)
    reason: str = ""
    exports_total_t: float | None = None  # published total when partners carry imports only

    @property
    def assessed(self) -> bool:
        return not self.reason

    @property
    def imports_t(self) -> float:
        return float(self.partners["imports_t"].sum())

    @property
    def exports_t(self) -> float:
        if self.exports_total_t is not None:
            return self.exports_total_t
        return float(self.partners["exports_t"].sum())

    def flows(self) -> pd.DataFrame:
        """Partners indexed by ISO3 (as exposure_terms takes them)."""
        return self.partners.set_index("partner")

    def summary(self) -> dict[str, object]:
        return {
            "holder": self.holder,
            "material": self.material,
            "year": self.year,
            "basis": self.basis,
            "unit": f"t {self.basis}",
            "method": self.method,
            "stage": self.stage,
            "production_t": self.production_t,
            "imports_t": self.imports_t if self.assessed else float("nan"),
            "exports_t": self.exports_t if self.assessed else float("nan"),
            "consumption_t": self.consumption_t,
            "consumption_low_t": self.consumption_low_t,
            "consumption_high_t": self.consumption_high_t,
            "consumption_source": self.consumption_source,
            "import_reliance": self.import_reliance,
            "ir_source": self.ir_source,
            "status": self.status if self.assessed else "not assessed",
            "reason": self.reason,
            "notes": "; ".join(self.notes),
        }


def _members(ds: Dataset, holder: str) -> set[str]:
    return set(ds.holder(holder).members)


def _tonnage_table(ds: Dataset, material: str, stage: str, year: int) -> SupplyTable | None:
    """The first-priority tonnage table of a stage, for the latest year at or before ``year``
    (else the earliest); ``None`` when the stage has only shares or nothing. Built once per
    dataset (read-only for callers)."""
    return ds.derived(
        ("tonnage_table", material, stage, year), lambda: _find_tonnage(ds, material, stage, year)
    )


def _find_tonnage(ds: Dataset, material: str, stage: str, year: int) -> SupplyTable | None:
    try:
        t = supply_by_country(ds, material, stage)
    except UnknownChoiceError:
        return None
    if t.share_only:
        return None
    p = ds.rows_of("production", material)
    sel = p[(p["stage"] == stage) & (p["dataset"] == t.dataset)]
    years = sorted(int(y) for y in sel["year"].unique())
    y = max([v for v in years if v <= year], default=years[0])
    return supply_by_country(ds, material, stage, y, t.dataset)


def world_production(ds: Dataset, material: str, year: int) -> tuple[float, str, str]:
    """World production on the basis (t/yr) at the material's main stage: (t, stage, source);
    built once per dataset."""
    return ds.derived(
        ("world_production", material, year), lambda: _world_production(ds, material, year)
    )


def _world_production(ds: Dataset, material: str, year: int) -> tuple[float, str, str]:
    for stage in ("refining", "mining"):
        t = _tonnage_table(ds, material, stage, year)
        if t is None:
            continue
        total = t.world_total if t.world_total else float(t.rows["value"].fillna(0.0).sum())
        try:
            v = mass_to_basis(ds, total, t.unit, t.basis, material)
        except UnitError:
            continue
        return v, stage, f"{t.dataset} {stage} {t.year}"
    return float("nan"), "", ""


def _own_production(ds: Dataset, material: str, members: set[str], year: int) -> tuple[float, str]:
    """The holder's production on the basis at the mining stage (refining if no mining)."""
    for stage in ("mining", "refining"):
        t = _tonnage_table(ds, material, stage, year)
        if t is None:
            continue
        rows = t.rows[t.rows["country"].isin(list(members))]
        total = float(rows["value"].fillna(0.0).sum())
        try:
            return mass_to_basis(
                ds, total, t.unit, t.basis, material
            ), f"{t.dataset} {stage} {t.year}"
        except UnitError:
            continue
    return 0.0, ""


def holder_balance(ds: Dataset, holder: str, material: str, year: int) -> Balance:
    """The holder's balance of a material (see the module docstring for the methods).

    Built once per dataset, holder, material and year (a plan asks for the same balance from
    the assessment, the market and the loss); each caller gets its own copy."""
    h = ds.resolve_holder(holder)
    mat = ds.resolve_material(material)
    kept = ds.derived(("holder_balance", h, mat, year), lambda: _balance(ds, h, mat, year))
    return copy.deepcopy(kept)


def _balance(ds: Dataset, h: str, mat: str, year: int) -> Balance:
    b = Balance(h, mat, year, basis_of(ds, mat))
    parents = ds.materials.set_index("material")["parent"].fillna("").astype(str)
    parent = parents.get(mat, "")
    es = ds.table("element_shares")
    if parent and mat in set(es["material"]):
        return _group_split(ds, b, parent, es[es["material"] == mat].iloc[0])
    if h == "USA" and usgs_salient(ds, b):
        return b
    members = _members(ds, h)
    ec_ir = _ec_import_reliance(ds, mat) if h == "EU27" else None
    if mat not in INCOMPLETE_TRADE or (h != "EU27" and _has_trade(ds, mat, members, year)):
        traded = _traded(ds, b, members) if h != "USA" else _trade_content(ds, b, members)
        if traded and b.consumption_t <= 0 and b.production_t <= 0:
            b = Balance(h, mat, year, b.basis)
            b.notes.append(
                "the shipped headings show net exports without own production: the imported "
                "forms are not in the extract, so the trade balance is not used"
            )
        elif b.method:
            if ec_ir is None:
                return b
            trade_ir = b.import_reliance
            if not (trade_ir == 0.0 and ec_ir[0] > 0.0):
                b.import_reliance, b.ir_source = ec_ir[0], ec_ir[1]
                b.notes.append(f"trade-based import reliance on the content basis {trade_ir:.0%}")
                return b
            fallback = Balance(h, mat, year, b.basis)
            fallback.notes.append(
                "the shipped headings show a net exporter while the EC 2023 import reliance is "
                f"{ec_ir[0]:.0%}: the imported forms are not in the extract"
            )
            b = fallback
    if (h == "EU27" and _eu_sourcing(ds, b, members)) or _world_supply(ds, b, members):
        if b.reason:  # why an earlier method did not apply
            b.notes.insert(0, b.reason)
            b.reason = ""
        return b
    if not b.reason:
        b.reason = "no trade, sourcing or world supply data to build a balance"
    return b


def _ec_import_reliance(ds: Dataset, mat: str) -> tuple[float, str] | None:
    inp = ds.table("eu_crm_inputs")
    inp = inp[inp["material"] == mat]
    if inp.empty:
        return None
    r = inp.iloc[0]
    stages = [str(r["bottleneck_stage"])] if r["bottleneck_stage"] else []
    for stage in [*stages, "refining", "mining"]:
        if stage in ("mining", "refining") and pd.notna(r[f"ir_{stage}"]):
            return float(r[f"ir_{stage}"]), f"EC 2023 EU import reliance ({stage})"
    return None


def _has_trade(ds: Dataset, mat: str, members: set[str], year: int) -> bool:
    t = year_trade_on_basis(ds, year, mat)
    mine = t["importer"].astype(str).isin(list(members)) & (t["quantity_basis_t"] > 0)
    return bool(mine.any())


def _traded(ds: Dataset, b: Balance, members: set[str]) -> bool:
    """:func:`_trade_content` on a new balance ``b``, computed once per dataset, holder,
    material and year (the balance itself and the holder's demand share both need it); ``b``
    takes the result's fields."""
    key = ("trade_content", b.holder, b.material, b.year)
    ok, kept = ds.derived(key, lambda: _fresh_trade_content(ds, b, members))
    for f in dataclasses.fields(kept):
        setattr(b, f.name, copy.deepcopy(getattr(kept, f.name)))
    return bool(ok)


def _fresh_trade_content(ds: Dataset, b: Balance, members: set[str]) -> tuple[bool, Balance]:
    fresh = Balance(b.holder, b.material, b.year, b.basis)
    return _trade_content(ds, fresh, members), fresh


def _trade_content(ds: Dataset, b: Balance, members: set[str]) -> bool:
    t = year_trade_on_basis(ds, b.year, b.material)
    if t.empty:
        b.reason = "no traded heading with a content factor in the shipped trade extract"
        return False
    cols = ["quantity_basis_t", "quantity_basis_t_low", "quantity_basis_t_high", "value_kusd"]
    i, e, nq = extra_holder(t, members, cols)
    if i["quantity_basis_t"].sum() <= 0:
        b.reason = f"no imports with quantities in {b.year} in the shipped trade extract"
        return False
    idx = i.index.union(e.index)
    fr = pd.DataFrame(
        {
            "partner": idx,
            "imports_t": i["quantity_basis_t"].reindex(idx).fillna(0.0).to_numpy(),
            "imports_t_low": i["quantity_basis_t_low"].reindex(idx).fillna(0.0).to_numpy(),
            "imports_t_high": i["quantity_basis_t_high"].reindex(idx).fillna(0.0).to_numpy(),
            "imports_kusd": i["value_kusd"].reindex(idx).fillna(0.0).to_numpy(),
            "exports_t": e["quantity_basis_t"].reindex(idx).fillna(0.0).to_numpy(),
            "exports_kusd": e["value_kusd"].reindex(idx).fillna(0.0).to_numpy(),
            "flows_without_quantity": nq.reindex(idx).fillna(0).astype(int).to_numpy(),
        }
    )
    b.partners = fr.sort_values("imports_t", ascending=False).reset_index(drop=True)
    prod, psrc = _own_production(ds, b.material, members, b.year)
    b.production_t = prod
    imp, exp = b.imports_t, b.exports_t
    lo = prod + float(fr["imports_t_low"].sum()) - float(e["quantity_basis_t_low"].sum())
    hi = prod + float(fr["imports_t_high"].sum()) - float(e["quantity_basis_t_high"].sum())
    b.consumption_t = prod + imp - exp
    b.consumption_low_t, b.consumption_high_t = min(lo, hi), max(lo, hi)
    hs = ",".join(sorted(set(t["hs6"].astype(str))))
    b.consumption_source = f"P + I - E: production {psrc or 'none'}; BACI HS {hs} x content factors"
    b.method, b.stage, b.status = "trade_content", "all forms", "derived"
    if b.consumption_t <= 0:
        b.import_reliance = 0.0
        b.notes.append("net exporter of the shipped headings on the content basis")
        b.consumption_t = max(b.consumption_t, 0.0)
    else:
        b.import_reliance = float(np.clip((imp - exp) / b.consumption_t, 0.0, 1.0))
    b.ir_source = "trade on the content basis: (I - E) / (P + I - E)"
    if b.material in INCOMPLETE_TRADE:
        b.notes.append(f"trade incomplete: {INCOMPLETE_TRADE[b.material]}")
    return True


def _eu_sourcing(ds: Dataset, b: Balance, members: set[str]) -> bool:
    inp = ds.table("eu_crm_inputs")
    inp = inp[inp["material"] == b.material]
    sh = ds.table("eu_crm_shares")
    sh = sh[(sh["material"] == b.material) & (sh["kind"] == "eu_sourcing")]
    if inp.empty or sh.empty:
        return False
    r = inp.iloc[0]
    stage = str(r["bottleneck_stage"]) or "refining"
    if stage not in set(sh["stage"]):
        stage = str(sh["stage"].iloc[0])
    s = sh[sh["stage"] == stage].set_index("country")["share"].astype(np.float64)
    s = s.groupby(level=0).sum()
    own = float(s[s.index.isin([*list(members), "EU27"])].sum())
    foreign = s[~s.index.isin([*list(members), "EU27"])]
    ir = r[f"ir_{stage}"]
    if pd.isna(ir):
        ir = 1.0 - own
    share, lo, hi = demand_share(ds, b.holder, b.year)
    world, _wstage, wsrc = world_production(ds, b.material, b.year)
    if not np.isfinite(world) or not np.isfinite(share):
        b.reason = "EC sourcing shares found but no world production on the basis to scale them"
        return False
    c = world * share
    imports = c * float(ir)
    w = foreign / foreign.sum() if foreign.sum() > 0 else foreign
    b.partners = partner_frame(w * imports, w * world * lo * float(ir), w * world * hi * float(ir))
    b.production_t = c * (1.0 - float(ir))
    b.consumption_t, b.consumption_low_t, b.consumption_high_t = c, world * lo, world * hi
    b.consumption_source = (
        f"proxy: world production ({wsrc}) x {b.holder} demand share {share:.1%} "
        f"(IQR {lo:.1%}-{hi:.1%}, median over materials with trade data)"
    )
    b.import_reliance, b.ir_source = float(ir), f"EC 2023 import reliance ({stage})"
    b.method, b.stage, b.status = "eu_sourcing", stage, "secondary"
    b.notes.append(f"import partners: EC 2023 EU sourcing shares ({stage})")
    if b.material in INCOMPLETE_TRADE:
        b.notes.append(f"trade not used: {INCOMPLETE_TRADE[b.material]}")
    return True


def _world_supply(ds: Dataset, b: Balance, members: set[str]) -> bool:
    world, stage, wsrc = world_production(ds, b.material, b.year)
    share, lo, hi = demand_share(ds, b.holder, b.year)
    if not np.isfinite(world) or not np.isfinite(share):
        b.reason = (b.reason + "; " if b.reason else "") + "no world production on the basis"
        return False
    t = supply_by_country(ds, b.material, stage)
    s = t.rows.set_index("country")["share"].astype(np.float64).fillna(0.0)
    s = s[~s.index.isin(list(members))]
    prod, _ = _own_production(ds, b.material, members, b.year)
    c = world * share
    imports = max(c - prod, 0.0)
    w = s / s.sum() if s.sum() > 0 else s
    b.partners = partner_frame(
        w * imports, w * max(world * lo - prod, 0), w * max(world * hi - prod, 0)
    )
    b.production_t = prod
    b.consumption_t, b.consumption_low_t, b.consumption_high_t = c, world * lo, world * hi
    b.consumption_source = (
        f"proxy: world production ({wsrc}) x {b.holder} demand share {share:.1%} "
        f"(IQR {lo:.1%}-{hi:.1%})"
    )
    b.import_reliance = float(np.clip(imports / c, 0.0, 1.0)) if c > 0 else float("nan")
    b.ir_source = "proxy: 1 - own production / consumption"
    b.method, b.stage, b.status = "world_supply", stage, "proxy"
    b.notes.append(f"import partners in proportion to world {stage} supply ({t.dataset} {t.year})")
    return True


def _group_split(ds: Dataset, b: Balance, parent: str, es: pd.Series) -> Balance:
    g = _balance(ds, b.holder, parent, b.year)
    if not g.assessed:
        b.reason = f"the {parent} group balance is not available: {g.reason}"
        return b
    share, lo, hi = float(es["share"]), float(es["share_low"]), float(es["share_high"])
    p = g.partners.copy()
    for col in ("imports_t", "exports_t"):
        p[col] = p[col] * share
    p["imports_t_low"] = g.partners["imports_t_low"] * lo
    p["imports_t_high"] = g.partners["imports_t_high"] * hi
    p["imports_kusd"] = g.partners["imports_kusd"] * share
    p["exports_kusd"] = g.partners["exports_kusd"] * share
    b.partners = p
    b.production_t = g.production_t * share
    b.consumption_t = g.consumption_t * share
    b.consumption_low_t, b.consumption_high_t = g.consumption_low_t * lo, g.consumption_high_t * hi
    b.consumption_source = (
        f"{parent} ({g.method}) x {b.basis} share of REO {share:g} ({lo:g}-{hi:g})"
    )
    b.import_reliance, b.ir_source = g.import_reliance, f"as the {parent} group ({g.ir_source})"
    b.method, b.stage, b.status = "group_split", g.stage, "derived"
    b.notes = [f"element share of the group: {es['notes']}", *g.notes]
    return b


#: per dataset (weakly held, so a dataset's results never outlive it or reach another one)
_SHARES: weakref.WeakKeyDictionary[Dataset, dict[tuple[str, int], tuple[float, float, float]]] = (
    weakref.WeakKeyDictionary()
)


def demand_share(ds: Dataset, holder: str, year: int) -> tuple[float, float, float]:
    """The holder's share of world demand: median and interquartile range, over the seed
    materials whose consumption is published (USGS) or measured from trade, of consumption /
    world production (a proxy)."""
    cache = _SHARES.setdefault(ds, {})
    key = (holder, year)
    if key in cache:
        return cache[key]
    members = _members(ds, holder)
    ratios = []
    seeds = ds.materials.loc[ds.materials["seed"].astype(bool), "material"]
    for mat in seeds:
        if mat in INCOMPLETE_TRADE or mat in set(ds.table("element_shares")["material"]):
            continue
        b = Balance(holder, mat, year, basis_of(ds, mat))
        if holder == "USA":
            ok = usgs_salient(ds, b) or _trade_content(ds, b, members)
        else:
            ok = _traded(ds, b, members)
        if not ok or b.consumption_t <= 0:
            continue
        world, _, _ = world_production(ds, mat, year)
        if np.isfinite(world) and world > 0:
            ratios.append(min(b.consumption_t / world, 1.0))
    if len(ratios) < 3:
        out = (float("nan"),) * 3
    else:
        q = np.quantile(ratios, [0.5, 0.25, 0.75])
        out = (float(q[0]), float(q[1]), float(q[2]))
    cache[key] = out
    return out
