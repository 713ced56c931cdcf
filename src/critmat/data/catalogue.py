"""The material catalogue: ids, names, groups, HS codes and storage classes.

This module is the curated definition of *which* materials critmat knows and how they are named; the
figures about them live in the dataset tables. HS codes are six-digit headings of the World Customs
Organization Harmonized System as used by CEPII BACI (HS92 revision).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

ENERGY = "energy-transition metals"
RARE_EARTHS = "rare earths"
PRECIOUS = "precious metals"
SPECIALTY = "specialty alloys and silicon"
OTHER = "other (reference only)"

GROUPS: Final = (ENERGY, RARE_EARTHS, PRECIOUS, SPECIALTY, OTHER)


@dataclass(frozen=True)
class Material:
    """One entry of the catalogue."""

    id: str
    name: str
    symbol: str
    group: str
    basis: str  # the one basis every quantity and price of this material is put on
    hs_codes: tuple[str, ...] = ()
    seed: bool = True
    parent: str | None = None
    eol_key: str | None = None
    crm2020_key: str | None = None
    notes: str = field(default="")


MATERIALS: Final[tuple[Material, ...]] = (
    Material(
        "lithium",
        "Lithium",
        "Li",
        ENERGY,
        "Li",
        ("282520", "283691"),
        eol_key="lithium",
        notes="WMD reports Li2O; USGS reports Li content; trade in LiOH and Li2CO3",
    ),
    Material(
        "nickel",
        "Nickel",
        "Ni",
        ENERGY,
        "Ni",
        ("260400",),
        eol_key="nickel",
        notes="unwrought nickel (HS 7502) not in the shipped trade extract",
    ),
    Material("cobalt", "Cobalt", "Co", ENERGY, "Co", ("282200", "810510"), eol_key="cobalt"),
    Material(
        "graphite",
        "Graphite (natural)",
        "C",
        ENERGY,
        "natural graphite",
        ("250410", "250490"),
        eol_key="graphite",
        notes="synthetic graphite (HS 3801) not in the shipped trade extract",
    ),
    Material("manganese", "Manganese", "Mn", ENERGY, "Mn", ("260200",), eol_key="manganese"),
    Material(
        "rare_earths",
        "Rare earths (group, REO)",
        "REE",
        RARE_EARTHS,
        "REO",
        ("280530", "284610", "284690"),
        eol_key="rare earth",
    ),
    Material(
        "neodymium",
        "Neodymium",
        "Nd",
        RARE_EARTHS,
        "Nd2O3",
        ("280530", "284690"),
        parent="rare_earths",
        crm2020_key="Light Rare Earth Elements",
        notes="no element-specific HS heading in HS92: group headings shared with REE",
    ),
    Material(
        "dysprosium",
        "Dysprosium",
        "Dy",
        RARE_EARTHS,
        "Dy2O3",
        ("280530", "284690"),
        parent="rare_earths",
        crm2020_key="Heavy Rare Earth Elements",
        notes="no element-specific HS heading in HS92: group headings shared with REE",
    ),
    Material(
        "terbium",
        "Terbium",
        "Tb",
        RARE_EARTHS,
        "Tb4O7",
        ("280530", "284690"),
        parent="rare_earths",
        crm2020_key="Heavy Rare Earth Elements",
        notes="no element-specific HS heading in HS92: group headings shared with REE",
    ),
    Material(
        "palladium", "Palladium", "Pd", PRECIOUS, "Pd", ("711021", "711029"), eol_key="palladium"
    ),
    Material(
        "platinum", "Platinum", "Pt", PRECIOUS, "Pt", ("711011", "711019"), eol_key="platinum"
    ),
    Material(
        "silicon",
        "Silicon (metal; high-purity grades)",
        "Si",
        SPECIALTY,
        "Si",
        ("280461", "280469"),
        crm2020_key="Silicon metal",
        notes="USGS world table mixes ferrosilicon and silicon metal; polysilicon share in "
        "supply_shares; HS 2804.61/69 not in the shipped trade extract",
    ),
    Material(
        "gallium",
        "Gallium",
        "Ga",
        SPECIALTY,
        "Ga",
        ("811292",),
        eol_key="gallium",
        notes="HS 8112.92 not in the shipped trade extract",
    ),
    Material("germanium", "Germanium", "Ge", SPECIALTY, "Ge", ("811230",), eol_key="germanium"),
    Material("tungsten", "Tungsten", "W", SPECIALTY, "W", ("261100", "810110"), eol_key="tungsten"),
    Material("vanadium", "Vanadium", "V", SPECIALTY, "V", ("282530", "720292"), eol_key="vanadium"),
    Material("niobium", "Niobium", "Nb", SPECIALTY, "Nb", ("720293",), eol_key="niobium"),
    Material("tantalum", "Tantalum", "Ta", SPECIALTY, "Ta", ("810310",), eol_key="tantalum"),
    Material("antimony", "Antimony", "Sb", SPECIALTY, "Sb", ("261710",), eol_key="antimony"),
    Material("chromium", "Chromium", "Cr", SPECIALTY, "Cr", ("261000",), eol_key="chromite"),
    Material(
        "indium",
        "Indium",
        "In",
        SPECIALTY,
        "In",
        ("811292",),
        eol_key="indium",
        notes="HS 8112.92 not in the shipped trade extract",
    ),
    Material(
        "tin",
        "Tin",
        "Sn",
        SPECIALTY,
        "Sn",
        ("260900",),
        eol_key="tin",
        notes="HS 2609 and 8001 not in the shipped trade extract",
    ),
    Material(
        "magnesium",
        "Magnesium",
        "Mg",
        SPECIALTY,
        "Mg",
        ("810411",),
        crm2020_key="Magnesium",
        notes="HS 8104.11 not in the shipped trade extract",
    ),
    # reference materials: used by tables (refining, prices, end uses), not in the seed list
    Material(
        "magnet_rees",
        "Magnet rare earths (Nd+Pr+Dy+Tb)",
        "NdPrDyTb",
        RARE_EARTHS,
        "Nd+Pr+Dy+Tb",
        seed=False,
        parent="rare_earths",
    ),
    Material(
        "ndfeb_magnets",
        "NdFeB permanent magnets",
        "NdFeB",
        RARE_EARTHS,
        "NdFeB magnet",
        ("850511",),
        seed=False,
        parent="rare_earths",
        notes="a product, not an element: manufacturing-stage shares only",
    ),
    Material(
        "lree",
        "Light rare earth elements",
        "LREE",
        RARE_EARTHS,
        "REO",
        seed=False,
        parent="rare_earths",
        crm2020_key="Light Rare Earth Elements",
    ),
    Material(
        "hree",
        "Heavy rare earth elements",
        "HREE",
        RARE_EARTHS,
        "REO",
        seed=False,
        parent="rare_earths",
        crm2020_key="Heavy Rare Earth Elements",
    ),
    Material(
        "pgms",
        "Platinum-group metals (combined)",
        "PGM",
        PRECIOUS,
        "PGM",
        seed=False,
        eol_key="platinum",
    ),
    Material(
        "rhodium",
        "Rhodium",
        "Rh",
        PRECIOUS,
        "Rh",
        ("711031", "711039"),
        seed=False,
        eol_key="rhodium",
    ),
    Material("iridium", "Iridium", "Ir", PRECIOUS, "Ir", seed=False),
    Material("copper", "Copper", "Cu", OTHER, "Cu", seed=False, eol_key="copper"),
    Material(
        "aluminium",
        "Aluminium",
        "Al",
        OTHER,
        "Al",
        seed=False,
        notes="reference only: literature price elasticities (elasticity_estimates)",
    ),
    Material(
        "titanium",
        "Titanium (ores)",
        "Ti",
        OTHER,
        "TiO2",
        ("261400",),
        seed=False,
        eol_key="titanium",
    ),
    Material(
        "zirconium",
        "Zirconium (ores)",
        "Zr",
        OTHER,
        "Zr",
        ("261510",),
        seed=False,
        eol_key="zirconium",
    ),
    Material(
        "precious_metal_ores",
        "Precious-metal ores",
        "PM ore",
        OTHER,
        "ore",
        ("261690",),
        seed=False,
    ),
    Material(
        "tellurium", "Tellurium", "Te", OTHER, "Te", ("280450",), seed=False, eol_key="tellurium"
    ),
    Material("arsenic", "Arsenic", "As", OTHER, "As", ("280480",), seed=False, eol_key="arsenic"),
    Material(
        "selenium", "Selenium", "Se", OTHER, "Se", ("280490",), seed=False, eol_key="selenium"
    ),
    Material("bismuth", "Bismuth", "Bi", OTHER, "Bi", ("810600",), seed=False, eol_key="bismuth"),
    Material(
        "beryllium", "Beryllium", "Be", OTHER, "Be", ("811211",), seed=False, eol_key="beryllium"
    ),
)


def hs_material_map() -> dict[str, str]:
    """HS heading -> material id; a heading shared by a group and its elements (rare-earth
    compounds 2846.90, metals 2805.30) goes to the first material listing it, the group."""
    out: dict[str, str] = {}
    for m in MATERIALS:
        for code in m.hs_codes:
            out.setdefault(code, m.id)
    return out


#: Storage classes: indicative handling for a reserve. Values labelled ``assumption`` are critmat
#: curators' reading of general chemistry, to be replaced by a cited source when one is found.
STORAGE_CLASSES: Final[dict[str, dict[str, object]]] = {
    "stable_massive_metal": {
        "form": "massive metal (cathode, ingot, briquette)",
        "oxidation_sensitivity": "low",
        "moisture_sensitivity": "low",
        "storage_conditions": "covered, dry warehouse; no climate control required",
        "indicative_shelf_life_years": 30,
        "source": "US National Defense Stockpile practice: Co, Cr, W, Pt, Pd held for decades at "
        "15 locations (GlobalSecurity.org, DLA Strategic Materials); 30-year figure is a critmat "
        "assumption",
        "status": "assumption",
    },
    "ore_concentrate": {
        "form": "ore or concentrate (bulk)",
        "oxidation_sensitivity": "low",
        "moisture_sensitivity": "medium",
        "storage_conditions": "covered stockpile or bags on pallets; keep dry to hold assay",
        "indicative_shelf_life_years": 20,
        "source": "critmat assumption (general handling of mineral concentrates)",
        "status": "assumption",
    },
    "chemical_salt": {
        "form": "chemical compound (carbonate, hydroxide, oxide powder)",
        "oxidation_sensitivity": "low",
        "moisture_sensitivity": "high",
        "storage_conditions": "sealed bags in dry, climate-controlled store (RH < 60%)",
        "indicative_shelf_life_years": 5,
        "source": "critmat assumption: hydroxides and fine powders absorb moisture and CO2; "
        "battery-grade specifications limit moisture",
        "status": "assumption",
    },
    "reactive_metal": {
        "form": "reactive metal (rare-earth metal, magnesium ingot)",
        "oxidation_sensitivity": "high",
        "moisture_sensitivity": "high",
        "storage_conditions": "sealed under argon or mineral oil; store REEs preferably as oxides",
        "indicative_shelf_life_years": 10,
        "source": "neodymium metal tarnishes in air and reacts with water (LibreTexts Chemistry of "
        "Neodymium); shelf life is a critmat assumption",
        "status": "assumption",
    },
    "rare_earth_oxide": {
        "form": "separated rare-earth oxide",
        "oxidation_sensitivity": "low",
        "moisture_sensitivity": "medium",
        "storage_conditions": "sealed drums, dry store (oxides absorb CO2 and moisture slowly)",
        "indicative_shelf_life_years": 15,
        "source": "critmat assumption; storing REEs as oxides rather than metals follows the "
        "neodymium oxidation behaviour in storage.csv",
        "status": "assumption",
    },
    "low_melting_metal": {
        "form": "gallium metal",
        "oxidation_sensitivity": "low",
        "moisture_sensitivity": "low",
        "storage_conditions": "polyethylene packets in outer containers, refrigerated below "
        "29.8 C; no glass or rigid metal containers",
        "indicative_shelf_life_years": 20,
        "source": "gallium melting point 29.8 C and +3.1% expansion on freezing (storage.csv, "
        "secondary); shelf life a critmat assumption",
        "status": "assumption",
    },
    "semiconductor_grade": {
        "form": "high-purity semiconductor grade (polysilicon, Ge ingot, In ingot)",
        "oxidation_sensitivity": "medium",
        "moisture_sensitivity": "medium",
        "storage_conditions": "clean, sealed double bagging; controlled humidity; avoid surface "
        "contamination",
        "indicative_shelf_life_years": 10,
        "source": "critmat assumption (purity retention, not chemical decay, limits shelf life)",
        "status": "assumption",
    },
    "graphite": {
        "form": "natural flake or spherical graphite",
        "oxidation_sensitivity": "low",
        "moisture_sensitivity": "medium",
        "storage_conditions": "bulk bags in a dry covered store",
        "indicative_shelf_life_years": 20,
        "source": "critmat assumption",
        "status": "assumption",
    },
}

STORAGE_CLASS: Final[dict[str, str]] = {
    "lithium": "chemical_salt",
    "nickel": "stable_massive_metal",
    "cobalt": "stable_massive_metal",
    "graphite": "graphite",
    "manganese": "ore_concentrate",
    "rare_earths": "rare_earth_oxide",
    "neodymium": "rare_earth_oxide",
    "dysprosium": "rare_earth_oxide",
    "terbium": "rare_earth_oxide",
    "palladium": "stable_massive_metal",
    "platinum": "stable_massive_metal",
    "silicon": "semiconductor_grade",
    "gallium": "low_melting_metal",
    "germanium": "semiconductor_grade",
    "tungsten": "ore_concentrate",
    "vanadium": "chemical_salt",
    "niobium": "stable_massive_metal",
    "tantalum": "stable_massive_metal",
    "antimony": "stable_massive_metal",
    "chromium": "stable_massive_metal",
    "indium": "semiconductor_grade",
    "tin": "stable_massive_metal",
    "magnesium": "reactive_metal",
}
