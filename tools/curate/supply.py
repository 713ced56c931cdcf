"""Supply tables: production by country and stage, share-only figures, control."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from tools.curate.common import (
    EUCRM,
    IEA,
    IEA_BASIS,
    IEA_MAP,
    USGS25_REE,
    USGS26,
    USGS_WORLD,
    WMD,
    WMD_MAP,
    Names,
    status_of,
)


def production(raw: Path, names: Names) -> pd.DataFrame:
    out: list[pd.DataFrame] = []
    # --- USGS MCS 2026 world mine / refinery production (2024, 2025e)
    w = pd.read_csv(raw / "usgs_mcs2026_world_production_reserves.csv")
    for com, grp in w.groupby("commodity"):
        mat, stage, unit, basis = USGS_WORLD[str(com)]
        table_name = grp.table.iloc[0].split(" (")[0]
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
                    "source": f"{USGS26}, {table_name}; {grp.source_url.iloc[0]}",
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
    wmd_unit = m.unit.map({"metr. t": "t", "kg": "kg"})
    if wmd_unit.isna().any():
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
                "unit": wmd_unit.to_numpy(),
                "basis": [t[2] for t in meta],
                "dataset": "wmd2026",
                "source": WMD + ", table 6.4 (production of mineral raw materials by country)",
                "status": m.data_flag.map(
                    {"r": "published", "e": "published_estimate", "p": "published_estimate"}
                )
                .fillna("published")
                .values,
                "flag": m.data_flag.fillna("")
                .map({"r": "revised", "e": "estimated", "p": "preliminary", "": ""})
                .values,
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
    return df.sort_values(["material", "stage", "dataset", "year", "country"]).reset_index(
        drop=True
    )


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
                "share": crm.share_pct.to_numpy(dtype=float) / 100.0,
                "share_bound": "",
                "dataset": "eu_crm2020",
                "source": EUCRM + " (factsheets, Blengini et al. 2020), tabulated by DW data team",
                "status": "secondary",
                "notes": "global supply at the stage assessed by the EC; rank "
                + crm["rank"].astype(str).to_numpy(dtype=object),
            }
        )
    )
    # Secondary share-only figures: gallium/germanium refining, polysilicon, NdFeB magnets
    r = pd.read_csv(raw / "refining_shares.csv")
    r = r[r.material.isin(list(REFINING_SHARE_ONLY)) & (r.country_iso3 != "WLD")]
    out.append(
        pd.DataFrame(
            {
                "material": r.material.map(lambda m: REFINING_SHARE_ONLY[m][0]).values,
                "stage": r.material.map(lambda m: REFINING_SHARE_ONLY[m][1]).values,
                "country": r.country_iso3.values,
                "year": r.year.values,
                "share": r.share.values,
                "share_bound": "",
                "dataset": "secondary_" + r.year.astype(str).to_numpy(dtype=object),
                "source": r.source.values,
                "status": r.status.map(status_of).values,
                "notes": (r.stage + ": " + r.notes.fillna("")).values,
            }
        )
    )
    out.append(_press_shares(raw))
    out.append(_dysprosium_mine_shares(raw))
    # Derived element shares for Nd, Dy, Tb from the REE group (see docs/data.md, "REE split").
    derived = []
    mining = prod[(prod.material == "rare_earths") & (prod.dataset == "usgs_mcs2026")]
    mining_wmd = prod[(prod.material == "rare_earths") & (prod.dataset == "wmd2026")]
    refin = prod[(prod.material == "magnet_rees") & (prod.dataset == "iea2025")]
    for base, stage, rule, dataset in (
        (mining, "mining", "USGS MCS 2026 REO mine production by country", "derived_ree_split"),
        (
            mining_wmd,
            "mining",
            "World Mining Data 2026 REO production by country",
            "derived_ree_split_wmd",
        ),
        (
            refin,
            "refining",
            "IEA 2025 refined magnet rare earths (Nd+Pr+Dy+Tb) by country",
            "derived_ree_split",
        ),
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
                            "dataset": dataset,
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
    df["share_bound"] = df["share_bound"].fillna("")
    lower = df["notes"].str.contains("LOWER BOUND|stated lower bound", regex=True)
    df.loc[lower, "share_bound"] = "lower"
    return df


#: refining_shares.csv material -> (material id, stage) for its share-only rows.
REFINING_SHARE_ONLY = {
    "gallium": ("gallium", "refining"),
    "germanium": ("germanium", "refining"),
    "silicon (polysilicon)": ("silicon", "manufacturing"),
    "rare earths (NdFeB magnets)": ("ndfeb_magnets", "manufacturing"),
}

#: production_shares_secondary.csv rows used, by row number (0-based, header excluded):
#: (material, stage, country, year, share, bound). Rows not listed are aggregates over several
#: materials, projections, demand figures, approximate years ("~2022") or duplicates of USGS rows.
PRESS_ROWS = {
    4: ("lithium", "mining", "AUS", 2023, 0.432, ""),
    5: ("nickel", "mining", "IDN", 2023, 0.517, ""),
    6: ("cobalt", "mining", "COD", 2023, 0.654, ""),
    8: ("lithium", "refining", "CHN", 2024, 0.70, ""),
    9: ("cobalt", "refining", "CHN", 2024, 0.80, ""),
    10: ("graphite", "refining", "CHN", 2024, 0.90, "lower"),
    11: ("rare_earths", "refining", "CHN", 2024, 0.92, ""),
    16: ("gallium", "refining", "CHN", 2024, 0.98, ""),
    17: ("germanium", "refining", "CHN", 2024, 0.68, ""),
    18: ("antimony", "mining", "CHN", 2024, 0.48, ""),
    21: ("graphite", "mining", "CHN", 2023, 0.78, ""),
    22: ("ndfeb_magnets", "manufacturing", "CHN", 2024, 0.92, ""),
}


def _press_shares(raw: Path) -> pd.DataFrame:
    """Single-country shares quoted by the press (production_shares_secondary.csv)."""
    p = pd.read_csv(raw / "production_shares_secondary.csv")
    rows = []
    for i, (mat, stage, country, year, share, bound) in PRESS_ROWS.items():
        src = p.iloc[i]
        rows.append(
            {
                "material": mat,
                "stage": stage,
                "country": country,
                "year": year,
                "share": share,
                "share_bound": bound,
                "dataset": f"press_{year}",
                "source": src["source"],
                "status": status_of(src["status"]),
                "notes": f"as published: {src['material']}, {src['country_or_metric']} = "
                f"{src['value']} {src['unit']}",
            }
        )
    return pd.DataFrame(rows)


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
            "source": "C4ADS (Center for Advanced Defense Studies), report of 2025-02-04, as "
            "reported by Reuters/Business Standard 2025-02-05 and The Northern Miner 2025-02-05",
            "status": "secondary",
            "notes": "'Chinese companies or shareholders ultimately control at least "
            "three-quarters of Indonesia's nickel refining capacity' (8 Mt, 33 companies, 2023)",
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


def _dysprosium_mine_shares(raw: Path) -> pd.DataFrame:
    """Dysprosium's own mine shares, 2021 (JRC RMIS profile as quoted: China 40 %, Myanmar 31 %,
    Australia 20 % of 3,126 t; the rest derived): element-level, unlike the group splits, so
    :func:`critmat.data.views.supply_by_country` shows them first. A quote of a quote: labelled."""
    t = pd.read_csv(raw / "ge_ta_end_uses_dy_tb_supply_shares.csv")
    d = t[(t.material == "dysprosium") & (t.measure == "mine production share")]
    iso = {"China": "CHN", "Myanmar": "MMR", "Australia": "AUS"}
    if set(d.item) != set(iso):
        raise SystemExit("curate: dysprosium 2021 mine shares: expected China, Myanmar, Australia")
    share = d.value.to_numpy(dtype=float) / 100.0
    quote = (
        "quote of a quote (RMIS via a public post); verify against RMIS; world mine output "
        "3,126 t in 2021 (basis not stated)"
    )
    named = pd.DataFrame(
        {
            "material": "dysprosium",
            "stage": "mining",
            "country": d.item.map(iso).to_numpy(dtype=object),
            "year": 2021,
            "share": share,
            "share_bound": "",
            "dataset": "jrc_rmis2021",
            "source": "JRC RMIS raw-material profile Dysprosium, as quoted at "
            "https://dmv.community/@akuchling/114288515858309223",
            "status": d.status.map(status_of).to_numpy(dtype=object),
            "notes": "element-level mine share; " + quote,
        }
    )
    rest = pd.DataFrame(
        {
            "material": ["dysprosium"],
            "stage": ["mining"],
            "country": ["OTH"],
            "year": [2021],
            "share": [round(1.0 - float(share.sum()), 6)],
            "share_bound": [""],
            "dataset": ["jrc_rmis2021"],
            "source": ["derived by critmat: 1 - the three quoted shares"],
            "status": ["derived"],
            "notes": ["other countries, the residual; " + quote],
        }
    )
    return pd.concat([named, rest], ignore_index=True)
