"""Shared pieces of the curation: source names, status vocabulary, country-name resolution.

The curation (``python -m tools.curate --raw ../shared/data``) is run by a maintainer when the raw
inputs change. critmat never reads the raw folder at run time: the curation converts, normalises
and labels every figure (material id, stage, ISO3 country, year, unit, basis, source, status) and
writes the tables that ship inside the package. Each transformation is stated where it happens, so
``git diff`` of the output tables after a re-run shows exactly what changed (docs/data.md).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]

USGS26 = "USGS Mineral Commodity Summaries 2026"
USGS25_REE = "USGS Mineral Commodity Summaries 2025, Rare Earths"
WMD = "World Mining Data 2026 (Reichl & Schatz, Austrian Federal Ministry of Finance), 2018-2024"
BACI = "CEPII BACI HS92 (V202401b, data to 2024), reconciled UN Comtrade"
WGI = "World Bank Worldwide Governance Indicators, Political Stability and Absence of Violence (PV)"
IEA = "IEA (2025), Critical Minerals Data Explorer, May 2025 edition, Licence: CC BY 4.0"
EUCRM = "European Commission (2020) Study on the EU's list of Critical Raw Materials, COM(2020)474"

# Input status labels -> critmat's vocabulary (see critmat.data.schemas.STATUSES).
STATUS_MAP = {
    "verified_in_source": "published",
    "verified_in_stored_source": "published",
    "verified_in_stored_source (trade volumes)": "published",
    "secondary": "secondary",
    "secondary_reporting": "secondary",
    "secondary_reporting; unverified": "unverified",
    "secondary_reporting; 25% recycling unverified": "secondary",
    "estimate": "derived",
    "unverified": "unverified",
}

# Country names used by the sources that are not in the BACI/WGI name lists.
ALIASES = {
    "Congo (Kinshasa)": "COD",
    "Democratic Republic of Congo": "COD",
    "Congo, Dem. Rep.": "COD",
    "Burma": "MMR",
    "Myanmar": "MMR",
    "Korea, Republic of": "KOR",
    "Republic of Korea": "KOR",
    "Korea": "KOR",
    "Korea, Rep.": "KOR",
    "Korea, Dem. Rep.": "PRK",
    "Congo, Dem. Rep": "COD",
    "Egypt, Arab Rep.": "EGY",
    "Iran, Islamic Rep.": "IRN",
    "Korea, North": "PRK",
    "Russia": "RUS",
    "Russian Federation": "RUS",
    "Laos": "LAO",
    "Lao Pdr": "LAO",
    "Iran": "IRN",
    "Vietnam": "VNM",
    "Bolivia": "BOL",
    "Côte d'Ivoire": "CIV",
    "Côte D'Ivoire": "CIV",
    "Tanzania": "TZA",
    "Turkey": "TUR",
    "United States": "USA",
    "United Kingdom": "GBR",
    "Taiwan": "TWN",
    "Czechia": "CZE",
    "Kyrgyz Republic": "KGZ",
    "Kyrgyzstan": "KGZ",
    "Egypt": "EGY",
    "French Guiana": "GUF",
    "Greenland": "GRL",
    "New Caledonia": "NCL",
    "United Arab Emirates": "ARE",
    "Other countries": "OTH",
    "Other": "OTH",
    "other": "OTH",
    "others": "OTH",
    "Other non EU countries": "OTH",
    "Other Non Eu Countries": "OTH",
    "Other Non Eu countries": "OTH",
    "Other non-EU countries": "OTH",
    "World total (rounded)": "WLD",
}

# USGS MCS 2026 commodity -> (material id, stage, unit, basis)
USGS_WORLD = {
    "lithium": ("lithium", "mining", "t", "Li"),
    "cobalt": ("cobalt", "mining", "t", "Co"),
    "nickel": ("nickel", "mining", "t", "Ni"),
    "gallium": ("gallium", "refining", "kg", "Ga"),
    "rare-earths": ("rare_earths", "mining", "t", "REO"),
    "graphite": ("graphite", "mining", "t", "natural graphite"),
    "platinum-group-metals": ("palladium", "mining", "kg", "Pd"),
    "tungsten": ("tungsten", "mining", "t", "W"),
    "manganese": ("manganese", "mining", "kt", "Mn"),
    "silicon": ("silicon", "refining", "kt", "Si"),
    "antimony": ("antimony", "mining", "t", "Sb"),
    "chromium": ("chromium", "mining", "kt", "chromite ore (gross weight)"),
    "vanadium": ("vanadium", "mining", "t", "V"),
    "niobium": ("niobium", "mining", "t", "Nb"),
    "tantalum": ("tantalum", "mining", "t", "Ta"),
    "indium": ("indium", "refining", "t", "In"),
    "tin": ("tin", "mining", "t", "Sn"),
    "magnesium": ("magnesium", "refining", "kt", "Mg"),
}

# World Mining Data commodity -> (material id, stage, basis). WMD reports the mine stage except
# where noted: gallium, germanium and indium are refinery by-product output in WMD as well.
WMD_MAP = {
    "Lithium (Li2O)": ("lithium", "mining", "Li2O"),
    "Cobalt": ("cobalt", "mining", "Co"),
    "Nickel": ("nickel", "mining", "Ni"),
    "Manganese": ("manganese", "mining", "Mn"),
    "Graphite": ("graphite", "mining", "natural graphite"),
    "Rare Earths (REO)": ("rare_earths", "mining", "REO"),
    "Gallium": ("gallium", "refining", "Ga"),
    "Germanium": ("germanium", "refining", "Ge"),
    "Indium": ("indium", "refining", "In"),
    "Tungsten (W)": ("tungsten", "mining", "W"),
    "Vanadium (V)": ("vanadium", "mining", "V"),
    "Niobium (Nb2O5)": ("niobium", "mining", "Nb2O5"),
    "Tantalum (Ta2O5)": ("tantalum", "mining", "Ta2O5"),
    "Antimony": ("antimony", "mining", "Sb"),
    "Chromium (Cr2O3)": ("chromium", "mining", "Cr2O3"),
    "Palladium": ("palladium", "mining", "Pd"),
    "Platinum": ("platinum", "mining", "Pt"),
    "Tin": ("tin", "mining", "Sn"),
    "Copper": ("copper", "mining", "Cu"),
    "Rhodium": ("rhodium", "mining", "Rh"),
}

IEA_MAP = {
    "copper": "copper",
    "cobalt": "cobalt",
    "lithium": "lithium",
    "nickel": "nickel",
    "graphite": "graphite",
    "rare_earths_magnet": "magnet_rees",
}
IEA_BASIS = {
    "copper": "Cu",
    "cobalt": "Co",
    "lithium": "Li",
    "nickel": "Ni",
    "graphite": "battery-grade graphite",
    "magnet_rees": "Nd+Pr+Dy+Tb (IEA content basis)",
}

COMMON = ["source", "status", "notes"]


class Names:
    """Resolve country names of every source to ISO3, failing loudly on an unknown one."""

    def __init__(self, raw: Path) -> None:
        codes = pd.read_csv(raw / "baci_country_codes.csv", dtype=str)
        wgi = pd.read_csv(raw / "wgi_political_stability_pv.csv", usecols=["iso3", "country"])
        self.table: dict[str, str] = {}
        for name, iso in zip(codes.country_name, codes.iso3, strict=True):
            if isinstance(iso, str):
                self.table[name] = iso
        for name, iso in zip(wgi.country, wgi.iso3, strict=True):
            self.table.setdefault(name, iso)
        self.table.update(ALIASES)

    def __call__(self, name: str) -> str:
        key = name.strip().strip('"')
        if key in self.table:
            return self.table[key]
        for k, v in self.table.items():
            if k.lower() == key.lower():
                return v
        raise SystemExit(f"curate: no ISO3 code for country name {name!r}; add it to ALIASES")


def status_of(raw: str) -> str:
    try:
        return STATUS_MAP[str(raw).strip()]
    except KeyError:
        raise SystemExit(f"curate: unknown input status {raw!r}; extend STATUS_MAP") from None


# --------------------------------------------------------------------------------------------
def _fix_mojibake(name: str) -> str:
    """BACI names were UTF-8 read as Latin-1 upstream ("TÃ¼rkiye"); undo that where it applies."""
    try:
        return name.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return name
