"""Tables of the predictive layer (critmat.forecast): price series, demand drivers, the IEA's
mineral demand projections, battery chemistry shares and country hazard indicators.

Raw files: ../shared/data/PROVENANCE.md, section 18. Every row keeps its source and status.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

WB = (
    "World Bank Commodity Price Data (The Pink Sheet), CMO-Historical-Data-Monthly.xlsx, "
    "edition 2026-06-02; CC BY 4.0"
)
#: World Bank series -> (material, basis, unit in critmat's vocabulary)
WB_SERIES = {
    "NICKEL": ("nickel", "Ni", "USD/t"),
    "COPPER": ("copper", "Cu", "USD/t"),
    "ALUMINUM": ("aluminium", "Al", "USD/t"),
    "Tin": ("tin", "Sn", "USD/t"),
    "PLATINUM": ("platinum", "Pt", "USD/ozt"),
}
#: GEVO region -> critmat holder or aggregate
GEVO_REGIONS = {
    "World": "WLD",
    "EU27": "EU27",
    "USA": "USA",
    "China": "CHN",
    "Japan": "JPN",
    "Korea": "KOR",
    "India": "IND",
    "United Kingdom": "GBR",
    "Germany": "DEU",
    "France": "FRA",
    "Italy": "ITA",
    "Canada": "CAN",
    "Australia": "AUS",
}
IRENA_REGIONS = {"World": "WLD", "European Union (27)": "EU27"}
HOLDER_ISO = {"USA", "CHN", "JPN", "KOR", "IND", "GBR", "DEU", "FRA", "ITA", "CAN", "AUS", "TWN"}
#: IEA mineral label -> (material, basis)
IEA_MINERALS = {
    "Lithium": ("lithium", "Li"),
    "Nickel": ("nickel", "Ni"),
    "Cobalt": ("cobalt", "Co"),
    "Copper": ("copper", "Cu"),
    "Graphite": ("graphite", "C (natural and synthetic graphite)"),
    "Battery-grade graphite": ("graphite", "C (battery-grade graphite)"),
    "Rare Earth Elements": ("magnet_rees", "Nd+Pr+Dy+Tb (IEA content basis)"),
    "Neodymium": ("neodymium", "Nd"),
    "Dysprosium": ("dysprosium", "Dy"),
    "Terbium": ("terbium", "Tb"),
    "Total REE": ("rare_earths", "REE (IEA content basis)"),
    "Manganese": ("manganese", "Mn"),
    "Silicon": ("silicon", "Si"),
    "Gallium": ("gallium", "Ga"),
    "Germanium": ("germanium", "Ge"),
    "PGMs": ("pgms", "PGM"),
    "Iridium": ("iridium", "Ir"),
    "Tungsten": ("tungsten", "W"),
    "Vanadium": ("vanadium", "V"),
    "Niobium": ("niobium", "Nb"),
    "Tantalum": ("tantalum", "Ta"),
    "Chromium": ("chromium", "Cr"),
    "Indium": ("indium", "In"),
    "Tin": ("tin", "Sn"),
    "Magnesium": ("magnesium", "Mg"),
    "Titanium": ("titanium", "Ti"),
    "Zirconium": ("zirconium", "Zr"),
    "Tellurium": ("tellurium", "Te"),
    "Selenium": ("selenium", "Se"),
    "Arsenic": ("arsenic", "As"),
}


def price_series(raw: Path) -> pd.DataFrame:
    """Monthly World Bank prices of the catalogue's metals and the USGS DS140 lithium unit
    value (annual, 1900-2021)."""
    w = pd.read_csv(raw / "wb_pinksheet_metals_monthly.csv")
    desc = pd.read_csv(raw / "wb_pinksheet_metals_series_descriptions.csv")
    what = dict(zip(desc.series_code, desc.description, strict=True))
    out = []
    for code, (mat, basis, unit) in WB_SERIES.items():
        g = w[w.series_code == code].dropna(subset=["value"])
        out.append(
            pd.DataFrame(
                {
                    "material": mat,
                    "series": f"WB {code.upper()}",
                    "frequency": "M",
                    "period": g.period.values,
                    "year": g.period.str[:4].astype(int).values,
                    "value": g.value.astype(float).values,
                    "unit": unit,
                    "basis": basis,
                    "currency_basis": "nominal",
                    "source": f"{WB}; copy: {g.source.iloc[0].split(';')[-1].strip()}",
                    "status": "secondary",
                    "notes": str(what.get(code, ""))[:300],
                }
            )
        )
    d = pd.read_csv(raw / "usgs_ds140_lithium_statistics_1900_2021.csv")
    d = d[(d.variable == "Unit value ($/t)") & d.value.notna()]
    out.append(
        pd.DataFrame(
            {
                "material": "lithium",
                "series": "USGS DS140 unit value",
                "frequency": "A",
                "period": d.year.astype(str).values,
                "year": d.year.astype(int).values,
                "value": d.value.astype(float).values,
                "unit": "USD/t",
                "basis": "Li2CO3",
                "currency_basis": "nominal",
                "source": "USGS Data Series 140, Lithium statistics (ds140-lithium-2021.xlsx); "
                "public domain",
                "status": "secondary",
                "notes": "unit value of lithium carbonate (DS140 'Unit value ($/t)'); the basis "
                "is read from its order of magnitude against the MCS carbonate prices",
            }
        )
    )
    return pd.concat(out, ignore_index=True)


def consumption_series(raw: Path) -> pd.DataFrame:
    """Long annual quantity histories: USGS DS140 lithium world production and US estimated
    consumption, 1900-2021 (t lithium content)."""
    d = pd.read_csv(raw / "usgs_ds140_lithium_statistics_1900_2021.csv")
    keep = {
        "World production (lithium content)": ("world production", "WLD"),
        "Estimated consumption": ("estimated consumption", "USA"),
    }
    d = d[d.variable.isin(keep) & d.value.notna()]
    return pd.DataFrame(
        {
            "material": "lithium",
            "series": [f"USGS DS140 {keep[v][0]}" for v in d.variable],
            "region": [keep[v][1] for v in d.variable],
            "year": d.year.astype(int).values,
            "value": d.value.astype(float).values,
            "unit": "t/yr",
            "basis": "Li",
            "source": "USGS Data Series 140, Lithium statistics (ds140-lithium-2021.xlsx); "
            "public domain",
            "status": "secondary",
            "notes": d.flag.fillna("").astype(str).values,
        }
    ).reset_index(drop=True)


def _gevo(raw: Path) -> pd.DataFrame:
    g = pd.read_csv(raw / "iea_gevo_ev_sales_stock_battery_demand.csv")
    g = g[g.region.isin(GEVO_REGIONS)]
    g = g[g.parameter.isin(["EV sales", "Battery demand"])]
    g = g[g.powertrain.isin(["BEV", "PHEV", "EV"])]
    # EV sales: cars only (the 2025 edition adds two- and three-wheelers, the 2024 one does not)
    g = g[(g.parameter == "Battery demand") | (g["mode"] == "Cars")]
    rows = []
    for key, x in g.groupby(["edition", "category", "parameter", "region", "year"]):
        ed, cat, par, reg, year = (str(k) for k in key)
        scen = {"Historical": "historical"}.get(cat, cat.replace("Projection-", ""))
        driver = "ev_battery_demand" if par == "Battery demand" else "ev_sales"
        unit = "GWh/yr" if par == "Battery demand" else "vehicles/yr"
        modes = ", ".join(sorted(x["mode"].unique()))
        rows.append(
            {
                "driver": driver,
                "region": GEVO_REGIONS[reg],
                "scenario": scen,
                "year": int(year),
                "value": float(x.value.sum()),
                "unit": unit,
                "edition": ed,
                "source": f"IEA ({ed[-4:]}), Global EV Data Explorer ({ed}), CC BY 4.0; copy: "
                + str(x.source.iloc[0]).split(";")[-1].strip(),
                "status": "secondary",
                "notes": "cars, BEV+PHEV" if driver == "ev_sales" else f"sum over modes ({modes})",
            }
        )
    return pd.DataFrame(rows)


def _irena(raw: Path) -> pd.DataFrame:
    i = pd.read_csv(raw / "irena_solar_wind_installed_capacity.csv")
    reg = i.entity.map(IRENA_REGIONS)
    iso = i.iso3_or_owid_code.where(i.iso3_or_owid_code.isin(HOLDER_ISO))
    i = i.assign(region=reg.fillna(iso)).dropna(subset=["region"])
    src = (
        "IRENA (2024) Renewable Capacity Statistics, (c) IRENA 2024, via Our World in Data "
        "(CC BY 4.0); copy: " + str(i.source.iloc[0]).split(";")[-1].strip()
    )
    rows = []
    for col, tech in (("solar_total_gw", "solar"), ("wind_total_gw", "wind")):
        for region, g in i.groupby("region"):
            g = g.dropna(subset=[col]).sort_values("year")
            if g.empty:
                continue
            cum = g[col].astype(float).to_numpy()
            years = g.year.astype(int).to_numpy()
            for y, v in zip(years, cum, strict=True):
                rows.append((f"{tech}_capacity", region, int(y), float(v), "GW", "secondary", ""))
            add = np.diff(cum)
            for y, prev, v in zip(years[1:], years[:-1], add, strict=True):
                if y != prev + 1:
                    continue
                rows.append(
                    (
                        f"{tech}_added",
                        region,
                        int(y),
                        float(max(float(v), 0.0)),
                        "GW/yr",
                        "derived",
                        "year-on-year difference of cumulative capacity (net of retirements; "
                        "negative differences set to 0)",
                    )
                )
    df = pd.DataFrame(
        rows, columns=["driver", "region", "year", "value", "unit", "status", "notes"]
    )
    df["scenario"] = "historical"
    df["edition"] = "IRENA 2024"
    df["source"] = src
    return df


def demand_drivers(raw: Path) -> pd.DataFrame:
    cols = [
        "driver",
        "region",
        "scenario",
        "year",
        "value",
        "unit",
        "edition",
        "source",
        "status",
        "notes",
    ]
    df = pd.concat([_gevo(raw), _irena(raw)], ignore_index=True)[cols]
    return df.sort_values(["driver", "region", "scenario", "edition", "year"]).reset_index(
        drop=True
    )


def demand_projections(raw: Path) -> pd.DataFrame:
    c = pd.read_csv(raw / "iea_cm2025_mineral_demand_projections.csv")
    c = c[c.mineral.isin(IEA_MINERALS)]
    mat = c.mineral.map(lambda m: IEA_MINERALS[m][0])
    basis = c.mineral.map(lambda m: IEA_MINERALS[m][1])
    scen = c.scenario.replace({"Historical/base year": "historical"})
    df = pd.DataFrame(
        {
            "material": mat,
            "iea_mineral": c.mineral,
            "table": c.table,
            "use": c.technology_or_use,
            "scenario": scen,
            "year": c.year.astype(int),
            "value": c.demand_kt.astype(float) * 1000.0,
            "unit": "t/yr",
            "basis": basis,
            "edition": "IEA CM 2025",
            "source": "IEA (2025), Critical Minerals Data Explorer, May 2025 edition (CC BY 4.0); "
            "copy: github barrytho/uk-critical-minerals-dashboard data/iea.json@6229124",
            "status": "secondary",
            "notes": "kt in the source, stored in t",
        }
    )
    df = df.drop_duplicates(["material", "iea_mineral", "table", "use", "scenario", "year"])
    return df.sort_values(["material", "table", "use", "scenario", "year"]).reset_index(drop=True)


def chemistry_shares(raw: Path) -> pd.DataFrame:
    b = pd.read_csv(raw / "battery_chemistry_share_points.csv")
    b = b.dropna(subset=["value_pct"])
    return pd.DataFrame(
        {
            "chemistry": b.chemistry,
            "scope": b.scope,
            "metric": b.metric,
            "period": b.period.astype(str),
            "share": b.value_pct.astype(float) / 100.0,
            "original_publisher": b.original_publisher,
            "source": b.source,
            "status": "secondary",
            "notes": b.notes.fillna("").astype(str).str.slice(0, 300),
        }
    ).reset_index(drop=True)


INFORM_COLS = {
    "inform_risk": "INFORM Risk index",
    "drought": "INFORM drought hazard",
    "river_flood": "INFORM river flood hazard",
    "coastal_flood": "INFORM coastal flood hazard",
    "tropical_cyclone": "INFORM tropical cyclone hazard",
    "earthquake": "INFORM earthquake hazard",
    "current_conflict_intensity": "INFORM current conflict intensity",
}


def hazards(raw: Path) -> pd.DataFrame:
    rows = []
    inf = pd.read_csv(raw / "inform_risk_2025_country.csv")
    src = "INFORM Risk Index 2025 v0.7.0 (EC-JRC/IASC), CC BY 4.0"
    for col, what in INFORM_COLS.items():
        x = inf.dropna(subset=[col])
        rows.append(
            pd.DataFrame(
                {
                    "country": x.iso3,
                    "indicator": col if col == "inform_risk" else f"inform_{col}",
                    "year": 2025,
                    "value": x[col].astype(float),
                    "scale": "0-10 (10 = highest hazard)",
                    "source": src,
                    "status": "published",
                    "notes": what,
                }
            )
        )
    aq = pd.read_csv(raw / "aqueduct40_country_baseline_risk_categories.csv")
    for col, what in (
        ("bws_cat_0_4", "baseline water stress"),
        ("drr_cat_0_4", "drought risk"),
        ("rfr_cat_0_4", "riverine flood risk"),
    ):
        x = aq[aq[col] >= 0]  # -9999: no data in Aqueduct
        rows.append(
            pd.DataFrame(
                {
                    "country": x.iso3,
                    "indicator": f"aqueduct_{col.split('_')[0]}",
                    "year": 2023,
                    "value": x[col].astype(float),
                    "scale": "category 0-4 (4 = extremely high)",
                    "source": "WRI Aqueduct 4.0 Country Rankings (2023), baseline, CC BY 4.0",
                    "status": "published",
                    "notes": what,
                }
            )
        )
    nd = pd.read_csv(raw / "ndgain_country_index_1995_2020.csv")
    for col, scale, what in (
        ("ndgain_index", "0-100 (100 = best prepared)", "ND-GAIN country index"),
        ("vulnerability", "0-1 (1 = most vulnerable)", "ND-GAIN vulnerability"),
        ("vuln_sector_water", "0-1 (1 = most vulnerable)", "ND-GAIN water sector vulnerability"),
    ):
        x = nd.dropna(subset=[col])
        rows.append(
            pd.DataFrame(
                {
                    "country": x.iso3,
                    "indicator": "ndgain_" + col.replace("vuln_sector_", "").replace("ndgain_", ""),
                    "year": x.year.astype(int),
                    "value": x[col].astype(float),
                    "scale": scale,
                    "source": "ND-GAIN Country Index (University of Notre Dame), 1995-2020 "
                    "release; free use with citation",
                    "status": "published",
                    "notes": what,
                }
            )
        )
    df = pd.concat(rows, ignore_index=True)
    df["status"] = "secondary"
    return df.sort_values(["indicator", "country", "year"]).reset_index(drop=True)
