"""The holder's market as arrays: baseline demand, sourcing, world shares, prices, sectors.

Built once from the dataset (:func:`build_market`) and then used by the pure, vectorised engine.
Baseline monthly demand is the holder's consumption on each material's basis divided by 12 (the
holder balance of :mod:`critmat.risk.balance`, docs/methods.md, "Simulate"); the holder's supply is
split into its own production and imports by partner; world supply shares per stage come from the
production tables; prices are USD per tonne of the basis.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from critmat.data.basis import PriceQuote, basis_price, year_trade_on_basis
from critmat.data.countries import AGGREGATES
from critmat.data.dataset import Dataset, UnknownChoiceError
from critmat.data.schemas_market import MARKET_PARAMETERS
from critmat.data.views import supply_by_country
from critmat.risk.balance import Balance, holder_balance, world_production
from critmat.sim.downstream import gdp_curves
from critmat.sim.loss import value_added_per_tonne

__all__ = ["STAGES", "UNCERTAIN", "Market", "SimParams", "build_market", "market_response"]

#: Parameters that can be drawn per run (SimParams.uncertainty).
UNCERTAIN: tuple[str, ...] = (
    "elasticity",
    "spare_capacity",
    "loss",
    "precaution",
    "buffer_months",
    "long_run_months",
    "switch_months",
)

STAGES: tuple[str, ...] = ("mining", "refining")
F32 = npt.NDArray[np.float32]


@dataclass(frozen=True)
class SimParams:
    """Behavioural parameters; every default is a labelled assumption (docs/methods.md).

    The world price responds to the share ``L`` of world supply lost and to precautionary and
    speculative inventory demand ``I`` (docs/methods.md, "Price response")::

        draw_t = min(S_t, L_t),  Le_t = L_t - draw_t      (world stocks S absorb the loss)
        p / p0 = clip(((1 + I) / (1 - Le)) ** (1 / e_t), price_floor, price_cap)
        e_t = (eta - eps_m) + (long_run_response - (eta - eps_m)) * (1 - exp(-a_t / T))
        I_t = precaution * (L_t - Lbar_{t-1}),  Lbar_t = Lbar_{t-1} + (L_t - Lbar_{t-1}) / tau

    with ``a_t`` the months the current loss has lasted and ``T`` = ``long_run_months`` (the
    long-run response is off when ``long_run_response`` is 0).

    ``elasticity``: short-run price elasticity of demand ``eps`` (-0.1 is the order of magnitude
    used for small metal markets), overridden per material by ``elasticities``;
    ``supply_elasticity``: ``eta``, the short-run response of the other producers;
    ``precaution`` and ``precaution_months`` (``tau``): buyers and traders build stocks when a
    loss appears and release them as it fades (a spike and its collapse); ``price_floor`` below
    1 lets the price fall under its base when those stocks come back; ``buffer_months``: world
    stocks (industry, traders, exchanges) in months of world supply that cover a loss while they
    last, rebuilt over ``buffer_refill_months`` once it ends. The defaults (eta = 0, no
    precautionary demand, no buffer, floor 1) are the constant-elasticity market of the first
    version.
    """

    elasticity: float = -0.1
    price_cap: float = 10.0
    supply_elasticity: float = 0.0
    precaution: float = 0.0
    precaution_months: float = 6.0
    price_floor: float = 1.0
    buffer_months: float = 0.0
    buffer_refill_months: float = 12.0
    #: eta_l - eps_l: the long-run supply and demand response the exponent's denominator moves to
    #: as a loss lasts (0: off); the pooled literature medians give 0.935 + 0.305 = 1.24
    long_run_response: float = 0.0
    #: months for that adjustment (1 - exp(-age / T)); calibrated (docs/methods.md 6.6)
    long_run_months: float = 24.0
    #: the world market's mechanisms per material (market stocks with the storage price, the
    #: supply response outside the restricting country, leakage; ``market_response`` table,
    #: docs/methods.md 6.3); False: the market of the first version
    world_market: bool = True
    #: storage price exponent: with market stocks at S of their level S0 the price is at least
    #: (S0 / S) ** beta (calibrated on GAGE-2023, docs/methods.md 6.3; range 0.3-1.5)
    stock_price_beta: float = 0.8
    #: an embargoed holder buys through third countries at most this much above the world
    #: price (+150%: the ex-China gallium price after the 2024 ban on the USA; assumption,
    #: range 0.5-3)
    reroute_premium_max: float = 1.5
    #: months a buyer needs to replace a lost supplier on the world market (find, qualify and
    #: contract another seller), over which the holder's direct loss is bought elsewhere at the
    #: world price (linear); assumption 3, range 1-9, drawn per run (docs/methods.md 6.3)
    switch_months: float = 3.0
    elasticities: Mapping[str, float] = field(default_factory=dict)
    #: per-run parameter uncertainty: name -> (low, high) multiplicative factor, drawn
    #: log-uniformly once per run (common to all materials of the run) from the run's own stream;
    #: names: :data:`UNCERTAIN` (empty: every run uses the point values)
    uncertainty: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    spare_capacity: float = 0.10
    ramp_months: int = 6
    demand_adjust_months: int = 12
    substitution_max: float = 0.20
    substitution_rate: float = 0.01
    high_price: float = 1.5
    targeted_world_factor: float = 0.5
    defence_share: float = 0.05
    #: share of the using divisions' value added lost per unit share of the material missing
    #: (assumption 0.03, range 0.01-0.10; docs/methods.md 6.7, critmat.sim.loss)
    loss_dependency: float = 0.03
    #: the loss per tonne is this many times higher in a month when more than
    #: ``outage_threshold`` of demand is unmet (whole lines stop; assumption, range 1-5)
    loss_line_stop: float = 2.0
    outage_threshold: float = 0.5

    def __post_init__(self) -> None:
        bad = set(self.uncertainty) - set(UNCERTAIN)
        if bad:
            raise ValueError(
                f"unknown uncertain parameter(s) {sorted(bad)}; known: {', '.join(UNCERTAIN)}"
            )
        for name, (lo, hi) in self.uncertainty.items():
            if not 0.0 < lo <= hi:
                raise ValueError(f"uncertainty range of {name} must satisfy 0 < low <= high")

    def demand_elasticity(self, materials: Sequence[str]) -> npt.NDArray[np.float32]:
        """Per material: the override in ``elasticities`` or the common ``elasticity``."""
        return np.array(
            [self.elasticities.get(m, self.elasticity) for m in materials], dtype=np.float32
        )


@dataclass
class Market:
    """Arrays the engine needs, for M materials and C countries (index order = lists)."""

    holder: str
    year: int
    materials: list[str]
    countries: list[str]
    demand0: F32  # [M] t/month of each material's basis
    price0: F32  # [M] USD per t of the basis (critmat.data.basis.basis_price)
    recycling: F32  # [M] EoL-RIR fraction of supply
    import_share: F32  # [M, C] share of holder supply from imports of country c
    world_share: F32  # [2, M, C] world supply share by stage
    export_share: F32  # [M, C] share of world exports (t, BACI) of the material's HS headings
    sectors: list[str]  # priority order: defence first
    sector_share: F32  # [M, K]
    notes: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)  # the holder's own economies (ISO3)
    world_exports_t: F32 = field(default_factory=lambda: np.zeros(0, np.float32))  # [M] t/yr
    info: pd.DataFrame = field(default_factory=pd.DataFrame)  # per material: basis, price source
    not_simulated: dict[str, str] = field(default_factory=dict)  # material -> reason
    #: per material: value added at stake per tonne of use (critmat.sim.loss)
    loss_inputs: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: world-market parameters per material ([M] each; critmat.data.schemas_market):
    #: stock_months, leakage, response_share, response_lead_months, response_ramp_months
    response: dict[str, F32] = field(default_factory=dict)
    #: their values, ranges and sources per material (one row per material and parameter)
    response_info: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: per material: GDP lost per tonne cut through the holder's input-output table
    #: (critmat.sim.downstream.GdpCurve), and why a material has none
    downstream: dict[str, Any] = field(default_factory=dict)
    downstream_why: dict[str, str] = field(default_factory=dict)

    @property
    def basis(self) -> list[str]:
        """The basis of each material (``t`` of it for quantities, ``USD/t`` of it for prices)."""
        if self.info.empty:
            return ["" for _ in self.materials]
        return [str(b) for b in self.info["basis"]]

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


def _world_trade_basis(ds: Dataset, year: int, mat: str) -> tuple[pd.Series, float]:
    """World exports by exporter on the material's basis (t/yr), from the shipped headings."""
    t = year_trade_on_basis(ds, year, mat)
    exp = t.groupby(t["exporter"].astype(str))["quantity_basis_t"].sum()
    return exp, float(exp.sum())


