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

from critmat.data.basis import basis_price
from critmat.data.countries import AGGREGATES
from critmat.data.dataset import Dataset, UnknownChoiceError
from critmat.data.views import DATASET_PRIORITY, SupplyTable, available_supply, supply_by_country
from critmat.risk.balance import Balance, holder_balance
from critmat.risk.concentration import concentration_terms
from critmat.risk.eu_method import EIResult, ec_sourcing_hhi_wgi, economic_importance, substitution
from critmat.risk.exposure import exposure_terms
from critmat.risk.geopolrisk import GPR_BASES, as_traded, gpr_row
from critmat.risk.governance import instability
from critmat.risk.indices import (
    EI_THRESHOLD,
    SR_THRESHOLD,
    eu_crm_sr,
    usgs_supply_risk,
)
from critmat.risk.inputs import AssessmentInputs, Substitution

__all__ = [
    "EU_SHARES",
    "METHODS",
    "SOURCES",
    "AssessmentError",
    "assess",
    "restricting_countries",
    "sourcing_mix",
]

METHODS: tuple[str, ...] = ("eu-crm", "usgs", "geopolrisk")
SOURCES: tuple[str, ...] = ("auto", "usgs", "wmd", "all")
EU_SHARES: tuple[str, ...] = ("auto", "eu2023", "dataset")
STAGES: tuple[str, ...] = ("mining", "refining")


class AssessmentError(UnknownChoiceError):
    """A method cannot be computed for the requested material (an input is missing)."""


@dataclass
class _Supply:
    table: SupplyTable
    note: str
    shares_source: str = "dataset"
    trade_factor: dict[str, float] | None = None


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


def _ec_supply(ds: Dataset, material: str, stage: str) -> _Supply | None:
    """The EC 2023 global supply shares of a stage as a share-only supply table."""
    sh = ds.table("eu_crm_shares")
    sh = sh[(sh["material"] == material) & (sh["stage"] == stage) & (sh["kind"] == "global")]
    if sh.empty:
        return None
    names = ds.country_names()
    rows = pd.DataFrame(
        {
            "country": sh["country"].to_numpy(),
            "name": sh["country"].map(names).fillna(sh["country"]).to_numpy(),
            "value": float("nan"),
            # printed shares are rounded: rescale when they add up to more than 100%
            "share": (
                sh["share"].astype(np.float64) / max(1.0, float(sh["share"].sum()))
            ).to_numpy(),
            "status": sh["status"].to_numpy(),
            "flag": "",
            "source": sh["source"].to_numpy(),
            "notes": sh["notes"].to_numpy(),
        }
    ).sort_values("share", ascending=False)
    table = SupplyTable(
        material, stage, 2023, "eu_crm2023", "share", "", None, rows.reset_index(drop=True), True
    )
    t = dict(zip(sh["country"].astype(str), sh["trade_parameter"].astype(float), strict=True))
    return _Supply(table, "EC 2023 global supply shares (study years 2016-2020)", "eu_crm2023", t)


def _supplies(
    ds: Dataset, material: str, stage: str, year: int, choice: str, eu_shares: str = "auto"
) -> list[_Supply]:
    """Supply tables for a stage under the source choice, with year fallback stated.

    ``eu_shares``: ``eu2023`` uses the EC 2023 published global supply shares (with their trade
    parameter t) instead of the dataset's; ``auto`` uses them where the dataset has no tonnage
    table for the stage; ``dataset`` never.
    """
    ec = _ec_supply(ds, material, stage) if eu_shares != "dataset" else None
    if eu_shares == "eu2023" and ec is not None:
        return [ec]
    av = available_supply(ds, material)
    av = av[av["stage"] == stage]
    if eu_shares == "auto" and ec is not None and not (av["kind"] == "tonnage").any():
        return [ec]
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


