"""World-market parameters per material (``market_response``): the restricting country's share
of the market outside it, the idle capacity that can answer a restriction, market stocks and
leakage, each with a range and its source.

The shares of gallium and germanium are derived here from the raw files (China's customs
exports as reported, USGS production and capacity outside China); the lead times, stocks and
leakage are the project's labelled assumptions or its calibration on the recorded events
(docs/methods.md 6.3), written out with the record they rest on.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

COLUMNS = (
    "material", "parameter", "country", "value", "low", "high", "unit", "source", "status",
    "notes",
)  # fmt: skip
MARKET = "share of the world market outside CHN"


def _china_exports(raw: Path, material: str, period: str, months: int) -> tuple[float, str]:
    """China's exports (t/yr) in the year before a reported customs total: the total over
    ``months`` months of ``period`` divided by (1 + its year-on-year change), scaled to twelve
    months (where a period has several rows, the one covering the total)."""
    x = pd.read_csv(raw / "china_export_volumes_reported_ga_ge_sb_graphite.csv", dtype=str)
    rows = x[(x["material"] == material) & (x["period"] == period)]
    if len(rows) > 1:
        rows = rows[rows["product_scope"].str.contains("total")]
    row = rows.iloc[0]
    change = float(str(row["comparison_note"]).split("%")[0]) / 100.0
    before = float(row["value"]) / (1.0 + change) * 12.0 / months
    return before, (
        f"China customs {material} exports {period} {float(row['value']):,g} t at "
        f"{change:+.1%} y/y ({row['source'].split(' via')[0]}) -> the year before about "
        f"{before:,.0f} t"
    )


def _gallium_outside_china(raw: Path) -> tuple[float, float]:
    """Low-purity gallium production and idle capacity outside China, t/yr (USGS MCS 2026,
    2025 estimates)."""
    w = pd.read_csv(raw / "usgs_mcs2026_world_production_reserves.csv", dtype=str)
    g = w[(w["commodity"] == "gallium") & ~w["country"].isin(["China", "World total (rounded)"])]
    prod = pd.to_numeric(g["production_2025e"], errors="coerce").fillna(0.0) / 1000.0
    cap = pd.to_numeric(g["capacity_2025e"], errors="coerce").fillna(0.0) / 1000.0
    return float(prod.sum()), float((cap - prod).clip(lower=0.0).sum())


def _germanium_outside_china(raw: Path) -> float:
    """Primary germanium production outside China in 2022, t (USGS OFR 2024-1057 Table 1.14)."""
    p = pd.read_csv(raw / "usgs_ofr2024_1057_germanium_primary_production_2022.csv")
    keep = ~p["country"].isin(["China", "World total"])
    return float(p.loc[keep, "production_t"].sum())


def _stl_capacity(raw: Path) -> float:
    r = pd.read_csv(raw / "ga_ge_supply_response_outside_china.csv", dtype=str)
    row = r[(r["material"] == "germanium") & r["capacity_unit"].str.contains("reported aim")]
    return float(row["capacity"].iloc[0])


def r2(v: float) -> float:
    return round(v, 2)


def _mine_outside_china(raw: Path, commodity: str) -> float:
    """Mine production outside China, t (USGS MCS 2026, 2025 estimates)."""
    w = pd.read_csv(raw / "usgs_mcs2026_world_production_reserves.csv", dtype=str)
    g = w[(w["commodity"] == commodity) & ~w["country"].isin(["China", "World total (rounded)"])]
    return float(pd.to_numeric(g["production_2025e"], errors="coerce").fillna(0.0).sum())


def _idle_outside_china(raw: Path, commodity: str) -> tuple[float, float]:
    """Idle capacity outside China (capacity minus production, summed where both are
    reported) and world production, both 2025 estimates in the table's unit (USGS MCS 2026)."""
    w = pd.read_csv(raw / "usgs_mcs2026_world_production_reserves.csv", dtype=str)
    g = w[w["commodity"] == commodity]
    world = float(g.loc[g["country"] == "World total (rounded)", "production_2025e"].iloc[0])
    g = g[~g["country"].isin(["China", "World total (rounded)"])]
    prod = pd.to_numeric(g["production_2025e"], errors="coerce")
    cap = pd.to_numeric(g["capacity_2025e"], errors="coerce")
    return float((cap - prod).clip(lower=0.0).sum()), world


