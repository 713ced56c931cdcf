"""Inputs of the EU method taken from the EC 2023 study by default: economic importance from
end uses and sector value added, substitution indices, and the EU sourcing term.

European Commission (2017), *Methodology for establishing the EU list of critical raw materials:
guidelines*, doi:10.2873/769526, as applied in the 2023 study (doi:10.2873/725585)::

    EI = SI_EI * sum_s A_s Q_s / max_s' Q_s' * 10

with A_s the share of the material's end uses in NACE Rev. 2 division s and Q_s the division's
value added (the largest manufacturing division, C28, scales the result to 0-10).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from critmat.data.dataset import Dataset
from critmat.risk.indices import eu_crm_ei
from critmat.risk.inputs import AssessmentInputs, Substitution

__all__ = [
    "EIResult",
    "ec_sourcing_hhi_wgi",
    "economic_importance",
    "nace_end_use_shares",
    "substitution",
    "value_added_by_nace",
]

#: A material missing from the EC 2023 end-use table -> the global end-use material used instead.
END_USE_STAND_IN: dict[str, str] = {"dysprosium": "magnet_rees"}


@dataclass(frozen=True)
class EIResult:
    """Economic importance with what it was computed from."""

    ei: float
    source: str
    status: str
    note: str
    mapped_share: float


def substitution(ds: Dataset, material: str, inp: AssessmentInputs) -> tuple[Substitution, str]:
    """SI_SR and SI_EI: the user's inputs first, else the EC 2023 published indices, else 1."""
    if material in inp.substitution:
        return inp.substitution[material], "user input"
    t = ds.table("eu_crm_inputs")
    row = t[t["material"] == material]
    if len(row) and pd.notna(row["si_sr"].iloc[0]) and pd.notna(row["si_ei"].iloc[0]):
        r = row.iloc[0]
        return Substitution(si_sr=float(r["si_sr"]), si_ei=float(r["si_ei"])), "EC 2023"
    return Substitution(), "default 1 (no published index)"


def nace_end_use_shares(
    ds: Dataset, material: str, inp: AssessmentInputs
) -> tuple[pd.Series, str, str]:
    """End-use shares A_s by NACE division (index ``""``: uses the EC or the mapping leave
    unassigned), with the source label and status: the EC 2023 table where it lists the material,
    else the global end-use table mapped with ``inp.end_use_nace`` (``derived``). Empty when no
    end-use shares are known."""
    eu = ds.table("eu_end_uses")
    eu = eu[eu["material"] == material]
    if len(eu):
        a = eu.groupby(eu["nace"].astype(str))["share"].sum()
        return a, "EC 2023 end uses (Appendix 6)", "secondary"
    shares, label = _global_shares(ds, material)
    if shares.empty:
        return pd.Series(dtype=np.float64), "", ""
    a = shares.groupby(lambda k: inp.end_use_nace.get(str(k), "")).sum()
    return a, f"derived: {label} mapped to NACE", "derived"


def value_added_by_nace(ds: Dataset, inp: AssessmentInputs) -> tuple[dict[str, float], str]:
    """Value added per NACE division (EUR m, EU27 as used by the EC 2023 study, unless the
    user's inputs give ``sector_gva``) and where it comes from."""
    if inp.sector_gva:
        return dict(inp.sector_gva), "user input"
    va = ds.table("sector_value_added")
    va = va[va["region"] == "EU27"]
    return dict(zip(va["nace"].astype(str), va["value"].astype(float), strict=True)), (
        "EU27 value added as used by the EC 2023 study"
    )


def _global_shares(ds: Dataset, material: str) -> tuple[pd.Series, str]:
    eu = ds.end_uses
    for mat in (material, END_USE_STAND_IN.get(material, "")):
        for region in ("WLD", "USA"):
            g = eu[(eu["material"] == mat) & (eu["region"] == region) & (eu["parent_sector"] == "")]
            if g.empty:
                continue
            # the most detailed recent breakdown: most sectors, then the latest year
            counts = g.groupby(["year", "source"]).size().reset_index(name="n")
            best = counts.sort_values(["n", "year"], ascending=False).iloc[0]
            sel = g[(g["year"] == best["year"]) & (g["source"] == best["source"])]
            label = f"{region} end uses of {mat} ({best['source']}, {int(best['year'])})"
            return sel.groupby("sector")["share"].sum(), label
    return pd.Series(dtype=np.float64), ""


def economic_importance(
    ds: Dataset, material: str, holder: str, inp: AssessmentInputs, si_ei: float
) -> EIResult:
    """EI of a material: EC 2023 end uses by NACE division where the EC lists the material,
    else the global end-use table mapped to NACE (``derived``, said so)."""
    va, va_src = value_added_by_nace(ds, inp)
    proxy = "" if holder == "EU27" else f"; EU27 value added stands in for {holder}'s"
    eu = ds.table("eu_end_uses")
    eu = eu[eu["material"] == material]
    if len(eu):
        a = eu.groupby(eu["nace"].astype(str))["share"].sum()
        mapping = {k: k for k in a.index if k}
        ei, note = eu_crm_ei(a[a.index != ""], mapping, va, si_ei)
        mapped = float(a[[k for k in a.index if k in va]].sum())
        unassigned = float(a.get("", 0.0))
        extra = f"{unassigned:.0%} of end uses unassigned by the EC" if unassigned else ""
        return EIResult(
            ei,
            f"EC 2023 end uses x {va_src}{proxy}",
            "secondary",
            "; ".join(x for x in (note, extra) if x),
            mapped,
        )
    shares, label = _global_shares(ds, material)
    if shares.empty:
        return EIResult(float("nan"), "", "", "EI not computed: no end-use shares", 0.0)
    ei, note = eu_crm_ei(shares, inp.end_use_nace, va, si_ei)
    mapped = float(sum(v for k, v in shares.items() if inp.end_use_nace.get(str(k)) in va))
    return EIResult(
        ei,
        f"derived: {label} mapped to NACE x {va_src}{proxy}",
        "derived",
        f"not in the EC 2023 end-use table; {mapped:.0%} of uses mapped to a division"
        + (f"; {note}" if note else ""),
        mapped,
    )


def ec_sourcing_hhi_wgi(ds: Dataset, material: str, stage: str, g: pd.Series) -> float | None:
    """EC 2023 EU sourcing term sum_c s_c^2 g_c t_c (None when not published for the stage)."""
    sh = ds.table("eu_crm_shares")
    sh = sh[(sh["material"] == material) & (sh["stage"] == stage) & (sh["kind"] == "eu_sourcing")]
    sh = sh[~sh["country"].isin(["OTH", "ROW", "EU27"])]
    if sh.empty:
        return None
    s = sh["share"].astype(np.float64).to_numpy()
    gg = g.reindex(sh["country"].astype(str)).fillna(0.5).to_numpy(np.float64)
    t = sh["trade_parameter"].astype(np.float64).to_numpy()
    return float(np.sum(s**2 * gg * t))
