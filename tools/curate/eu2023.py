"""EU 2023 criticality inputs: end uses by NACE division, division value added, substitution
indices and import reliance, global supply and EU sourcing shares (EC 2023 CRM study).

Transcriptions of the European Commission's tables (doi:10.2873/725585) by two public
repositories (status ``secondary``). Material names are mapped to critmat ids; countries to ISO3;
stages ``extraction`` -> ``mining`` and ``processing`` -> ``refining``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from tools.curate.common import Names, status_of

EC23 = (
    "European Commission (2023) Study on the Critical Raw Materials for the EU, doi:10.2873/725585"
)

#: EC 2023 material name -> critmat material id (materials in the catalogue only).
EC_NAMES = {
    "Lithium": "lithium",
    "Nickel": "nickel",
    "Cobalt": "cobalt",
    "Natural graphite": "graphite",
    "Manganese": "manganese",
    "Neodymium": "neodymium",
    "Dysprosium": "dysprosium",
    "Terbium": "terbium",
    "Palladium": "palladium",
    "Platinum": "platinum",
    "Silicon metal": "silicon",
    "Gallium": "gallium",
    "Germanium": "germanium",
    "Tungsten": "tungsten",
    "Vanadium": "vanadium",
    "Niobium": "niobium",
    "Tantalum": "tantalum",
    "Antimony": "antimony",
    "Chromium": "chromium",
    "Indium": "indium",
    "Tin": "tin",
    "Magnesium": "magnesium",
    "Copper": "copper",
    "LREE": "lree",
    "HREE": "hree",
    "PGM": "pgms",
    "Rhodium": "rhodium",
    "Iridium": "iridium",
    "Tellurium": "tellurium",
    "Arsenic": "arsenic",
    "Selenium": "selenium",
    "Bismuth": "bismuth",
    "Beryllium": "beryllium",
    "Zirconium": "zirconium",
    "Titanium": "titanium",
}
STAGE = {"extraction": "mining", "processing": "refining"}


def _source(text: str) -> str:
    return f"{EC23}; transcription: {text}"


def sector_value_added(raw: Path) -> pd.DataFrame:
    """EU27 value added per NACE division as used by the EC 2023 assessment (MEUR)."""
    va = pd.read_csv(raw / "eu_nace2_value_added_crm2023.csv").dropna(subset=["nace_va_meur"])
    return pd.DataFrame(
        {
            "region": "EU27",
            "nace": va.nace_code.values,
            "label": va.nace_label.values,
            "value": va.nace_va_meur.astype(float).values,
            "unit": "EUR m",
            "source": [_source(s) for s in va.source],
            "status": [status_of(s) for s in va.status],
            "notes": "Eurostat value added as used by the EC 2023 study; reference year not "
            "stated in the transcription",
        }
    )


def eu_end_uses(raw: Path) -> pd.DataFrame:
    """EC 2023 end-use shares per material, each application with its NACE division."""
    e = pd.read_csv(raw / "eu_crm2023_end_use_shares_nace.csv")
    e = e[e.material.isin(list(EC_NAMES)) & e.share_pct.notna()].copy()
    va = pd.read_csv(raw / "eu_nace2_value_added_crm2023.csv").dropna(subset=["nace_va_meur"])
    by_va = {float(v): str(c) for c, v in zip(va.nace_code, va.nace_va_meur, strict=True)}
    notes = e.notes.fillna("").astype(str)
    nace = e.nace_code.fillna("").astype(str)
    # manganese: the NACE code column is shifted against the applications in the transcription;
    # the value-added column still belongs to each application's division, so map back by it.
    mn = e.material == "Manganese"
    nace = nace.where(~mn, e.nace_va_meur.map(lambda v: by_va.get(float(v), "")))
    notes = notes.where(
        ~mn, "NACE division re-derived from the row's value added (code column shifted)"
    )
    out = pd.DataFrame(
        {
            "material": e.material.map(EC_NAMES).values,
            "application": e.application.values,
            "share": (e.share_pct / 100.0).round(4).values,
            "nace": nace.values,
            "source": [_source(s) for s in e.source],
            "status": [status_of(s) for s in e.status],
            "notes": notes.values,
        }
    )
    # an exact duplicate row (magnesium, "Construction") is dropped once
    return out.drop_duplicates(subset=["material", "application", "nace", "share"]).reset_index(
        drop=True
    )


def eu_crm_inputs(raw: Path) -> pd.DataFrame:
    """Substitution indices, EoL-RIR and EU import reliance per stage (EC 2023 results)."""
    r = pd.read_csv(raw / "eu_crm2023_substitution_recycling_reliance.csv")
    r = r[r.material.isin(list(EC_NAMES))]
    stage_map = {"Extraction": "mining", "Processing": "refining"}
    return pd.DataFrame(
        {
            "material": r.material.map(EC_NAMES).values,
            "si_ei": r.si_ei.values,
            "si_sr": r.si_sr.values,
            "eol_rir": (r.eol_rir_pct / 100.0).values,
            "ir_mining": (r.import_reliance_extraction_pct / 100.0).values,
            "ir_refining": (r.import_reliance_processing_pct / 100.0).values,
            "bottleneck_stage": r.bottleneck_stage_used.map(stage_map).fillna("").values,
            "source": [_source(s) for s in r.source],
            "status": [status_of(s) for s in r.status],
            "notes": "",
        }
    )


def eu_crm_shares(raw: Path, names: Names) -> pd.DataFrame:
    """Global supply and EU sourcing shares by country and stage, with the trade parameter t."""
    out = []
    for file, kind in (
        ("eu_crm2023_global_supply_shares.csv", "global"),
        ("eu_crm2023_eu_sourcing_shares.csv", "eu_sourcing"),
    ):
        s = pd.read_csv(raw / file)
        s = s[s.material.isin(list(EC_NAMES)) & s.share_pct.notna()]
        s = s[s.stage.isin(list(STAGE))]
        countries = [_country(names, c) for c in s.country]
        out.append(
            pd.DataFrame(
                {
                    "material": s.material.map(EC_NAMES).values,
                    "stage": s.stage.map(STAGE).values,
                    "kind": kind,
                    "country": countries,
                    "share": (s.share_pct / 100.0).round(4).values,
                    "trade_parameter": s.trade_parameter_t.fillna(1.0).values,
                    "source": [_source(x) for x in s.source],
                    "status": [status_of(x) for x in s.status],
                    "notes": s.notes.fillna("").values,
                }
            )
        )
    df = pd.concat(out, ignore_index=True)
    # rows for one country printed twice under two spellings are summed
    key = ["material", "stage", "kind", "country"]
    agg = {c: "first" for c in df.columns if c not in [*key, "share"]}
    return df.groupby(key, as_index=False).agg({"share": "sum", **agg})[df.columns]


EXTRA_NAMES = {
    "Brasil": "BRA",
    "Libanon": "LBN",
    "Korea": "KOR",
    "Congo": "COG",
    "Hong Kong": "HKG",
    "Taiwan": "TWN",
    "Turkey": "TUR",
    "Türkiye": "TUR",
    "United States": "USA",
    "USA": "USA",
    "UK": "GBR",
    "United Kingdom": "GBR",
    "Rest of the world": "ROW",
    "Rest of world": "ROW",
    "Other": "OTH",
    "Others": "OTH",
    "EU": "EU27",
    "Cape Verde": "CPV",
    "South Korea": "KOR",
    "Korea, South": "KOR",
    "Brasilia": "BRA",
    "Solomon Islands": "SLB",
    "Surinam": "SUR",
    "Central African Republic": "CAF",
    "Congo, D.R.": "COD",
    "Bosnia and Herzegovina": "BIH",
    "Dominican Republic": "DOM",
    "Moldova": "MDA",
    "Cote d'Ivoire": "CIV",
    "Turkyie": "TUR",
    "Kosovo": "OTH",  # no ISO 3166-1 code; kept as "other countries"
}


def _country(names: Names, name: str) -> str:
    key = str(name).strip().strip('"')
    if key in EXTRA_NAMES:
        return EXTRA_NAMES[key]
    if key.startswith("Congo") and ("Dem" in key or "DR" in key or "Kinshasa" in key):
        return "COD"
    return names(key)
