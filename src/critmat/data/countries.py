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

_ISO3: frozenset[str] | None = None


def iso3_codes() -> frozenset[str]:
    """ISO 3166-1 alpha-3 codes of the economies in the shipped countries table (read once,
    standard library only)."""
    global _ISO3
    if _ISO3 is None:
        import csv
        from importlib import resources

        path = resources.files("critmat.data") / "tables" / "countries.csv"
        with path.open(encoding="utf-8") as fh:
            _ISO3 = frozenset(
                r["country"] for r in csv.DictReader(fh) if r.get("kind") != "aggregate"
            )
    return _ISO3


_HOLDERS: dict[str, frozenset[str]] | None = None


def holder_members() -> dict[str, frozenset[str]]:
    """Holder code -> its member economies (ISO3), from the shipped holders table (read once,
    standard library only): the holders a scenario may target."""
    global _HOLDERS
    if _HOLDERS is None:
        import csv
        from importlib import resources

        path = resources.files("critmat.data") / "tables" / "holders.csv"
        with path.open(encoding="utf-8") as fh:
            _HOLDERS = {
                r["holder"]: frozenset(x for x in r["members"].split(";") if x)
                for r in csv.DictReader(fh)
            }
    return _HOLDERS
