"""Assessment service: criticality and supply risk for one holder and year, by method.

:func:`assess` returns one tidy row per holder x material x stage x year x method x source, with
every intermediate term as a column, so that an analyst can audit any score. The CLI command
``critmat assess`` and the HTML page call this function and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from critmat.data.countries import AGGREGATES
from critmat.data.dataset import Dataset, UnknownChoiceError
from critmat.data.units import convert_mass
from critmat.data.views import DATASET_PRIORITY, SupplyTable, available_supply, supply_by_country
from critmat.risk.concentration import concentration_terms
from critmat.risk.exposure import exposure_terms, hs_stage, trade_flows
from critmat.risk.governance import instability
from critmat.risk.indices import (
    EI_THRESHOLD,
    SR_THRESHOLD,
    eu_crm_ei,
    eu_crm_sr,
    geopolrisk_wta,
    usgs_supply_risk,
)
from critmat.risk.inputs import AssessmentInputs

__all__ = [
    "METHODS",
    "SOURCES",
    "AssessmentError",
    "assess",
    "restricting_countries",
    "sourcing_mix",
]

METHODS: tuple[str, ...] = ("eu-crm", "usgs", "geopolrisk")
SOURCES: tuple[str, ...] = ("auto", "usgs", "wmd", "all")
STAGES: tuple[str, ...] = ("mining", "refining")


class AssessmentError(UnknownChoiceError):
    """A method cannot be computed for the requested material (an input is missing)."""


@dataclass
class _Supply:
    table: SupplyTable
    note: str


def restricting_countries(events: pd.DataFrame) -> set[str]:
    """Countries that restricted exports before (export restriction or embargo events)."""
    kinds = {"export_restriction", "embargo", "withholding"}
    ev = events[events["event_type"].isin(kinds)]
    return {a for a in ev["actor"].astype(str) if a not in ("market", "")}


def _datasets_for(choice: str, candidates: Sequence[str]) -> list[str]:
    if choice == "usgs":
        return [d for d in candidates if d.startswith("usgs")]
    if choice == "wmd":
        return [d for d in candidates if d.startswith("wmd")]
    return list(candidates)


def _nearest(years: Iterable[int], year: int) -> int:
    ys = sorted(set(years))
    earlier = [y for y in ys if y <= year]
    return earlier[-1] if earlier else ys[0]


def _supplies(ds: Dataset, material: str, stage: str, year: int, choice: str) -> list[_Supply]:
    """Supply tables for a stage under the source choice, with year fallback stated."""
    av = available_supply(ds, material)
    av = av[av["stage"] == stage]
    if av.empty:
        return []
    rank = {d: i for i, d in enumerate(DATASET_PRIORITY)}
    tonnage = sorted(set(av.loc[av["kind"] == "tonnage", "dataset"]), key=lambda d: rank.get(d, 99))
    shares = sorted(set(av.loc[av["kind"] == "share", "dataset"]), key=lambda d: rank.get(d, 99))
    picked = _datasets_for(choice, tonnage)
    if choice in ("auto", "all") and not picked:
        picked = shares
    if not picked:
        return []
    years = {d: [int(y) for y in av.loc[av["dataset"] == d, "year"]] for d in picked}
    if choice == "auto":
        exact = [d for d in picked if year in years[d]]
        picked = exact[:1] or [min(picked, key=lambda d: abs(_nearest(years[d], year) - year))]
    out = []
    for d in picked:
        y = year if year in years[d] else _nearest(years[d], year)
        note = "" if y == year else f"{stage} data for {y} used ({d} has no {year})"
        out.append(_Supply(supply_by_country(ds, material, stage, y, d), note))
    return out


def _holder_production(ds: Dataset, t: SupplyTable, members: set[str]) -> float:
    if t.share_only:
        return 0.0
    p = ds.production
    rows = p[
        (p["material"] == t.material)
        & (p["stage"] == t.stage)
        & (p["dataset"] == t.dataset)
        & (p["year"] == t.year)
        & p["country"].isin(list(members))
    ]
    total = float(rows["value"].fillna(0.0).sum())
    return float(convert_mass(total, t.unit, "t"))


def traded_hs_codes(ds: Dataset, material: str, traded: set[str]) -> tuple[list[str], str]:
    """HS headings of a material present in the trade table; an element without its own falls
    back to its group's headings (returned second, empty when not used)."""
    m = ds.materials.set_index("material")
    codes = [c for c in str(m.loc[material, "hs_codes"]).split(";") if c in traded]
    parent = str(m.loc[material, "parent"])
    if not codes and parent:
        return [c for c in str(m.loc[parent, "hs_codes"]).split(";") if c in traded], parent
    return codes, ""


