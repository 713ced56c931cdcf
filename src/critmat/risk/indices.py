"""The published criticality indices, as pure functions of their terms.

- EU CRM supply risk and economic importance: European Commission (2017), *Methodology for
  establishing the EU list of critical raw materials: guidelines*, doi:10.2873/769526 (restated in
  Annex II of Regulation (EU) 2024/1252).
- USGS-style supply risk: Nassar, N.T. & Fortier, S.M. (2021), *Methodology and technical input
  for the 2021 review and revision of the U.S. critical minerals list*, USGS OFR 2021-1045.
- GeoPolRisk: Gemechu et al. (2016) J. Ind. Ecol. 20(1):154; Santillan-Saldivar et al. (2021)
  Resour. Conserv. Recycl. 164:105108; Koyamparambath et al. (2024) Int. J. LCA.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "EI_THRESHOLD",
    "SR_THRESHOLD",
    "eu_crm_ei",
    "eu_crm_sr",
    "geopolrisk_wta",
    "usgs_supply_risk",
]

#: EU criticality thresholds (EC 2017 guidelines; unchanged in the 2020 and 2023 assessments).
EI_THRESHOLD = 2.8
SR_THRESHOLD = 1.0
#: The EU method scales governance 0..10 (10 = worst); critmat's g is 0..1.
WGI_SCALE = 10.0


def eu_crm_sr(
    hhi_wgi_global: float,
    hhi_wgi_sourcing: float,
    import_reliance: float,
    eol_rir: float,
    si_sr: float,
) -> float:
    """EU supply risk (EC 2017, eq. 2)::

        SR = [HHI_WGI,t(GS) * IR/2 + HHI_WGI,t(EU) * (1 - IR/2)] * (1 - EoL_RIR) * SI_SR

    ``hhi_wgi_*`` are sums of squared shares times instability g in 0..1 (times t_c); they are
    multiplied by 10 here to match the EU's 0-10 governance scale.
    """
    ir = float(import_reliance)
    mix = hhi_wgi_global * ir / 2.0 + hhi_wgi_sourcing * (1.0 - ir / 2.0)
    return float(WGI_SCALE * mix * (1.0 - eol_rir) * si_sr)


def eu_crm_ei(
    end_use_shares: pd.Series,
    end_use_nace: dict[str, str],
    sector_gva: dict[str, float],
    si_ei: float,
) -> tuple[float, str]:
    """EU economic importance (EC 2017, eq. 1)::

        EI = sum_s (A_s * Q_s) * SI_EI,   scaled to 0-10 by the largest sector's Q

    ``end_use_shares`` are A_s by end-use sector; each maps to a NACE 2-digit sector with value
    added Q_s. Returns (EI, note); EI is NaN, with the reason in the note, when an input is missing.
    """
    if not sector_gva:
        return float("nan"), "EI not computed: no sector GVA input (not in the dataset)"
    if end_use_shares.empty:
        return float("nan"), "EI not computed: no end-use shares for this material"
    qmax = max(sector_gva.values())
    total, unmapped = 0.0, []
    for sector, share in end_use_shares.items():
        nace = end_use_nace.get(str(sector))
        if nace is None or nace not in sector_gva:
            unmapped.append(str(sector))
            continue
        total += float(share) * sector_gva[nace] / qmax
    note = f"unmapped end uses (no GVA): {', '.join(unmapped)}" if unmapped else ""
    return float(10.0 * total * si_ei), note


def usgs_supply_risk(dp: float, te: float, ev: float) -> float:
    """USGS-2022-style supply risk = disruption potential x trade exposure x economic
    vulnerability, each in 0..1 (Nassar & Fortier 2021)."""
    return float(dp * te * ev)


def geopolrisk_wta(imports_t: pd.Series, g: pd.Series, domestic_production_t: float) -> float:
    """GeoPolRisk import-risk term::

        WTA = sum_i g_i f_i / (p + F)

    with f_i imports from exporter i, F = sum_i f_i and p the holder's domestic production, all in
    the same unit (t), g_i exporter instability in 0..1.
    """
    f = imports_t.astype(np.float64)
    denom = domestic_production_t + float(f.sum())
    if denom <= 0:
        return float("nan")
    gi = g.reindex(f.index).astype(np.float64).to_numpy()
    return float(np.sum(gi * f.to_numpy()) / denom)