def _capacity_rows(raw: Path) -> list[tuple[object, ...]]:
    """Supply response of magnesium and indium: the two materials (besides gallium) whose
    idle capacity outside China USGS MCS 2026 reports."""
    out: list[tuple[object, ...]] = []
    cases = (
        ("magnesium", "thousand t/yr", 12, 6, 24,
         "critmat assumption: restarting idle Pidgeon and electrolytic plants; none restarted "
         "during the 2021 Chinese power-rationing spike, which eased within about three months"),
        ("indium", "t/yr", 6, 3, 12,
         "critmat assumption: by-product recovery at operating zinc smelters with spare circuits "
         "(Korea Zinc, Belgium, Canada, France, Japan) starts faster than a new plant"),
    )  # fmt: skip
    for mat, unit, lead, lo, hi, why in cases:
        idle, world = _idle_outside_china(raw, mat)
        out += [
            (mat, "response_share", "", r2(idle / world), r2(0.5 * idle / world),
             r2(min(2.0 * idle / world, 1.0)), MARKET,
             f"derived: idle capacity outside China {idle:g} {unit} (USGS MCS 2026 {mat}, 2025 "
             f"estimates: capacity minus production where both are reported) / world "
             f"production {world:g} {unit}", "derived",
             "on world production, the basis of this market in the simulator (no trade data: "
             "its restriction shares are world supply shares too); range x0.5-x2"),
            (mat, "response_lead_months", "", lead, lo, hi, "months", why, "assumption", ""),
            (mat, "response_ramp_months", "", 12, 6, 24, "months",
             "critmat assumption: a restarted plant reaches capacity within a year",
             "assumption", ""),
        ]  # fmt: skip
    return out


