"""The holder's market as arrays: baseline demand, sourcing, world shares, prices, sectors.

Built once from the dataset (:func:`build_market`) and then used by the pure, vectorised engine.
Baseline monthly demand is the holder's apparent consumption from trade and own production,
``(P + I - E) / 12`` in tonnes of the traded forms (docs/methods.md, "Simulate"); the holder's
supply is split into its own production and imports by partner; world supply shares per stage
come from the production tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from critmat.data.countries import AGGREGATES
from critmat.data.dataset import Dataset, UnknownChoiceError
from critmat.data.units import convert_mass
from critmat.data.views import supply_by_country

__all__ = ["STAGES", "Market", "SimParams", "build_market"]

STAGES: tuple[str, ...] = ("mining", "refining")
F32 = npt.NDArray[np.float32]


@dataclass(frozen=True)
class SimParams:
    """Behavioural parameters; every default is a labelled assumption (docs/methods.md).

    ``elasticity``: short-run price elasticity of demand (constant-elasticity market); -0.1 is the
    order of magnitude used for small metal markets (a sourced per-material set is a known gap).
    """

    elasticity: float = -0.1
    price_cap: float = 10.0
    spare_capacity: float = 0.10
    ramp_months: int = 6
    demand_adjust_months: int = 12
    substitution_max: float = 0.20
    substitution_rate: float = 0.01
    high_price: float = 1.5
    targeted_world_factor: float = 0.5
    defence_share: float = 0.05
    value_added_multiplier: float = 10.0
    outage_threshold: float = 0.5


@dataclass
class Market:
    """Arrays the engine needs, for M materials and C countries (index order = lists)."""

    holder: str
    year: int
    materials: list[str]
    countries: list[str]
    demand0: F32  # [M] t/month
    price0: F32  # [M] USD/t (holder's import unit value)
    recycling: F32  # [M] EoL-RIR fraction of supply
    import_share: F32  # [M, C] share of holder supply from imports of country c
    world_share: F32  # [2, M, C] world supply share by stage
    export_share: F32  # [M, C] share of world exports (t, BACI) of the material's HS headings
    sectors: list[str]  # priority order: defence first
    sector_share: F32  # [M, K]
    notes: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)  # the holder's own economies (ISO3)
    world_exports_t: F32 = field(default_factory=lambda: np.zeros(0, np.float32))  # [M] t/yr

    @property
    def n_materials(self) -> int:
        return len(self.materials)

    def index(self, material: str) -> int:
        if material not in self.materials:
            raise UnknownChoiceError("material in this market", material, self.materials)
        return self.materials.index(material)

    def country_index(self, country: str) -> int:
        return self.countries.index(country) if country in self.countries else -1


def _sector_shares(ds: Dataset, materials: list[str], defence: float) -> tuple[list[str], F32]:
    eu = ds.end_uses
    eu = eu[(eu["region"] == "WLD") & (eu["parent_sector"] == "")]
    names = ["defence", "clean energy", "industry", "other"]
    clean = ("Electric vehicles", "Grid battery storage", "Solar PV", "Wind", "batteries")
    out = np.zeros((len(materials), len(names)), dtype=np.float32)
    for i, m in enumerate(materials):
        g = eu[eu["material"] == m]
        if g.empty:
            out[i] = [defence, 0.0, 0.0, 1.0 - defence]
            continue
        g = g[g["year"] == g["year"].max()]
        g = g[g["source"] == g["source"].iloc[0]]
        ce = float(g.loc[g["sector"].str.startswith(clean), "share"].sum())
        other = float(g.loc[g["sector"].str.contains("other", case=False), "share"].sum())
        ind = max(0.0, float(g["share"].sum()) - ce - other)
        tot = ce + ind + other
        tot = tot if tot > 0 else 1.0
        out[i] = [defence, *(x / tot * (1.0 - defence) for x in (ce, ind, other))]
    return names, out


def build_market(
    ds: Dataset,
    holder: str,
    year: int,
    materials: list[str] | None = None,
    params: SimParams | None = None,
) -> Market:
    """Build the market of a holder for a base year from the dataset.

    Materials without trade data for the holder are left out, and the market's ``notes`` say so.
    """
    from critmat.risk.assess import sourcing_mix

    p = params or SimParams()
    h = ds.resolve_holder(holder)
    seeds = ds.materials.loc[ds.materials["seed"].astype(bool), "material"].tolist()
    wanted = [ds.resolve_material(m) for m in materials] if materials else seeds
    members = set(str(ds.holders.set_index("holder").loc[h, "members"]).split(";"))
    notes: list[str] = []
    trade = ds.trade[ds.trade["year"] == year]
    trade = trade.assign(hs6=trade["hs6"].astype(str), exporter=trade["exporter"].astype(str))
    mats_tab = ds.materials.set_index("material")
    rows = []
    for mat in wanted:
        mix = sourcing_mix(ds, h, year, mat)
        if mix.empty or mix["imports_t"].sum() <= 0:
            notes.append(f"{mat}: left out (no import data for {h} in {year})")
            continue
        world = {}
        own = 0.0
        for stage in STAGES:
            try:
                t = supply_by_country(ds, mat, stage)
            except UnknownChoiceError:
                continue
            world[stage] = t.rows.set_index("country")["share"].fillna(0.0)
            if not t.share_only and stage == "mining":
                mem = t.rows[t.rows["country"].isin(list(members))]["value"].fillna(0.0).sum()
                own = float(convert_mass(float(mem), t.unit, "t"))
        if not world:
            notes.append(f"{mat}: left out (no world supply shares)")
            continue
        imports = float(mix["imports_t"].sum())
        uv = float(mix["imports_kusd"].sum() / imports * 1e3)
        codes = str(mats_tab.loc[mat, "hs_codes"]).split(";")
        if mats_tab.loc[mat, "parent"]:
            codes += str(mats_tab.loc[str(mats_tab.loc[mat, "parent"]), "hs_codes"]).split(";")
        exp = trade[trade["hs6"].isin(codes)].groupby("exporter")["quantity_t"].sum()
        world_t = float(exp.sum())
        exp = exp / world_t if world_t > 0 else exp
        rows.append((mat, mix, world, own, imports, uv, exp, world_t))
    if not rows:
        raise UnknownChoiceError(f"material with trade data for {h} {year}", wanted, seeds)
    countries = sorted(
        {c for _, mix, *_ in rows for c in mix["partner"]}
        | {c for _, _, world, *_ in rows for s in world.values() for c in s.index}
        | {c for *_, exp, _ in rows for c in exp.index}
    )
    countries = [c for c in countries if c not in AGGREGATES]
    ci = {c: i for i, c in enumerate(countries)}
    m_n, c_n = len(rows), len(countries)
    demand0 = np.zeros(m_n, np.float32)
    price0 = np.zeros(m_n, np.float32)
    imp = np.zeros((m_n, c_n), np.float32)
    wsh = np.zeros((2, m_n, c_n), np.float32)
    xsh = np.zeros((m_n, c_n), np.float32)
    eol = ds.materials.set_index("material")["eol_rir"]
    rec = np.zeros(m_n, np.float32)
    wx = np.zeros(m_n, np.float32)
    for i, (mat, mix, world, own, imports, uv, exp, world_t) in enumerate(rows):
        wx[i] = world_t
        for c, v in exp.items():
            if c in ci:
                xsh[i, ci[c]] = v
        total = own + imports  # supply to the holder before exports
        demand0[i] = total / 12.0
        price0[i] = uv
        for c, s in zip(mix["partner"], mix["share"], strict=True):
            if c in ci:
                imp[i, ci[c]] = s * imports / total
        for k, stage in enumerate(STAGES):
            other = "refining" if stage == "mining" else "mining"
            s = world[stage] if stage in world else world[other]
            for c, v in s.items():
                if c in ci:
                    wsh[k, i, ci[c]] = v
        rec[i] = 0.0 if pd.isna(eol.get(mat)) else float(eol[mat])
    sectors, sshare = _sector_shares(ds, [r[0] for r in rows], p.defence_share)
    return Market(
        holder=h,
        year=year,
        materials=[r[0] for r in rows],
        countries=countries,
        demand0=demand0,
        price0=price0,
        recycling=rec,
        import_share=imp,
        world_share=wsh,
        export_share=xsh,
        sectors=sectors,
        sector_share=sshare,
        notes=notes,
        members=sorted(members),
        world_exports_t=wx,
    )
