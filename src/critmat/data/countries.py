"""Country groupings used by critmat (ISO 3166-1 alpha-3 codes)."""

from __future__ import annotations

from typing import Final

#: Member states of the European Union since 1 February 2020 (27).
EU27: Final[tuple[str, ...]] = (
    "AUT",
    "BEL",
    "BGR",
    "HRV",
    "CYP",
    "CZE",
    "DNK",
    "EST",
    "FIN",
    "FRA",
    "DEU",
    "GRC",
    "HUN",
    "IRL",
    "ITA",
    "LVA",
    "LTU",
    "LUX",
    "MLT",
    "NLD",
    "POL",
    "PRT",
    "ROU",
    "SVK",
    "SVN",
    "ESP",
    "SWE",
)

#: Codes that are not economies: world total, residual rest of world, "other countries" as printed.
AGGREGATES: Final[frozenset[str]] = frozenset({"WLD", "ROW", "OTH"})