def _hs_for(ds: Dataset, material: str, stage: str, traded: set[str]) -> tuple[list[str], str]:
    codes, parent = traded_hs_codes(ds, material, traded)
    note = f"trade of the {parent} group headings used" if parent else ""
    staged = [c for c in codes if hs_stage(c) == stage]
    if codes and not staged:
        note = (note + "; " if note else "") + f"no {stage} HS heading: all headings used"
        staged = codes
    return staged, note


def _published_nir(ds: Dataset, holder: str, material: str, year: int) -> tuple[float, str]:
    hi = ds.holder_indicators
    rows = hi[
        (hi["holder"] == holder)
        & (hi["material"] == material)
        & (hi["year"] == year)
        & hi["indicator"].str.startswith("Net import reliance")
    ].dropna(subset=["value"])
    if rows.empty:
        return float("nan"), ""
    r = rows.iloc[0]
    flag = " (lower bound, printed '>')" if r["flag"] == "greater_than" else ""
    return float(r["value"]) / 100.0, f"USGS published NIR {r['raw_value']}%{flag}"


def assess(
    ds: Dataset,
    holder: str,
    year: int,
    *,
    methods: Sequence[str] = METHODS,
    materials: Sequence[str] | None = None,
    sources: str = "auto",
    inputs: AssessmentInputs | None = None,
) -> pd.DataFrame:
    """Criticality and supply risk of materials for a holder in a year.

    Parameters
    ----------
    holder
        A holder id or name (``USA``, ``EU27`` ...).
    year
        A year covered by the trade data.
    methods
        Any of ``eu-crm``, ``usgs``, ``geopolrisk``.
    materials
        Material ids, names or symbols; default: every seed material.
    sources
        ``auto`` (one production source per stage, by priority), ``usgs``, ``wmd`` or ``all``
        (one row per source, with the spread between them).

    Raises
    ------
    UnknownChoiceError
        For an unknown holder, material, method, source or a year outside the data.
    AssessmentError
        When a method cannot be computed for an explicitly requested material.
    """
    inp = inputs or AssessmentInputs()
    h = ds.resolve_holder(holder)
    for m in methods:
        if m not in METHODS:
            raise UnknownChoiceError("method", m, METHODS)
    if sources not in SOURCES:
        raise UnknownChoiceError("sources", sources, SOURCES)
    years = sorted(int(y) for y in ds.trade["year"].unique())
    if year not in years:
        raise UnknownChoiceError("year (trade data)", year, years)
    seeds = ds.materials.loc[ds.materials["seed"].astype(bool), "material"].tolist()
    mats = [ds.resolve_material(m) for m in materials] if materials else seeds
    members = set(str(ds.holders.set_index("holder").loc[h, "members"]).split(";"))
    restricting = restricting_countries(ds.events)
    all_countries = set(ds.countries["country"]) - set(AGGREGATES)
    g, _ = instability(ds.governance, year, all_countries, missing=inp.missing_governance)
    trade_year = ds.trade[ds.trade["year"] == year]
    trade_year = trade_year.assign(
        **{c: trade_year[c].astype(str) for c in ("hs6", "exporter", "importer")}
    )
    ctx = _Context(trade_year, set(trade_year["hs6"]), members, restricting, g)
    rows: list[dict[str, object]] = []
    for mat in mats:
        rows.extend(_material_rows(ds, h, mat, year, ctx, methods, sources, inp))
    out = pd.DataFrame(rows)
    if out.empty:
        raise AssessmentError("material with supply data", ",".join(mats), seeds)
    out = _finish(out)
    if materials:
        for m in methods:
            for mat in mats:
                sel = out[(out["method"] == m) & (out["material"] == mat)]
                if sel["score"].notna().sum() == 0:
                    ok = sorted(
                        set(out.loc[(out["method"] == m) & out["score"].notna(), "material"])
                    )
                    reason = "; ".join(sorted({n for n in sel["notes"] if n})) or "no data"
                    raise AssessmentError(
                        f"material for method {m} ({mat}: {reason})", mat, ok or seeds
                    )
    return out