def build_market(
    ds: Dataset,
    holder: str,
    year: int,
    materials: list[str] | None = None,
    params: SimParams | None = None,
) -> Market:
    """Build the market of a holder for a base year from the dataset, on each material's basis.

    Demand, stocks and shortfalls are in t of the basis (``Market.basis``), prices in USD per t of
    the basis (:func:`critmat.data.basis.basis_price`); the holder's supply comes from
    :func:`critmat.risk.balance.holder_balance`. A material that cannot be simulated is left out and
    listed in ``Market.not_simulated`` with the reason (every output shows it).
    """
    p = params or SimParams()
    h = ds.resolve_holder(holder)
    seeds = ds.materials.loc[ds.materials["seed"].astype(bool), "material"].tolist()
    wanted = [ds.resolve_material(m) for m in materials] if materials else seeds
    notes: list[str] = []
    skipped: dict[str, str] = {}
    rows: list[_Row] = []
    for mat in wanted:
        row = _material_row(ds, h, mat, year)
        if isinstance(row, str):
            skipped[mat] = row
            continue
        if row.export_note.startswith("world export shares proxied"):
            notes.append(f"{mat}: {row.export_note}")
        rows.append(row)
    notes += [f"{mat}: not simulated ({why})" for mat, why in skipped.items()]
    if not rows:
        raise UnknownChoiceError(f"material that can be simulated for {h} {year}", wanted, seeds)
    countries = sorted(
        {c for r in rows for c in r.balance.partners["partner"]}
        | {c for r in rows for s in r.world.values() for c in s.index}
        | {c for r in rows for c in r.exports.index}
    )
    countries = [c for c in countries if c not in AGGREGATES]
    arrays, info = _arrays(ds, rows, countries)
    names = [r.material for r in rows]
    sectors, sshare = _sector_shares(ds, names, p.defence_share)
    curves, curves_why = gdp_curves(
        ds, h, {m: float(arrays["demand0"][i]) * 12.0 for i, m in enumerate(names)}, year
    )
    response, response_info = market_response(ds, names)
    notes = _restrictor_shares(response_info, names, countries, arrays["export_share"], info, notes)
    return Market(
        holder=h,
        year=year,
        materials=names,
        countries=countries,
        **arrays,
        sectors=sectors,
        sector_share=sshare,
        notes=notes,
        members=sorted(ds.holder(h).members),
        info=pd.DataFrame(info),
        not_simulated=skipped,
        loss_inputs=value_added_per_tonne(ds, h, names, year),
        response=response,
        response_info=response_info,
        downstream=curves,
        downstream_why=curves_why,
    )


