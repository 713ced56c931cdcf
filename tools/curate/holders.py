"""Holder tables: holders, indicators, import sources, end uses, stockpile policies, NDS."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from critmat.data.catalogue import MATERIALS
from critmat.data.countries import EU27
from tools.curate.common import USGS25_REE, USGS26, Names, status_of

HOLDERS = [
    ("USA", "United States", "country", ["USA"]),
    ("EU27", "European Union (27 member states)", "bloc", list(EU27)),
    ("JPN", "Japan", "country", ["JPN"]),
    ("KOR", "Republic of Korea", "country", ["KOR"]),
    ("CHN", "China", "country", ["CHN"]),
    ("IND", "India", "country", ["IND"]),
    ("GBR", "United Kingdom", "country", ["GBR"]),
    ("DEU", "Germany", "country", ["DEU"]),
    ("FRA", "France", "country", ["FRA"]),
    ("ITA", "Italy", "country", ["ITA"]),
    ("CAN", "Canada", "country", ["CAN"]),
    ("AUS", "Australia", "country", ["AUS"]),
    # CEPII BACI reports Taiwan's trade as "Other Asia, nes" (S19)
    ("TWN", "Taiwan", "country", ["TWN", "S19"]),
]


def holders() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "holder": [h[0] for h in HOLDERS],
            "name": [h[1] for h in HOLDERS],
            "kind": [h[2] for h in HOLDERS],
            "members": [";".join(h[3]) for h in HOLDERS],
            "source": [
                "EU27 membership since 2020-02-01 (Treaty on European Union, Art. 49-50; "
                "UK withdrawal)"
                if h[0] == "EU27"
                else "ISO 3166-1; BACI reports Taiwan as 'Other Asia, nes' (S19)"
                if h[0] == "TWN"
                else "ISO 3166-1"
                for h in HOLDERS
            ],
            "status": "published",
        }
    )


SALIENT_MATERIAL = {
    "lithium": "lithium",
    "cobalt": "cobalt",
    "nickel": "nickel",
    "gallium": "gallium",
    "germanium": "germanium",
    "rare-earths": "rare_earths",
    "graphite": "graphite",
    "platinum-group-metals": "pgms",
    "tungsten": "tungsten",
    "manganese": "manganese",
    "silicon": "silicon",
    "antimony": "antimony",
    "chromium": "chromium",
    "vanadium": "vanadium",
    "niobium": "niobium",
    "tantalum": "tantalum",
    "indium": "indium",
    "tin": "tin",
    "magnesium": "magnesium",
}


def _salient_unit(note: str, section: str) -> tuple[str, str]:
    if section.startswith("Net import reliance"):
        return "%", ""
    n = note.lower()
    unit = (
        "kt" if n.startswith("thousand metric tons") else "kg" if n.startswith("kilograms") else "t"
    )
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
            "share": s.share_pct.to_numpy(dtype=float) / 100.0,
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
    "cobalt": [
        ("superalloys", 0.51),
        ("chemical applications", 0.25),
        ("other metallic applications", 0.15),
        ("cemented carbides", 0.09),
    ],
    "gallium": [("integrated circuits", 0.73), ("optoelectronic devices", 0.26)],
    "tungsten": [("cemented carbide parts", 0.60)],
    "antimony": [
        ("metal products incl. flame retardants", 0.49),
        ("antimonial lead and ammunition", 0.40),
        ("nonmetal products", 0.11),
    ],
    "niobium": [("steels", 0.77), ("superalloys", 0.23)],
    "tin": [
        ("chemicals", 0.25),
        ("tinplate", 0.16),
        ("alloys", 0.12),
        ("solder", 0.11),
        ("babbitt, brass and bronze, and tinning", 0.07),
        ("bar tin", 0.02),
        ("other", 0.27),
    ],
    "magnesium": [
        ("castings", 0.69),
        ("aluminum-base alloys", 0.15),
        ("desulfurization of iron and steel", 0.09),
        ("other", 0.07),
    ],
}
WORLD_END_USES_LITHIUM_2025 = [
    ("batteries", 0.88),
    ("ceramics and glass", 0.04),
    ("lubricating greases", 0.02),
    ("air treatment", 0.01),
    ("continuous casting mold flux powders", 0.01),
    ("medical", 0.01),
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
    return pd.concat([df, extra, _germanium_end_uses(raw), _tantalum_end_uses(raw)],
                     ignore_index=True)  # fmt: skip


GE_TA = "ge_ta_end_uses_dy_tb_supply_shares.csv"


def _germanium_end_uses(raw: Path) -> pd.DataFrame:
    """USGS Open-File Report 2024-1057 (gallium and germanium): 40 % fibre optics, 30 % infrared
    optics, 20 % electronics and solar, 10 % other, as quoted in the raw file (the report's text
    does not name the region: taken as world use, said so)."""
    g = pd.read_csv(raw / GE_TA)
    g = g[(g.material == "germanium") & (g.measure == "end-use share")
          & g.country_or_region.str.startswith("not stated")]  # fmt: skip
    if len(g) != 4 or abs(g.value.astype(float).sum() - 100.0) > 1e-9:
        raise SystemExit(f"curate: {GE_TA}: expected the OFR 2024-1057 germanium split (4 rows)")
    return pd.DataFrame(
        {
            "material": "germanium",
            "sector": g.item.values,
            "parent_sector": "",
            "share": g.value.to_numpy(dtype=float) / 100.0,
            "year": 2023,
            "region": "WLD",
            "source": "USGS Open-File Report 2024-1057 (Ga and Ge supply disruption), germanium "
            "applications text; " + str(g.source.iloc[0]),
            "status": g.status.map(status_of).values,
            "notes": "region not stated in the report's text (taken as world use); figures c. "
            "2022-2024 (report 2024, year 2023 used); " + g.notes.fillna("").astype(str),
        }
    )


#: Tantalum end uses: no published shares. The one quantified source (a company page, year
#: unknown, low trust) gives powder for capacitors 60-65 % and ~0.3, 0.3 and 0.33 million lb of
#: 2.2-3.0 (powder) for alloys, chemicals and carbides; the rest (mill products) is not itemised.
TANTALUM_ASSUMED = [
    ("capacitors", 0.625, "60-65 % (page), mid-point"),
    ("superalloys", 0.075, "0.3 of ~4.0 million lb (range 0.06-0.09)"),
    ("cemented carbides", 0.08, "0.33 of ~4.0 million lb (range 0.07-0.10)"),
    ("chemicals", 0.075, "0.3 of ~4.0 million lb (range 0.06-0.09)"),
    ("other uses", 0.145, "mill products and the rest, not itemised (range 0.08-0.22)"),
]


def _tantalum_end_uses(raw: Path) -> pd.DataFrame:
    t = pd.read_csv(raw / GE_TA)
    page = t[(t.material == "tantalum") & (t.measure == "end-use share")]
    if page.empty:
        raise SystemExit(f"curate: {GE_TA}: the tantalum end-use row is missing")
    return pd.DataFrame(
        {
            "material": "tantalum",
            "sector": [r[0] for r in TANTALUM_ASSUMED],
            "parent_sector": "",
            "share": [r[1] for r in TANTALUM_ASSUMED],
            "year": 2024,
            "region": "WLD",
            "source": "critmat assumption from " + str(page.source.iloc[0]) + " (year unknown) "
            "and the USGS MCS 2026 list of uses (capacitors, superalloys, carbides, compounds, "
            "metal; no shares printed)",
            "status": "assumption",
            "notes": [
                f"labelled assumption: {r[2]}; no published split (USGS, EC)"
                for r in TANTALUM_ASSUMED
            ],
        }
    )


def stockpile_policies(raw: Path) -> pd.DataFrame:
    p = pd.read_csv(raw / "stockpile_policies.csv")
    holder = p.holder.map(
        {
            "Japan": "JPN",
            "South Korea": "KOR",
            "United States": "USA",
            "IEA members": "IEA",
            "European Union": "EU27",
            "China": "CHN",
        }
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
            "days_target": [_days(row) for _, row in p.iterrows()],
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
    return (
        float(nums[-1]) if nums and "->" in str(row.value) else (float(nums[0]) if nums else None)
    )


def nds(raw: Path) -> pd.DataFrame:
    n = pd.read_csv(raw / "nds_2013_base_case_shortfalls.csv")
    n["status"] = n.status.map(lambda s: "unverified" if "unverified" in s else status_of(s))
    n["holder"] = "USA"
    n["year"] = 2013
    n["notes"] = n.pop("arithmetic_check").fillna("")
    units = {
        "short tons": ("short ton", ""),
        "pounds": ("lb", ""),
        "kilograms": ("kg", ""),
        "pounds W": ("lb", "W"),
        "MT oxide": ("t", "oxide"),
        "kg oxide": ("kg", "oxide"),
        "pounds Ta": ("lb", "Ta"),
        "USD m": ("USD m", ""),
    }
    parsed = n.unit.map(units)
    if parsed.isna().any():
        raise SystemExit(f"curate: unknown NDS unit {sorted(set(n.unit[parsed.isna()]))}")
    n["unit"] = [u[0] for u in parsed]
    n["basis"] = [u[1] for u in parsed]
    known = {m.name.split(" ")[0].lower(): m.id for m in MATERIALS if m.seed}
    n["material"] = n.material.map(lambda s: known.get(s.split(",")[0].strip().lower(), ""))
    raw_names = pd.read_csv(raw / "nds_2013_base_case_shortfalls.csv").material
    n.insert(0, "nds_material", raw_names.to_numpy())
    return n
