"""One basis per material: quantities and prices converted to it, in one place.

Every material of the catalogue declares its basis (``materials.reference_basis``): contained
element for metals (``Ni``, ``Co``, ``W`` ...), lithium content (``Li``), the separated oxide for a
rare-earth element (``Nd2O3``, ``Dy2O3``, ``Tb4O7``), ``REO`` for the rare-earth group, the traded
product for natural graphite. This module turns

- traded tonnes (gross weight of an HS heading) into tonnes of the basis, with the
  ``content_factors`` table (factor and its low-high range);
- published production (any unit, any chemical basis) into tonnes of the basis;
- published prices (USD/lb, USD/mtu WO3, USc/lb, USD/ozt ...) into USD per tonne of the basis,
  with the trade unit value only as a labelled fallback.

Chemical conversions go through :mod:`critmat.data.units` (IUPAC atomic weights); conversions of a
non-chemical form (``chromite ore (gross weight)``, ``FeNb``) go through the content factor of the
HS heading of that form.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from critmat.data.dataset import Dataset
from critmat.data.units import (
    MIXED_BASES,
    UnitError,
    convert_mass,
    convert_price,
    normalise_basis,
    price_unit_parts,
)

__all__ = [
    "PRICE_SERIES",
    "PriceQuote",
    "basis_of",
    "basis_price",
    "mass_to_basis",
    "trade_on_basis",
]

#: Published basis names that are a traded form, converted with that form's content factor.
FORM_HEADINGS: dict[str, str] = {
    "chromite ore (gross weight)": "261000",
    "FeNb": "720293",
}

#: Price series used per material, in order of preference (substring of the price table's
#: ``form``). A curated choice: the reference price an agency would pay for the basis form.
PRICE_SERIES: dict[str, tuple[str, ...]] = {
    "lithium": ("battery-grade lithium carbonate",),
    "nickel": ("LME cash",),
    "cobalt": ("LME cash", "U.S. spot cathode"),
    "graphite": ("flake, US import unit value",),
    "manganese": ("44% Mn ore",),
    "neodymium": ("Nd oxide 99.5%", "Neodymium oxide 99.5%", "neodymium oxide 99.5%"),
    "dysprosium": ("Dysprosium oxide 99.5%", "dysprosium oxide 99.5%"),
    "terbium": ("Terbium oxide 99.99%", "terbium oxide 99.99%"),
    "palladium": ("Engelhard", "palladium annual average"),
    "platinum": ("Engelhard", "platinum annual average"),
    "silicon": ("silicon metal",),
    "gallium": ("average unit value of US imports", "gallium 99.99999%"),
    "germanium": ("germanium metal",),
    "tungsten": ("concentrate, Rotterdam, per mtu WO3",),
    "vanadium": ("V2O5 98% China",),
    "niobium": ("ferroniobium, average unit value",),
    "tantalum": ("tantalite, per kg Ta2O5",),
    "antimony": ("metal 99.65%",),
    "chromium": ("ferrochromium (Cr content)", "chromium metal"),
    "indium": ("Rotterdam", "U.S. warehouse FOB"),
    "tin": ("LME cash",),
    "magnesium": ("European free market", "U.S. spot Western"),
    "rhodium": ("Engelhard",),
    "iridium": ("Engelhard",),
}


def basis_of(ds: Dataset, material: str) -> str:
    """The declared basis of a material (``Nd2O3``, ``Li``, ``natural graphite`` ...)."""
    m = ds.materials.set_index("material")
    return str(m.loc[material, "reference_basis"])


def _factor(ds: Dataset, hs6: str) -> tuple[float, float, float]:
    cf = ds.table("content_factors")
    row = cf[cf["hs6"].astype(str) == hs6]
    if row.empty:
        raise UnitError(f"no content factor for HS {hs6} (content_factors table)")
    r = row.iloc[0]
    return float(r["factor"]), float(r["factor_low"]), float(r["factor_high"])


def mass_to_basis(ds: Dataset, value: float, unit: str, basis: str, material: str) -> float:
    """Convert a published mass (``unit`` of ``basis``) into tonnes of the material's basis.

    Raises
    ------
    UnitError
        When the two bases cannot be linked (a mixed basis such as REO for one element).
    """
    target = basis_of(ds, material)
    t = float(convert_mass(float(value), unit, "t"))
    if basis in FORM_HEADINGS:
        t *= _factor(ds, FORM_HEADINGS[basis])[0]
        basis = target
    a, b = normalise_basis(basis), normalise_basis(target)
    if a == b or (basis == "" and target in MIXED_BASES):
        return t
    if a in MIXED_BASES or b in MIXED_BASES or " " in a or " " in b:
        raise UnitError(f"cannot convert {basis!r} to {target!r} for {material}")
    return float(convert_mass(t, "t", "t", a, b))


def trade_on_basis(ds: Dataset, trade: pd.DataFrame, material: str) -> pd.DataFrame:
    """Trade rows with quantities converted to the material's basis.

    Adds ``factor``, ``quantity_basis_t``, ``quantity_basis_t_low`` and ``quantity_basis_t_high``
    (t of the basis per the content factor of each row's HS heading and its range). Rows of a
    heading without a content factor are dropped (their tonnes cannot be put on the basis).
    """
    cf = ds.table("content_factors")
    cf = cf[cf["material"] == _heading_owner(ds, material)]
    f = cf.set_index(cf["hs6"].astype(str))
    hs = trade["hs6"].astype(str)
    keep = hs.isin(f.index)
    out = trade[keep].copy()
    h = hs[keep]
    q = out["quantity_t"].astype(np.float64)
    out["factor"] = h.map(f["factor"]).astype(np.float64).to_numpy()
    out["quantity_basis_t"] = q * out["factor"]
    out["quantity_basis_t_low"] = q * h.map(f["factor_low"]).astype(np.float64).to_numpy()
    out["quantity_basis_t_high"] = q * h.map(f["factor_high"]).astype(np.float64).to_numpy()
    return out


def year_trade_on_basis(ds: Dataset, year: int, material: str) -> pd.DataFrame:
    """The year's world trade of the material's headings on its basis (:func:`trade_on_basis`
    of the trade rows of ``year``), computed once per dataset; read it, do not modify it."""
    return ds.derived(
        ("year_trade_on_basis", year, material),
        lambda: trade_on_basis(ds, ds.trade[ds.trade["year"] == year], material),
    )


def _heading_owner(ds: Dataset, material: str) -> str:
    """The material whose headings carry this one's trade (a rare-earth element -> the group)."""
    m = ds.materials.set_index("material")
    parent = str(m.loc[material, "parent"]) if material in m.index else ""
    cf = ds.table("content_factors")
    if material not in set(cf["material"]) and parent:
        return parent
    return material


@dataclass(frozen=True)
class PriceQuote:
    """A price on a material's basis, with where it came from."""

    material: str
    year: int
    usd_per_t: float
    basis: str
    form: str
    price_year: int
    as_printed: str
    source: str
    status: str

    @property
    def unit(self) -> str:
        return f"USD/t {self.basis}"

    @property
    def age_years(self) -> int:
        return max(0, self.year - self.price_year)

    def to_dict(self) -> dict[str, object]:
        return {**asdict(self), "unit": self.unit, "age_years": self.age_years}


def _pick_year(rows: pd.DataFrame, year: int) -> pd.Series | None:
    if rows.empty:
        return None
    rank = rows.assign(
        _before=rows["year"] <= year,
        _dist=(rows["year"] - year).abs(),
        _est=rows["status"] != "published",
    ).sort_values(["_dist", "_before", "_est", "edition"], ascending=[True, False, True, False])
    before = rank[rank["_before"]]
    chosen = before if len(before) else rank
    chosen = chosen.sort_values(["_dist", "_est"], ascending=[True, True])
    return chosen.iloc[0]


def basis_price(ds: Dataset, material: str, year: int) -> PriceQuote | None:
    """USD per tonne of the material's basis in ``year`` (nominal), or ``None`` if none exists.

    The first series of :data:`PRICE_SERIES` with a value in or before ``year`` is used (later
    only when nothing earlier exists), converted with :func:`critmat.data.units.convert_price`;
    without one, the world trade unit value of the material's headings divided by their content
    factor (status ``proxy``).
    """
    basis = basis_of(ds, material)
    p = ds.prices
    p = p[(p["material"] == material) & p["value"].notna()]
    for form in PRICE_SERIES.get(material, ()):
        rows = p[p["form"].astype(str).str.startswith(form)]
        pick = _pick_year(rows, year)
        if pick is None:
            continue
        try:
            value = _convert_price(
                ds, float(pick["value"]), str(pick["unit"]), str(pick["basis"]), basis
            )
        except UnitError:
            continue
        return PriceQuote(
            material,
            year,
            value,
            basis,
            str(pick["form"]),
            int(pick["year"]),
            f"{float(pick['value']):g} {pick['unit']} {pick['basis']}".strip(),
            str(pick["source"]),
            str(pick["status"]),
        )
    return _trade_unit_value(ds, material, year, basis)


def _convert_price(ds: Dataset, value: float, unit: str, basis: str, target: str) -> float:
    price_unit_parts(unit)
    if basis in FORM_HEADINGS:
        per_t_form = float(convert_price(value, unit, "USD/t"))
        return per_t_form / _factor(ds, FORM_HEADINGS[basis])[0]
    if normalise_basis(basis) == normalise_basis(target):
        return float(convert_price(value, unit, "USD/t"))
    return float(convert_price(value, unit, "USD/t", basis, target))


def _trade_unit_value(ds: Dataset, material: str, year: int, basis: str) -> PriceQuote | None:
    owner = _heading_owner(ds, material)
    if owner != material:
        return None  # a group's trade unit value is not an element's price
    t = year_trade_on_basis(ds, year, material)
    t = t[t["quantity_t"].notna()]
    q = float(t["quantity_basis_t"].sum())
    if q <= 0:
        return None
    value = float(t["value_kusd"].sum()) * 1e3 / q
    return PriceQuote(
        material,
        year,
        value,
        basis,
        "world trade unit value of HS " + ",".join(sorted(set(t["hs6"].astype(str)))),
        year,
        f"{value:,.0f} USD/t {basis} (value / quantity x content factor)",
        "CEPII BACI HS92 V202401b with critmat content factors",
        "proxy",
    )