@dataclass(frozen=True)
class _Row:
    """What the market needs of one material (t and USD of its basis)."""

    material: str
    balance: Balance
    world: dict[str, pd.Series]  # stage -> world supply share by country
    exports: pd.Series  # world export share by country
    world_exports_t: float
    price: PriceQuote
    export_note: str


def _material_row(ds: Dataset, h: str, mat: str, year: int) -> _Row | str:
    """A material's balance, world shares, export shares and price, or why it is left out."""
    element_shares = ds.table("element_shares")
    if mat in set(element_shares["group"]):
        return (
            "a group of elements: its elements are simulated on their own oxide basis "
            "(a reserve holds separated oxides, not a group)"
        )
    bal = holder_balance(ds, h, mat, year)
    if not bal.assessed or not bal.consumption_t > 0:
        return bal.reason or "no consumption on the basis"
    price = basis_price(ds, mat, year)
    if price is None:
        return f"no price on the {bal.basis} basis"
    world = {}
    for stage in STAGES:
        try:
            t = supply_by_country(ds, mat, stage)
        except UnknownChoiceError:
            continue
        world[stage] = t.rows.set_index("country")["share"].fillna(0.0)
    if not world:
        return "no world supply shares"
    es = element_shares.set_index("material")["share"].astype(float)
    owner = str(ds.materials.set_index("material").loc[mat, "parent"] or "")
    exp, world_t = _world_trade_basis(ds, year, owner if mat in es.index else mat)
    if mat in es.index:
        world_t *= float(es[mat])
    if world_t > 0:
        return _Row(mat, bal, world, exp / exp.sum(), world_t, price,
                    "world export shares from BACI on the basis")  # fmt: skip
    stage_rows = world.get("refining", world.get("mining"))
    exp = stage_rows if stage_rows is not None else pd.Series(dtype=np.float64)
    world_t, _, _ = world_production(ds, mat, year)
    return _Row(mat, bal, world, exp, world_t if np.isfinite(world_t) else 0.0, price,
                "world export shares proxied by world supply shares (no trade data)")  # fmt: skip


