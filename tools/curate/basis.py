"""Content factors (traded form -> material basis) and rare-earth element shares of the group.

Every factor is tonnes of the material's basis per tonne of the traded product (gross weight as
declared to customs). A factor comes from stoichiometry where the traded form is one compound
(status ``derived``: IUPAC 2021 atomic weights via :mod:`critmat.data.units`), otherwise it is a
labelled ``assumption`` with a low-high range and the reasoning in ``notes``. The range is carried
into every output that uses the factor (imports_t_low / imports_t_high).
"""

from __future__ import annotations

import pandas as pd

from critmat.data.units import element_fraction

STOICH = "stoichiometry, IUPAC 2021 standard atomic weights (critmat.data.units)"
ASSUME = "critmat assumption (typical grade of the traded form; range covers the grades traded)"


def _ef(formula: str, el: str) -> float:
    return round(element_fraction(formula, el), 4)


def _row(
    hs6: str,
    material: str,
    form: str,
    basis: str,
    factor: float,
    low: float,
    high: float,
    status: str,
    source: str,
    notes: str,
) -> dict[str, object]:
    return {
        "hs6": hs6,
        "material": material,
        "traded_form": form,
        "basis": basis,
        "factor": factor,
        "factor_low": low,
        "factor_high": high,
        "source": source,
        "status": status,
        "notes": notes or f"{form}: {source}",
    }


def _definition(
    hs6: str, material: str, form: str, basis: str, low: float, source: str
) -> dict[str, object]:
    """A heading that is the basis itself (a metal heading, the traded graphite product)."""
    return _row(hs6, material, form, basis, 1.0, low, 1.0, "derived", source, "")


def content_factors() -> pd.DataFrame:
    """Tonnes of basis per tonne traded, per HS heading of the shipped trade extract."""
    li_oh = _ef("LiOH·H2O", "Li")
    li_anh = _ef("LiOH", "Li")
    li_co = _ef("Li2CO3", "Li")
    co3o4 = _ef("Co3O4", "Co")
    w_wo3 = element_fraction("WO3", "W")
    v2o5 = _ef("V2O5", "V")
    cr_cr2o3 = element_fraction("Cr2O3", "Cr")
    nd_ox = 1.0 / element_fraction("Nd2O3", "Nd")
    ce_ox = 1.0 / element_fraction("CeO2", "Ce")
    rows = [
        _row(
            "282520",
            "lithium",
            "lithium hydroxide monohydrate (LiOH·H2O)",
            "Li",
            li_oh,
            li_oh,
            li_anh,
            "derived",
            STOICH,
            f"heading also covers anhydrous LiOH ({li_anh}) and Li2O; battery-grade hydroxide "
            "is traded as the monohydrate",
        ),
        _row(
            "283691",
            "lithium",
            "lithium carbonate (Li2CO3)",
            "Li",
            li_co,
            round(0.99 * li_co, 4),
            li_co,
            "derived",
            STOICH,
            "technical grade (99%) to battery grade (99.5%+)",
        ),
        _row(
            "260400",
            "nickel",
            "nickel ores and concentrates (wet tonnes)",
            "Ni",
            0.012,
            0.008,
            0.02,
            "assumption",
            ASSUME,
            "trade of this heading is dominated by lateritic ore (Philippines, New Caledonia, "
            "about 1.2-2% Ni dry, 25-35% moisture); sulphide concentrates (10-20% Ni) are a small "
            "share of tonnage. Refined nickel, matte and NPI (HS 7501, 7502, 7202.60) are not in "
            "the extract",
        ),
        _row(
            "282200",
            "cobalt",
            "cobalt oxides and hydroxides",
            "Co",
            0.45,
            0.30,
            co3o4,
            "assumption",
            ASSUME,
            f"Co3O4 is {co3o4} Co; DRC hydroxide intermediate is 30-40% Co; 2024 world unit "
            "value / LME cobalt price = 0.41 (value-implied content, a lower bound)",
        ),
        _row(
            "810510",
            "cobalt",
            "cobalt mattes, intermediates, unwrought cobalt, powders",
            "Co",
            0.40,
            0.20,
            1.0,
            "assumption",
            ASSUME,
            "mix of low-grade intermediates and metal; 2024 world unit value / LME price = 0.26",
        ),
        _definition(
            "250410",
            "graphite",
            "natural graphite, powder or flakes",
            "natural graphite",
            1.0,
            "definition: the basis is the traded product (USGS reports "
            "natural graphite in gross tonnes)",
        ),
        _definition(
            "250490",
            "graphite",
            "natural graphite, other forms",
            "natural graphite",
            1.0,
            "definition: the basis is the traded product (USGS reports "
            "natural graphite in gross tonnes)",
        ),
        _row(
            "260200",
            "manganese",
            "manganese ores and concentrates",
            "Mn",
            0.38,
            0.27,
            0.50,
            "assumption",
            ASSUME,
            "metallurgical ore 35-50% Mn (the USGS price series is quoted for 44% Mn ore); 2024 "
            "world unit value / price per tonne Mn = 0.27 (value-implied, a lower bound)",
        ),
        _row(
            "280530",
            "rare_earths",
            "rare-earth metals, Sc and Y",
            "REO",
            round(nd_ox, 4),
            round(nd_ox, 4),
            round(ce_ox, 4),
            "derived",
            STOICH,
            "oxide equivalent of the metal: Nd -> Nd2O3 (low) to Ce -> CeO2 (high)",
        ),
        _row(
            "284610",
            "rare_earths",
            "cerium compounds",
            "REO",
            0.65,
            0.40,
            1.0,
            "assumption",
            ASSUME,
            "CeO2 (1.0 REO) down to carbonates and hydroxides (about 0.4-0.6 REO)",
        ),
        _row(
            "284690",
            "rare_earths",
            "other rare-earth compounds (oxides, chlorides, carbonates)",
            "REO",
            0.70,
            0.40,
            1.0,
            "assumption",
            ASSUME,
            "separated oxides are 1.0 REO; chlorides about 0.45, carbonates about 0.5",
        ),
        _definition(
            "711011",
            "platinum",
            "platinum, unwrought or powder",
            "Pt",
            0.95,
            "definition: metal heading (alloys of >= 95% Pt possible)",
        ),
        _definition(
            "711019",
            "platinum",
            "platinum, semi-manufactured",
            "Pt",
            0.90,
            "definition: metal heading",
        ),
        _definition(
            "711021",
            "palladium",
            "palladium, unwrought or powder",
            "Pd",
            0.95,
            "definition: metal heading",
        ),
        _definition(
            "711029",
            "palladium",
            "palladium, semi-manufactured",
            "Pd",
            0.90,
            "definition: metal heading",
        ),
        _definition(
            "711031",
            "rhodium",
            "rhodium, unwrought or powder",
            "Rh",
            0.95,
            "definition: metal heading",
        ),
        _definition(
            "711039",
            "rhodium",
            "rhodium, semi-manufactured",
            "Rh",
            0.90,
            "definition: metal heading",
        ),
        _row(
            "811230",
            "germanium",
            "germanium, unwrought, powders, waste and scrap",
            "Ge",
            1.0,
            0.5,
            1.0,
            "assumption",
            ASSUME,
            "metal; scrap lowers the content",
        ),
        _row(
            "261100",
            "tungsten",
            "tungsten ores and concentrates",
            "W",
            round(0.65 * w_wo3, 4),
            round(0.50 * w_wo3, 4),
            round(0.75 * w_wo3, 4),
            "assumption",
            ASSUME,
            f"standard concentrate 65% WO3 (range 50-75%); W is {w_wo3:.4f} of WO3 "
            "(USGS: 1 mtu WO3 = 7.93 kg W)",
        ),
        _definition(
            "810110", "tungsten", "tungsten powders", "W", 0.95, "definition: metal heading"
        ),
        _row(
            "282530",
            "vanadium",
            "vanadium oxides and hydroxides (V2O5)",
            "V",
            v2o5,
            round(0.9 * v2o5, 4),
            v2o5,
            "derived",
            STOICH,
            "V2O5 98% flake is the usual form",
        ),
        _row(
            "720292",
            "vanadium",
            "ferrovanadium",
            "V",
            0.78,
            0.40,
            0.85,
            "assumption",
            ASSUME,
            "FeV80 is the usual grade; FeV40-FeV50 also traded",
        ),
        _row(
            "720293",
            "niobium",
            "ferroniobium",
            "Nb",
            0.65,
            0.60,
            0.70,
            "assumption",
            ASSUME,
            "standard ferroniobium is 60-70% Nb",
        ),
        _definition(
            "810310",
            "tantalum",
            "tantalum, unwrought, powders",
            "Ta",
            0.95,
            "definition: metal heading",
        ),
        _row(
            "261710",
            "antimony",
            "antimony ores and concentrates",
            "Sb",
            0.50,
            0.30,
            0.65,
            "assumption",
            ASSUME,
            "stibnite concentrates are 40-65% Sb, lower-grade ores 30%",
        ),
        _row(
            "261000",
            "chromium",
            "chromite ores and concentrates",
            "Cr",
            round(0.44 * cr_cr2o3, 4),
            round(0.38 * cr_cr2o3, 4),
            round(0.48 * cr_cr2o3, 4),
            "assumption",
            ASSUME,
            f"metallurgical chromite 42-44% Cr2O3 (range 38-48%); Cr is {cr_cr2o3:.4f} of Cr2O3",
        ),
    ]
    return pd.DataFrame(rows)