def assess(
    ds: Dataset,
    holder: str,
    year: int,
    *,
    methods: Sequence[str] = METHODS,
    materials: Sequence[str] | None = None,
    sources: str = "auto",
    inputs: AssessmentInputs | None = None,
    eu_shares: str = "auto",
    gpr_basis: str = "as_traded",
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
    eu_shares
        ``auto`` (EC 2023 published supply and EU sourcing shares where the dataset's own are
        thinner), ``eu2023`` (always where published) or ``dataset`` (never): the switch to
        compare the two.
    gpr_basis
        GeoPolRisk's basis: ``as_traded`` (as its publications) or ``content``
        (:mod:`critmat.risk.geopolrisk`).

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
        _check_choice("method", m, METHODS)
    _check_choice("sources", sources, SOURCES)
    _check_choice("eu-shares", eu_shares, EU_SHARES)
    _check_choice("gpr-basis", gpr_basis, GPR_BASES)
    years = sorted(int(y) for y in ds.trade["year"].unique())
    if year not in years:
        raise UnknownChoiceError("year (trade data)", year, years)
    seeds = ds.materials.loc[ds.materials["seed"].astype(bool), "material"].tolist()
    mats = [ds.resolve_material(m) for m in materials] if materials else seeds
    members = set(ds.holder(h).members)
    restricting = restricting_countries(ds.events)
    all_countries = set(ds.countries["country"]) - set(AGGREGATES)
    g, _ = instability(ds.governance, year, all_countries, missing=inp.missing_governance)
    ctx = _Context(members, restricting, g, eu_shares, gpr_basis)
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


def _check_choice(what: str, value: str, valid: Sequence[str]) -> None:
    if value not in valid:
        raise UnknownChoiceError(what, value, valid)


@dataclass
class _Context:
    """What every material of one assessment shares (computed once)."""

    members: set[str]
    restricting: set[str]
    g: pd.Series
    eu_shares: str = "auto"
    gpr_basis: str = "as_traded"


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
    eol, eol_source = _eol(ds, mat)
    si, si_source = substitution(ds, mat, inp)
    si_default = si_source.startswith("default")
    ei = economic_importance(ds, mat, holder, inp, si.si_ei)
    control = ds.control[ds.control["material"] == mat]
    ctrl_cols = ["country", "controller", "share"]
    rows = []
    bal = holder_balance(ds, holder, mat, year)
    price = basis_price(ds, mat, year)
    flows = bal.flows() if bal.assessed and bal.imports_t > 0 else None
    for stage in STAGES:
        ctrl = control[control["stage"] == stage][ctrl_cols]
        for sup in _supplies(ds, mat, stage, year, sources, ctx.eu_shares):
            t = sup.table
            shares = t.rows.set_index("country")["share"]
            conc = concentration_terms(
                shares, g, restricting, ctrl, sup.trade_factor or inp.trade_restriction
            )
            prod_t = bal.production_t if bal.assessed else 0.0
            defaults: list[str] = []
            notes = [n for n in (sup.note,) if n]
            missing_g = [c for c in shares.index if c not in g.index and c not in AGGREGATES]
            if missing_g:
                defaults.append(f"g={inp.missing_governance} for {','.join(missing_g)}")
            dom_g = _domestic_governance(g, members, t.rows)
            exp = _exposure(flows, bal, prod_t, g, restricting, dom_g, inp, defaults, notes)
            if t.share_only:
                notes.append("share-only supply source")
            notes.extend(bal.notes)
            sourcing_source = _ec_sourcing(ds, holder, mat, stage, ctx, bal, exp) or (
                "holder imports (balance)" if flows is not None else ""
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
                "eol_rir_source": eol_source,
                "basis": bal.basis,
                "unit": f"t {bal.basis}",
                "balance_method": bal.method or "not assessed",
                "consumption_t": bal.consumption_t,
                "consumption_source": bal.consumption_source,
                "ir_source": bal.ir_source,
                "supply_shares_source": sup.shares_source,
                "sourcing_source": sourcing_source,
                "si_source": si_source,
            }
            ir = float(exp["import_reliance"])  # type: ignore[arg-type]
            if "eu-crm" in methods:
                rows.append(_eu_row(base, ir, si, si_default, ei, inp, defaults, notes))
            if "usgs" in methods:
                rows.append(_usgs_row(base, mat, ir, flows, g, inp, defaults, notes))
            if "geopolrisk" in methods:
                traded = as_traded(ds, members, mat, year) if ctx.gpr_basis == "as_traded" else None
                rows.append(gpr_row(base, flows, traded, g, prod_t, price, inp, ctx.gpr_basis,
                                    defaults, notes))  # fmt: skip
    return rows or _not_assessed(holder, mat, year, methods, bal)


def _ec_sourcing(
    ds: Dataset,
    holder: str,
    mat: str,
    stage: str,
    ctx: _Context,
    bal: Balance,
    exp: dict[str, object],
) -> str:
    """For the EU27, the EC 2023 EU sourcing term in ``exp`` where the switch asks for it and it
    is published; returns its source label ("" when not used)."""
    if holder != "EU27" or ctx.eu_shares == "dataset":
        return ""
    if ctx.eu_shares != "eu2023" and bal.method == "trade_content":
        return ""
    ec = ec_sourcing_hhi_wgi(ds, mat, stage, ctx.g)
    if ec is None:
        return ""
    exp["hhi_wgi_sourcing"] = ec
    return "EC 2023 EU sourcing shares"


def _eol(ds: Dataset, mat: str) -> tuple[float, str]:
    """The material's end-of-life recycling input rate (fraction) and its source."""
    cat = ds.materials.set_index("material")
    eol = float(pd.to_numeric(cat["eol_rir"], errors="coerce").get(mat, float("nan")))
    return eol, str(cat["eol_rir_source"].get(mat, "") or "materials table")


def _domestic_governance(g: pd.Series, members: Iterable[str], rows: pd.DataFrame) -> float:
    """The holder's own governance: its members' scaled WGI weighted by their production
    shares (their mean where they produce none)."""
    mem_g = g.reindex(list(members)).dropna()
    prod_by = rows[rows["country"].isin(list(members))].set_index("country")["share"]
    w = prod_by.reindex(mem_g.index).fillna(0.0)
    return float((mem_g * w).sum() / w.sum()) if w.sum() > 0 else float(mem_g.mean())


def _exposure(
    flows: pd.DataFrame | None,
    bal: Balance,
    prod_t: float,
    g: pd.Series,
    restricting: set[str],
    dom_g: float,
    inp: AssessmentInputs,
    defaults: list[str],
    notes: list[str],
) -> dict[str, object]:
    """The holder's import exposure terms (critmat.risk.exposure.exposure_terms), with the
    defaults used and the notes appended in place."""
    if flows is None:
        notes.append(f"no import balance: {bal.reason}" if not bal.assessed else "no imports")
        return {"import_reliance": bal.import_reliance, "hhi_wgi_sourcing": float("nan"),
                "imports_t": 0.0}  # fmt: skip
    exp = exposure_terms(
        flows,
        prod_t,
        g,
        restricting,
        domestic_g=dom_g,
        high_risk_threshold=inp.high_risk_threshold,
        trade_factor=inp.trade_restriction,
    )
    exp["import_reliance"] = bal.import_reliance
    unknown = [p for p in flows.index if p not in g.index and p not in AGGREGATES]
    if unknown:
        defaults.append(f"g={inp.missing_governance} for partners {','.join(unknown)}")
    return exp


def _not_assessed(
    holder: str, mat: str, year: int, methods: Sequence[str], bal: Balance
) -> list[dict[str, object]]:
    """One row per method saying why the material is not assessed."""
    reason = bal.reason or "no supply data (production or shares) for any stage"
    if bal.assessed:
        reason = "no supply data (production or shares) for any stage"
    return [
        {"holder": holder, "material": mat, "stage": "", "year": year, "method": m,
         "score": float("nan"), "basis": bal.basis, "unit": f"t {bal.basis}",
         "balance_method": bal.method or "not assessed", "defaults": "",
         "notes": f"not assessed: {reason}"}
        for m in methods
    ]  # fmt: skip


def _eu_row(
    base: dict[str, object],
    ir: float,
    si: Substitution,
    si_default: bool,
    ei_res: EIResult,
    inp: AssessmentInputs,
    defaults: list[str],
    notes: list[str],
) -> dict[str, object]:
    d, n = list(defaults), list(notes)
    if si_default:
        d.append("SI_SR=SI_EI=1 (no substitution index published or given)")
    if not inp.trade_restriction and base["supply_shares_source"] != "eu_crm2023":
        d.append("t_c=1 for all exporters")
    sourcing = float(base["hhi_wgi_sourcing"])  # type: ignore[arg-type]
    if np.isnan(sourcing) and not np.isnan(ir):
        sourcing = float(base["hhi_wgi"])  # type: ignore[arg-type]
        n.append("sourcing term taken as global supply (no import partners)")
    eol = float(base["eol_rir"])  # type: ignore[arg-type]
    if np.isnan(eol):
        eol = 0.0
        d.append("EoL-RIR=0 (none in dataset)")
    sr = (
        eu_crm_sr(float(base["hhi_wgi"]), sourcing, ir, eol, si.si_sr)  # type: ignore[arg-type]
        if not np.isnan(ir)
        else float("nan")
    )
    if ei_res.note:
        n.append(ei_res.note)
    ei = ei_res.ei
    critical = (
        bool(ei >= EI_THRESHOLD and sr >= SR_THRESHOLD)
        if not (np.isnan(ei) or np.isnan(sr))
        else None
    )
    missing = [w for w, v in (("no end-use shares", ei), ("no import reliance", sr)) if np.isnan(v)]
    return {
        **base,
        "method": "eu-crm",
        "score": sr,
        "sr": sr,
        "ei": ei,
        "ei_source": ei_res.source,
        "critical": critical,
        "critical_note": f"not assessed: {'; '.join(missing)}" if missing else "",
        "ir_used": ir,
        "si_sr": si.si_sr,
        "si_ei": si.si_ei,
        "defaults": "; ".join(d),
        "notes": "; ".join(n),
    }


def _usgs_row(
    base: dict[str, object],
    mat: str,
    ir: float,
    flows: pd.DataFrame | None,
    g: pd.Series,
    inp: AssessmentInputs,
    defaults: list[str],
    notes: list[str],
) -> dict[str, object]:
    d, n = list(defaults), list(notes)
    used_ir = ir  # the balance's import reliance (USGS NIR for the USA), see ir_source
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


def _finish(out: pd.DataFrame) -> pd.DataFrame:
    """Bottleneck stage (the riskier stage, under any source) and cross-source spread."""
    key = ["holder", "material", "year", "method"]
    scored = out[out["score"].notna()]
    first_max = scored.groupby(key, dropna=False)["score"].idxmax()  # ties: the first stage
    out["is_bottleneck"] = out.index.isin(first_max.to_numpy())
    out["assessment"] = np.where(out["score"].notna(), "assessed", "not assessed")
    if "critical_note" in out:  # eu-crm rows only: the others say nothing of criticality
        out["critical_note"] = out["critical_note"].fillna("")
    spread_key = ["holder", "material", "stage", "year", "method"]
    grp = out.groupby(spread_key)["score"]
    out["score_spread"] = grp.transform("max") - grp.transform("min")
    out.loc[grp.transform("count") < 2, "score_spread"] = np.nan
    lead = [
        "holder",
        "material",
        "stage",
        "year",
        "method",
        "source",
        "score",
        "is_bottleneck",
        "assessment",
        "basis",
        "unit",
    ]
    rest = [c for c in out.columns if c not in lead and c not in ("defaults", "notes")]
    return out[[*lead, *rest, "defaults", "notes"]].reset_index(drop=True)


def sourcing_mix(ds: Dataset, holder: str, year: int, material: str) -> pd.DataFrame:
    """Where a holder's imports of a material come from, on the material's basis.

    One row per exporting partner of the holder balance (:mod:`critmat.risk.balance`):
    ``imports_t`` (t of the basis, named in ``unit``), ``share`` of the tonnes, instability ``g``
    (NaN without a WGI score), ``restricted_before`` and ``source`` (how the balance was built).
    """
    h = ds.resolve_holder(holder)
    mat = ds.resolve_material(material)
    bal = holder_balance(ds, h, mat, year)
    cols = ["partner", "name", "imports_t", "unit", "share", "g", "restricted_before", "source"]
    if not bal.assessed:
        return pd.DataFrame(columns=cols)
    f = bal.partners[bal.partners["imports_t"] > 0]
    if f.empty:
        return pd.DataFrame(columns=cols)
    g, _ = instability(ds.governance, year, f["partner"], missing=float("nan"))
    names = ds.country_names()
    out = pd.DataFrame(
        {
            "partner": f["partner"].to_numpy(),
            "name": [names.get(p, p) for p in f["partner"]],
            "imports_t": f["imports_t"].to_numpy(),
            "unit": f"t {bal.basis}",
            "share": (f["imports_t"] / f["imports_t"].sum()).to_numpy(),
            "g": g.reindex(f["partner"]).to_numpy(),
            "restricted_before": f["partner"]
            .isin(list(restricting_countries(ds.events)))
            .to_numpy(),
            "source": bal.method,
        }
    )
    return out[cols].sort_values("share", ascending=False).reset_index(drop=True)