def _arrays(
    ds: Dataset, rows: list[_Row], countries: list[str]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The market's arrays (monthly demand, prices, recycling, import, world and export shares,
    world exports) and one info record per material."""
    ci = {c: i for i, c in enumerate(countries)}
    m_n, c_n = len(rows), len(countries)
    a = {
        "demand0": np.zeros(m_n, np.float32),
        "price0": np.zeros(m_n, np.float32),
        "recycling": np.zeros(m_n, np.float32),
        "import_share": np.zeros((m_n, c_n), np.float32),
        "world_share": np.zeros((2, m_n, c_n), np.float32),
        "export_share": np.zeros((m_n, c_n), np.float32),
        "world_exports_t": np.zeros(m_n, np.float32),
    }
    eol = ds.materials.set_index("material")["eol_rir"]
    info = []
    for i, r in enumerate(rows):
        bal, price = r.balance, r.price
        a["world_exports_t"][i] = r.world_exports_t
        for c, v in r.exports.items():
            if c in ci:
                a["export_share"][i, ci[c]] = v
        supply = bal.production_t + bal.imports_t  # the holder's supply before exports
        a["demand0"][i] = bal.consumption_t / 12.0
        a["price0"][i] = price.usd_per_t
        for c, q in zip(bal.partners["partner"], bal.partners["imports_t"], strict=True):
            if c in ci and supply > 0:
                a["import_share"][i, ci[c]] = q / supply
        for k, stage in enumerate(STAGES):
            other = "refining" if stage == "mining" else "mining"
            s = r.world[stage] if stage in r.world else r.world[other]
            for c, v in s.items():
                if c in ci:
                    a["world_share"][k, i, ci[c]] = v
        a["recycling"][i] = 0.0 if pd.isna(eol.get(r.material)) else float(eol[r.material])
        info.append({**bal.summary(), "price_usd_per_t": price.usd_per_t,
                     "price_unit": price.unit, "price_form": price.form,
                     "price_year": price.price_year, "price_age_years": price.age_years,
                     "price_as_printed": price.as_printed, "price_source": price.source,
                     "price_status": price.status, "world_exports_t": r.world_exports_t,
                     "export_shares": r.export_note})  # fmt: skip
    return a, info


def _restrictor_shares(
    response_info: pd.DataFrame,
    names: list[str],
    countries: list[str],
    xsh: F32,
    info: list[dict[str, Any]],
    notes: list[str],
) -> list[str]:
    """Where market_response gives the restricting country's share of the market, set it in
    the export shares (in place; the others' scaled to the rest) and say so; the notes."""
    ci = {c: i for i, c in enumerate(countries)}
    export_share = response_info.loc[response_info["parameter"] == "restrictor_export_share"]
    for _, r in export_share.iterrows():  # the restricting country's share of the market
        i = names.index(str(r["material"]))
        if str(r["country"]) not in ci:
            notes.append(
                f"{names[i]}: market_response's restrictor_export_share names "
                f"'{r['country']}', not a country of this market: ignored"
            )
            continue
        top = ci[str(r["country"])]
        rest = xsh[i].sum() - xsh[i, top]
        xsh[i] *= (1.0 - float(r["value"])) / rest if rest > 0 else 0.0
        xsh[i, top] = float(r["value"])
        info[i]["export_shares"] = (
            f"{info[i]['export_shares']}; {countries[top]}'s share of the market: market_response"
        )
        proxied = f"{names[i]}: world export shares proxied by world supply shares (no trade data)"
        notes = [
            f"{names[i]}: {countries[top]}'s share of the market outside it "
            f"{float(r['value']):.2f} (market_response, {r['status']}); the others' by world "
            "supply shares"
            if n == proxied
            else n
            for n in notes
        ]
    return notes


def market_response(ds: Dataset, materials: list[str]) -> tuple[dict[str, F32], pd.DataFrame]:
    """World-market parameters per material: each material's own row of ``market_response``,
    else the ``default`` row (docs/methods.md 6.3). Returns ``{parameter: [M] values}`` and the
    rows used (material, parameter, value, low, high, unit, source, status)."""

    t = ds.table("market_response")
    rows = []
    for mat in materials:
        own = t[t["material"] == mat]
        fallback = t[(t["material"] == "default") & ~t["parameter"].isin(own["parameter"])]
        rows.append(pd.concat([own, fallback.assign(material=mat)]))
    used = pd.concat(rows, ignore_index=True) if rows else t.iloc[:0]
    out: dict[str, F32] = {}
    for name in MARKET_PARAMETERS:
        v = used[used["parameter"] == name].set_index("material")["value"]
        out[name] = np.array([float(v.get(m, 0.0)) for m in materials], np.float32)
    out["response_ramp_months"] = np.maximum(out["response_ramp_months"], 1.0)
    return out, used