@dataclass
class _Context:
    """What every material of one assessment shares (computed once)."""

    trade_year: pd.DataFrame
    traded: set[str]
    members: set[str]
    restricting: set[str]
    g: pd.Series


def _material_rows(
    ds: Dataset,
    holder: str,
    mat: str,
    year: int,
    ctx: _Context,
    methods: Sequence[str],
    sources: str,
    inp: AssessmentInputs,
) -> list[dict[str, object]]:
    members, restricting, g = ctx.members, ctx.restricting, ctx.g
    eol_s = ds.materials.set_index("material")["eol_rir"]
    eol = float(eol_s[mat]) if pd.notna(eol_s[mat]) else float("nan")
    si, si_default = inp.si(mat)
    control = ds.control[ds.control["material"] == mat]
    ctrl_cols = ["country", "controller", "share"]
    rows = []
    for stage in STAGES:
        ctrl = control[control["stage"] == stage][ctrl_cols]
        hs, hs_note = _hs_for(ds, mat, stage, ctx.traded)
        flows = trade_flows(ctx.trade_year, members, hs, year) if hs else None
        for sup in _supplies(ds, mat, stage, year, sources):
            t = sup.table
            shares = t.rows.set_index("country")["share"]
            conc = concentration_terms(shares, g, restricting, ctrl, inp.trade_restriction)
            prod_t = _holder_production(ds, t, members)
            defaults: list[str] = []
            notes = [n for n in (sup.note, hs_note) if n]
            missing_g = [c for c in shares.index if c not in g.index and c not in AGGREGATES]
            if missing_g:
                defaults.append(f"g={inp.missing_governance} for {','.join(missing_g)}")
            mem_g = g.reindex(list(members)).dropna()
            prod_by = t.rows[t.rows["country"].isin(list(members))].set_index("country")["share"]
            w = prod_by.reindex(mem_g.index).fillna(0.0)
            dom_g = float((mem_g * w).sum() / w.sum()) if w.sum() > 0 else float(mem_g.mean())
            if flows is not None:
                exp = exposure_terms(
                    flows,
                    prod_t,
                    g,
                    restricting,
                    domestic_g=dom_g,
                    high_risk_threshold=inp.high_risk_threshold,
                    trade_factor=inp.trade_restriction,
                )
                unknown = [p for p in flows.index if p not in g.index]
                if unknown:
                    defaults.append(f"g={inp.missing_governance} for partners {','.join(unknown)}")
            else:
                exp = {"import_reliance": float("nan"), "hhi_wgi_sourcing": float("nan")}
                notes.append("no trade data for this material in the shipped BACI extract")
            if t.share_only:
                notes.append("share-only source: holder production unknown (taken as 0)")
            elif flows is not None and prod_t > 0:
                notes.append(
                    f"trade in gross t of HS {','.join(hs)}; own production in t {t.basis}"
                )
            base = {
                "holder": holder,
                "material": mat,
                "stage": stage,
                "year": year,
                "data_year": t.year,
                "source": t.dataset,
                "source_status": ",".join(sorted(set(t.rows["status"]))),
                **conc,
                **exp,
                "eol_rir": eol,
            }
            ir = float(exp["import_reliance"])  # type: ignore[arg-type]
            nir, nir_note = _published_nir(ds, holder, mat, year)
            if "eu-crm" in methods:
                rows.append(
                    _eu_row(ds, base, mat, ir, nir, nir_note, si, si_default, inp, defaults, notes)
                )
            if "usgs" in methods:
                rows.append(_usgs_row(base, mat, ir, nir, nir_note, flows, g, inp, defaults, notes))
            if "geopolrisk" in methods:
                rows.append(_gpr_row(base, flows, g, prod_t, inp, defaults, notes))
    return rows