def market_response(raw: Path) -> pd.DataFrame:
    ga_x, ga_src = _china_exports(raw, "gallium", "2023-01/2023-10", 10)
    ge_x, ge_src = _china_exports(raw, "germanium", "2023-01/2023-10", 10)
    ga_prod, ga_idle = _gallium_outside_china(raw)
    ge_prod = _germanium_outside_china(raw)
    ga_market, ge_market = ga_x + ga_prod, ge_x + ge_prod
    stl = _stl_capacity(raw)
    sb_x, sb_src = _china_exports(raw, "antimony", "2024", 12)
    sb_rest = _mine_outside_china(raw, "antimony")
    rows: list[tuple[object, ...]] = [
        ("default", "stock_months", "", 2, 1, 4, "months of world-market supply",
         "critmat assumption: stocks held by industry, traders and exchanges for a material "
         "without a reported figure; docs/methods.md 6.3", "assumption",
         "range carried as parameter uncertainty"),
        ("default", "leakage", "", 0, 0, 0.2, "share of the restricted flow",
         "critmat assumption: no leakage unless the record shows it", "assumption", ""),
        ("gallium", "restrictor_export_share", "CHN", r2(ga_x / ga_market), 0.85, 0.95, MARKET,
         f"derived: {ga_src}; primary production outside China {ga_prod:g} t (USGS MCS 2026 "
         f"gallium): {ga_x:.0f} / ({ga_x:.0f} + {ga_prod:g})", "derived",
         "China's share of the market a restriction removes, instead of its world production "
         "share (0.99)"),
        ("germanium", "restrictor_export_share", "CHN", r2(ge_x / ge_market), 0.40, 0.65, MARKET,
         f"derived: {ge_src}; primary production outside China 2022 {ge_prod:g} t (USGS OFR "
         f"2024-1057 Table 1.14 as quoted): {ge_x:.0f} / ({ge_x:.0f} + {ge_prod:g})", "derived",
         "instead of the world production share (0.93); recycled germanium outside China is "
         "not counted (it would lower the share)"),
        ("antimony", "restrictor_export_share", "CHN", r2(sb_x / (sb_x + sb_rest)), 0.3, 0.6,
         MARKET,
         f"derived: {sb_src}; mine production outside China {sb_rest:,.0f} t (USGS MCS 2026 "
         f"antimony, 2025 estimates): {sb_x:,.0f} / ({sb_x:,.0f} + {sb_rest:,.0f})", "derived",
         "a lower bound: part of the mine output outside China is refined in China; the "
         "shipped trade headings on the basis give China 10% (its oxide exports are not among "
         "them)"),
        ("gallium", "response_share", "", r2(min(ga_idle / ga_market, 1.0)), 0.5, 1.0, MARKET,
         f"derived: idle low-purity capacity outside China {ga_idle:g} t/yr (USGS MCS 2026 "
         f"gallium, 2025 estimates: capacity minus production; Germany, Hungary, Kazakhstan, "
         f"Rep. of Korea, Ukraine, Japan, Russia) / the market outside China {ga_market:.0f} t",
         "derived",
         "capped at the market's size"),
        ("gallium", "response_lead_months", "", 24, 12, 36, "months",
         "critmat assumption from the record: no idle plant outside China restarted in "
         "2023-2025 while the price doubled; restarts and new plants announced for 2026-2028 "
         "(ERG Kazakhstan 2026, Metlen Greece 2027-2028, Korea Zinc 2028; "
         "ga_ge_supply_response_outside_china.csv)", "assumption", ""),
        ("gallium", "response_ramp_months", "", 12, 6, 24, "months",
         "critmat assumption: a restarted plant reaches capacity within a year", "assumption",
         ""),
        ("germanium", "response_share", "", r2(stl / ge_market), 0.2, 0.6, MARKET,
         f"derived: STL Lubumbashi (Congo (Kinshasa)) {stl:g} t/yr reported aim, operating from "
         f"2023-11, first export 2024-10 (ga_ge_supply_response_outside_china.csv) / the market "
         f"outside China {ge_market:.0f} t", "derived", "Korea Zinc 12 t/yr from 2028 not counted"),
        ("germanium", "response_lead_months", "", 12, 6, 24, "months",
         "critmat assumption from the record: STL's plant was inaugurated 2023-11 and first "
         "exported 2024-10, 12-15 months after China's licensing (2023-08)", "assumption", ""),
        ("germanium", "response_ramp_months", "", 12, 6, 24, "months", "critmat assumption",
         "assumption", ""),
        ("gallium", "stock_months", "", 15, 6, 24, "months of world-market supply",
         "calibrated on GAGE-2023 (Rotterdam +43% in the first month, about +100% after eight "
         "months; events and event_prices_reported.csv) with the storage price exponent; order "
         "of magnitude from reported stocks: Fanya exchange 102 t of gallium in 2014-04 (about "
         "a year of China's exports), China's cumulative surplus 948 t 2005-2020 (Jia et al. "
         "2022; minor_metal_stocks_reported.csv)", "derived",
         "the range is carried as parameter uncertainty"),
        ("germanium", "stock_months", "", 15, 6, 24, "months of world-market supply",
         "critmat assumption: gallium's calibration for the by-product minor metal of the same "
         "exchange and trader market (Fanya held 44.5 t of germanium in 2014-04, about 30% of "
         "world production; minor_metal_stocks_reported.csv)", "assumption", ""),
        ("gallium", "leakage", "", 0.1, 0, 0.3, "share of the restricted flow",
         "critmat assumption: re-routing and smuggling through third countries, reported "
         "qualitatively after the December 2024 ban on the USA; no volume published",
         "assumption", ""),
        ("germanium", "leakage", "", 0.1, 0, 0.3, "share of the restricted flow",
         "critmat assumption (as gallium)", "assumption", ""),
    ]  # fmt: skip
    rows += _capacity_rows(raw)
    return pd.DataFrame(rows, columns=list(COLUMNS))