#: Oxide mass share of each magnet rare earth in world rare-earth oxide supply (t oxide per t REO).
REE_SHARES: tuple[tuple[str, str, float, float, float, str], ...] = (
    (
        "neodymium",
        "Nd2O3",
        0.17,
        0.13,
        0.20,
        "Bayan Obo and Mountain Pass concentrates carry about 12-20% Nd2O3 of REO, "
        "ionic clays less",
    ),
    (
        "dysprosium",
        "Dy2O3",
        0.006,
        0.004,
        0.012,
        "light-REE ores carry <0.5% Dy2O3, ionic clays 3-7%; world Dy oxide output is a few kt "
        "against about 390 kt REO mined (2024)",
    ),
    (
        "terbium",
        "Tb4O7",
        0.0015,
        0.001,
        0.0025,
        "about a quarter of dysprosium in most ores; world Tb oxide output is several hundred t",
    ),
)


def element_shares() -> pd.DataFrame:
    """Element shares of the rare-earth group (oxide mass per REO mass), with ranges.

    The check that keeps them honest is in the tests: Nd+Pr+Dy+Tb implied by these shares (with
    Pr at a third of Nd, the NdPr-oxide ratio) must come within a factor of 1.5 of the IEA 2025
    refined magnet rare earths (80.8 kt) over the USGS 2024 REO mine production.
    """
    rows = []
    for el, basis, share, low, high, why in REE_SHARES:
        rows.append(
            {
                "group": "rare_earths",
                "material": el,
                "basis": basis,
                "share": share,
                "share_low": low,
                "share_high": high,
                "source": "critmat assumption from typical ore compositions",
                "status": "assumption",
                "notes": why,
            }
        )
    return pd.DataFrame(rows)
