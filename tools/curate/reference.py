"""Reference tables: countries, materials, HS codes, intensities, footprints, storage."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from critmat.data.catalogue import MATERIALS, STORAGE_CLASS, STORAGE_CLASSES
from tools.curate.common import EUCRM, _fix_mojibake, status_of


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
            url = eol_url.get(m.eol_key)
            src = "SCRREEN2 factsheets (2023), EoL-RIR" + (
                f"; {url}" if isinstance(url, str) and url.strip() else ""
            )
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
                    "source": "WCO Harmonized System (HS92 six-digit headings, as used by "
                    "CEPII BACI)",
                    "status": "published",
                    "notes": "" if code in desc else "heading not in the shipped BACI extract",
                }
            )
    return pd.DataFrame(rows)


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
            "source": "Busch P. et al. (2024), Critical-Minerals-EV, Mineral_Intensity.xlsx sheet "
            "BatPac (from Argonne BatPaC 5.1, SolidPac, Zhao et al. 2023); MIT licence",
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


CURATION_YEAR = 2026


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
        for prop in (
            "oxidation_sensitivity",
            "moisture_sensitivity",
            "storage_conditions",
            "indicative_shelf_life_years",
        ):
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
    out = pd.concat([sourced, pd.DataFrame(rows)], ignore_index=True)
    # unit of each value, and the year: the source's year where it names one, else the year of
    # critmat's curation (for labelled assumptions)
    out["unit"] = out["property"].map(
        lambda p: (
            "years"
            if p.endswith("_years")
            else "C"
            if p == "melting point"
            else "%"
            if "volume change" in p
            else "text"
        )
    )
    years = out["source"].str.extract(r"((?:19|20)\d\d)")[0]
    out["year"] = years.fillna(str(CURATION_YEAR)).astype(int)
    return out[
        ["material", "form", "property", "value", "unit", "year", "source", "status", "notes"]
    ]