def _eu_row(
    ds: Dataset,
    base: dict[str, object],
    mat: str,
    ir: float,
    nir: float,
    nir_note: str,
    si: object,
    si_default: bool,
    inp: AssessmentInputs,
    defaults: list[str],
    notes: list[str],
) -> dict[str, object]:
    d, n = list(defaults), list(notes)
    if si_default:
        d.append("SI_SR=SI_EI=1 (no substitution index input)")
    if not inp.trade_restriction:
        d.append("t_c=1 for all exporters")
    sourcing = float(base["hhi_wgi_sourcing"])  # type: ignore[arg-type]
    if np.isnan(ir) and not np.isnan(nir):
        ir, sourcing = nir, float(base["hhi_wgi"])  # type: ignore[arg-type]
        n.append(f"IR from {nir_note}; sourcing term taken as global supply (no trade data)")
    elif not np.isnan(nir):
        ir = nir  # all forms, contained-metal basis: more complete than the HS headings shipped
        n.append(f"IR from {nir_note} (trade-based IR kept in import_reliance)")
    eol = float(base["eol_rir"])  # type: ignore[arg-type]
    if np.isnan(eol):
        eol = 0.0
        d.append("EoL-RIR=0 (none in dataset)")
    sr = (
        eu_crm_sr(float(base["hhi_wgi"]), sourcing, ir, eol, si.si_sr)  # type: ignore[arg-type,attr-defined]
        if not np.isnan(ir)
        else float("nan")
    )
    eu = ds.end_uses
    eu = eu[(eu["material"] == mat) & (eu["region"] == "WLD") & (eu["parent_sector"] == "")]
    if len(eu):
        latest = eu[eu["year"] == eu["year"].max()]
        latest = latest[latest["source"] == latest["source"].iloc[0]]
        shares = latest.set_index("sector")["share"]
    else:
        shares = pd.Series(dtype=np.float64)
    ei, ei_note = eu_crm_ei(shares, inp.end_use_nace, inp.sector_gva, si.si_ei)  # type: ignore[attr-defined]
    if ei_note:
        n.append(ei_note)
    critical = (
        bool(ei >= EI_THRESHOLD and sr >= SR_THRESHOLD)
        if not (np.isnan(ei) or np.isnan(sr))
        else None
    )
    return {
        **base,
        "method": "eu-crm",
        "score": sr,
        "sr": sr,
        "ei": ei,
        "critical": critical,
        "ir_used": ir,
        "si_sr": si.si_sr,  # type: ignore[attr-defined]
        "si_ei": si.si_ei,  # type: ignore[attr-defined]
        "defaults": "; ".join(d),
        "notes": "; ".join(n),
    }


def _usgs_row(
    base: dict[str, object],
    mat: str,
    ir: float,
    nir: float,
    nir_note: str,
    flows: pd.DataFrame | None,
    g: pd.Series,
    inp: AssessmentInputs,
    defaults: list[str],
    notes: list[str],
) -> dict[str, object]:
    d, n = list(defaults), list(notes)
    used_ir = nir if not np.isnan(nir) else ir
    if not np.isnan(nir):
        n.append(f"trade exposure from {nir_note}")
    partner_risk = float("nan")
    if flows is not None and flows["imports_t"].sum() > 0:
        sh = flows["imports_t"] / flows["imports_t"].sum()
        partner_risk = float((sh * g.reindex(sh.index).fillna(inp.missing_governance)).sum())
    elif not np.isnan(used_ir):
        partner_risk = 1.0
        d.append("partner risk=1 (no import data)")
    te = used_ir * partner_risk
    ev = inp.economic_vulnerability.get(mat)
    if ev is None:
        ev = 1.0
        d.append("EV=1 (economic vulnerability input missing)")
    dp = float(base["hhi_wgi"])  # type: ignore[arg-type]
    score = usgs_supply_risk(dp, te, ev) if not np.isnan(te) else float("nan")
    return {
        **base,
        "method": "usgs",
        "score": score,
        "dp": dp,
        "te": te,
        "ev": ev,
        "nir_used": used_ir,
        "partner_risk": partner_risk,
        "defaults": "; ".join(d),
        "notes": "; ".join(n),
    }


def _gpr_row(
    base: dict[str, object],
    flows: pd.DataFrame | None,
    g: pd.Series,
    prod_t: float,
    inp: AssessmentInputs,
    defaults: list[str],
    notes: list[str],
) -> dict[str, object]:
    d, n = list(defaults), list(notes)
    if flows is None or flows["imports_t"].sum() <= 0:
        wta, uv = float("nan"), float("nan")
        if flows is not None:
            n.append("no imports with quantities")
    else:
        gi = g.reindex(flows.index).fillna(inp.missing_governance)
        wta = geopolrisk_wta(flows["imports_t"], gi, prod_t)
        with_q = flows[flows["imports_t"] > 0]
        uv = float(with_q["imports_kusd"].sum() / with_q["imports_t"].sum())  # kUSD/t = USD/kg
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
        "score": score,
        "wta": wta,
        "unit_value_usd_per_kg": uv,
        "midpoint": midpoint,
        "cf": cf,
        "defaults": "; ".join(d),
        "notes": "; ".join(n),
    }


def _finish(out: pd.DataFrame) -> pd.DataFrame:
    """Bottleneck stage (the riskier stage, under any source) and cross-source spread."""
    key = ["holder", "material", "year", "method"]
    best = out.groupby(key, dropna=False)["score"].transform("max")
    out["is_bottleneck"] = out["score"].eq(best) & out["score"].notna()
    spread_key = ["holder", "material", "stage", "year", "method"]
    grp = out.groupby(spread_key)["score"]
    out["score_spread"] = grp.transform("max") - grp.transform("min")
    out.loc[grp.transform("count") < 2, "score_spread"] = np.nan
    lead = ["holder", "material", "stage", "year", "method", "source", "score", "is_bottleneck"]
    rest = [c for c in out.columns if c not in lead and c not in ("defaults", "notes")]
    return out[[*lead, *rest, "defaults", "notes"]].reset_index(drop=True)


def sourcing_mix(ds: Dataset, holder: str, year: int, material: str) -> pd.DataFrame:
    """Where a holder's imports of a material come from (all shipped HS headings of it).

    One row per exporting partner: ``imports_t`` (gross t), ``imports_kusd``, ``share`` of the
    tonnes, instability ``g`` (NaN without a WGI score) and ``restricted_before``.
    """
    h = ds.resolve_holder(holder)
    mat = ds.resolve_material(material)
    members = set(str(ds.holders.set_index("holder").loc[h, "members"]).split(";"))
    hs = ds.hs_codes
    traded = set(hs.loc[hs["in_trade_table"].astype(bool), "hs6"].astype(str))
    codes, _ = traded_hs_codes(ds, mat, traded)
    cols = ["partner", "name", "imports_t", "imports_kusd", "share", "g", "restricted_before"]
    if not codes:
        return pd.DataFrame(columns=cols)
    f = trade_flows(ds.trade, members, codes, year)
    f = f[f["imports_t"] > 0]
    g, _ = instability(ds.governance, year, f.index, missing=float("nan"))
    names = ds.country_names()
    out = pd.DataFrame(
        {
            "partner": f.index,
            "name": [names.get(p, p) for p in f.index],
            "imports_t": f["imports_t"].to_numpy(),
            "imports_kusd": f["imports_kusd"].to_numpy(),
            "share": (f["imports_t"] / f["imports_t"].sum()).to_numpy(),
            "g": g.reindex(f.index).to_numpy(),
            "restricted_before": f.index.isin(list(restricting_countries(ds.events))),
        }
    )
    return out[cols].sort_values("share", ascending=False).reset_index(drop=True)
