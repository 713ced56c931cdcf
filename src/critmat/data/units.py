"""Units and chemical bases: the one place where critmat converts quantities.

Every figure in the shipped dataset states a ``unit`` (a mass unit such as ``t`` or ``kg``, a price
unit such as ``USD/lb``, or a dimensionless unit such as ``share``) and, for masses, a ``basis``:
the chemical form the mass refers to (``Li`` = lithium content, ``Li2O``, ``Li2CO3`` = lithium
carbonate equivalent, ``Nd2O3``, ``WO3`` ...). Mass conversions between bases go through the
element content, computed from IUPAC standard atomic weights, so no conversion factor is typed in
by hand.

Sources
-------
- Atomic weights: IUPAC Commission on Isotopic Abundances and Atomic Weights, "Standard atomic
  weights of the elements 2021" (abridged values, Prohaska et al., Pure Appl. Chem. 94 (2022) 573).
- Avoirdupois pound and troy ounce: US NIST Handbook 44 (2024), Appendix C
  (1 lb = 0.45359237 kg exactly; 1 troy oz = 31.1034768 g exactly; 1 short ton = 2000 lb).
- Metric ton unit: 1 mtu = 10 kg of the quoted compound
  (USGS MCS 2026 tungsten: "1 mtu WO3 = 7.93 kg W").
- Euro: ECB euro foreign exchange reference rates, US dollar, annual averages
  (https://www.ecb.europa.eu/stats/policy_and_exchange_rates/euro_reference_exchange_rates/).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from critmat.errors import CritmatError

__all__ = [
    "ATOMIC_WEIGHTS",
    "BASIS_ALIASES",
    "DIMENSIONLESS_UNITS",
    "MASS_UNITS",
    "OTHER_UNITS",
    "UnitError",
    "convert_intensity",
    "convert_mass",
    "convert_price",
    "element_fraction",
    "eur_to_usd",
    "is_known_unit",
    "molar_mass",
    "normalise_basis",
    "price_unit_parts",
]

Number = TypeVar("Number", float, npt.NDArray[np.float64])


class UnitError(CritmatError):
    """A unit or basis is unknown, or a conversion between two of them is impossible."""


#: Standard atomic weights, g/mol (IUPAC 2021 abridged; conventional values for intervals).
ATOMIC_WEIGHTS: Mapping[str, float] = {
    "H": 1.008,
    "Li": 6.94,
    "B": 10.81,
    "C": 12.011,
    "N": 14.007,
    "O": 15.999,
    "Na": 22.990,
    "Mg": 24.305,
    "Al": 26.982,
    "Si": 28.085,
    "P": 30.974,
    "S": 32.06,
    "Ti": 47.867,
    "V": 50.942,
    "Cr": 51.996,
    "Mn": 54.938,
    "Fe": 55.845,
    "Co": 58.933,
    "Ni": 58.693,
    "Cu": 63.546,
    "Zn": 65.38,
    "Ga": 69.723,
    "Ge": 72.630,
    "Zr": 91.224,
    "Nb": 92.906,
    "Mo": 95.95,
    "Pd": 106.42,
    "Ag": 107.87,
    "In": 114.82,
    "Sn": 118.71,
    "Sb": 121.76,
    "La": 138.91,
    "Ce": 140.12,
    "Pr": 140.91,
    "Nd": 144.24,
    "Sm": 150.36,
    "Eu": 151.96,
    "Gd": 157.25,
    "Tb": 158.93,
    "Dy": 162.50,
    "Ta": 180.95,
    "W": 183.84,
    "Ir": 192.22,
    "Pt": 195.08,
}

#: Mass units, expressed in metric tonnes (t).
MASS_UNITS: Mapping[str, float] = {
    "t": 1.0,
    "kt": 1.0e3,
    "Mt": 1.0e6,
    "kg": 1.0e-3,
    "g": 1.0e-6,
    "lb": 0.45359237e-3,
    "short ton": 0.90718474,
    "ozt": 31.1034768e-6,
    "mtu": 10.0e-3,
}

#: Currency units, expressed in US dollars (nominal unless a series says otherwise).
CURRENCY_UNITS: Mapping[str, float] = {"USD": 1.0, "USc": 0.01, "kUSD": 1.0e3, "USD m": 1.0e6}

#: US dollars per euro, ECB reference rate, annual average (nominal; see the module docstring).
USD_PER_EUR: Mapping[int, float] = {
    2016: 1.1069,
    2017: 1.1297,
    2018: 1.1810,
    2019: 1.1195,
    2020: 1.1422,
    2021: 1.1827,
    2022: 1.0530,
    2023: 1.0813,
}


def eur_to_usd(value: Number, year: int) -> Number:
    """Nominal euros of ``year`` -> nominal US dollars at that year's ECB average rate."""
    if year not in USD_PER_EUR:
        raise UnitError(
            f"no USD/EUR rate for {year}; known years: {min(USD_PER_EUR)}-{max(USD_PER_EUR)}"
        )
    return value * USD_PER_EUR[year]


#: Units without a mass dimension.
DIMENSIONLESS_UNITS: frozenset[str] = frozenset({"share", "%", "fraction", "index", "days"})

#: Other units the dataset uses (intensities, footprints, indicators), listed so checks know them.
OTHER_UNITS: frozenset[str] = frozenset(
    {
        "kg/kWh",
        "kg/MW",
        "kg per turbine",
        "kWh/vehicle",
        "g/W",
        "mg/W",
        "mg/cell",
        "g/m2",
        "mg/cm2",
        "wt%",
        "kg CO2e/kg",
        "WGI estimate",
        "kUSD",
        "CNY/t",
        "text",
    }
)

#: Names used in published tables for a chemical basis -> the formula critmat uses.
BASIS_ALIASES: Mapping[str, str] = {
    "LCE": "Li2CO3",
    "lithium carbonate equivalent": "Li2CO3",
    "APT": "(NH4)10H2W12O42·4H2O",
}

#: Bases used in published tables that are not one compound, with why they cannot be converted.
MIXED_BASES: Mapping[str, str] = {
    "REO": "a mix of rare-earth oxides; one element's content needs the ore's composition",
    "PGM": "a mix of platinum-group metals; one metal's content needs the split",
}

_TOKEN = re.compile(r"([A-Z][a-z]?|\(|\)|\d+|·)")


def normalise_basis(basis: str) -> str:
    """Return the chemical formula for a basis name (``"LCE"`` -> ``"Li2CO3"``)."""
    return BASIS_ALIASES.get(basis.strip(), basis.strip())


def _parse_formula(formula: str) -> dict[str, float]:
    """Parse a formula such as ``Li2CO3`` or ``(NH4)10H2W12O42·4H2O`` into atom counts."""
    text = normalise_basis(formula)
    if text in MIXED_BASES:
        raise UnitError(f"basis {text!r} is {MIXED_BASES[text]}")
    if not text or " " in text:
        raise UnitError(
            f"basis {text!r} is not a chemical formula (converting it needs a grade or composition)"
        )
    parts = text.split("·")
    total: dict[str, float] = {}
    for part in parts:
        lead = re.match(r"^(\d+)", part)
        mult = float(lead.group(1)) if lead else 1.0
        body = part[lead.end() :] if lead else part
        for el, n in _parse_group(body).items():
            total[el] = total.get(el, 0.0) + n * mult
    return total


def _parse_group(text: str) -> dict[str, float]:
    tokens = _TOKEN.findall(text)
    if "".join(tokens) != text:
        raise UnitError(f"cannot parse chemical formula {text!r}")
    stack: list[dict[str, float]] = [{}]
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        i += 1
        count = 1.0
        if i < len(tokens) and tokens[i].isdigit():
            count = float(tokens[i])
            i += 1
        if tok == "(":
            if count != 1.0:
                raise UnitError(f"malformed chemical formula {text!r}")
            stack.append({})
        elif tok == ")":
            if len(stack) == 1:
                raise UnitError(f"unbalanced parenthesis in {text!r}")
            inner = stack.pop()
            for el, n in inner.items():
                stack[-1][el] = stack[-1].get(el, 0.0) + n * count
        elif tok.isdigit():
            raise UnitError(f"malformed chemical formula {text!r}")
        else:
            if tok not in ATOMIC_WEIGHTS:
                raise UnitError(f"unknown element {tok!r} in {text!r}")
            stack[-1][tok] = stack[-1].get(tok, 0.0) + count
    if len(stack) != 1:
        raise UnitError(f"unbalanced parenthesis in {text!r}")
    return stack[0]


def molar_mass(formula: str) -> float:
    """Molar mass of a compound, g/mol, from IUPAC 2021 standard atomic weights."""
    return sum(ATOMIC_WEIGHTS[el] * n for el, n in _parse_formula(formula).items())


def element_fraction(formula: str, element: str) -> float:
    """Mass fraction of ``element`` in ``formula`` (e.g. Li in Li2CO3 = 0.1878).

    Raises
    ------
    UnitError
        If the element does not occur in the formula.
    """
    atoms = _parse_formula(formula)
    if element not in atoms:
        raise UnitError(f"{element} does not occur in {formula}")
    return ATOMIC_WEIGHTS[element] * atoms[element] / molar_mass(formula)


def _mass_factor(unit: str) -> float:
    try:
        return MASS_UNITS[unit]
    except KeyError:
        raise UnitError(
            f"unknown mass unit {unit!r}; known: {', '.join(sorted(MASS_UNITS))}"
        ) from None


def _basis_factor(from_basis: str | None, to_basis: str | None, element: str | None) -> float:
    """Factor turning a mass of ``from_basis`` into the mass of ``to_basis`` with equal element."""
    if from_basis is None and to_basis is None:
        return 1.0
    if from_basis is None or to_basis is None:
        raise UnitError("both bases must be given to convert between chemical forms")
    a, b = normalise_basis(from_basis), normalise_basis(to_basis)
    if a == b:
        return 1.0
    atoms_a, atoms_b = _parse_formula(a), _parse_formula(b)
    if element is None:
        common = (set(atoms_a) & set(atoms_b)) - {"O", "H", "C", "N"}
        if len(common) != 1:
            raise UnitError(
                f"cannot tell which element links {a} and {b}; pass element= explicitly"
            )
        element = common.pop()
    return element_fraction(a, element) / element_fraction(b, element)


def convert_mass(
    value: Number,
    from_unit: str,
    to_unit: str,
    from_basis: str | None = None,
    to_basis: str | None = None,
    element: str | None = None,
) -> Number:
    """Convert a mass between units and, optionally, chemical bases.

    Parameters
    ----------
    value
        Mass(es) in ``from_unit`` of ``from_basis``.
    from_unit, to_unit
        Keys of :data:`MASS_UNITS` (``t``, ``kt``, ``kg``, ``lb``, ``ozt``, ``mtu`` ...).
    from_basis, to_basis
        Chemical formulas or aliases (``Li``, ``Li2O``, ``LCE``, ``Nd2O3``, ``WO3``); the element
        content is conserved.
    element
        The element whose content is conserved; inferred when the two formulas share one
        non-trivial element.

    Examples
    --------
    >>> round(convert_mass(1.0, "t", "t", "Li", "LCE"), 3)  # 1 t Li = 5.323 t LCE
    5.323
    """
    factor = _mass_factor(from_unit) / _mass_factor(to_unit)
    factor *= _basis_factor(from_basis, to_basis, element)
    return value * factor


def price_unit_parts(unit: str) -> tuple[str, str]:
    """Split a price unit ``"USD/lb"`` into currency and mass unit, validating both."""
    if "/" not in unit:
        raise UnitError(f"{unit!r} is not a price unit (expected CURRENCY/MASS, e.g. USD/t)")
    cur, mass = (p.strip() for p in unit.split("/", 1))
    if cur not in CURRENCY_UNITS:
        raise UnitError(
            f"unknown currency {cur!r} in {unit!r}; known: {', '.join(sorted(CURRENCY_UNITS))}"
        )
    _mass_factor(mass)
    return cur, mass


def convert_price(
    value: Number,
    from_unit: str,
    to_unit: str,
    from_basis: str | None = None,
    to_basis: str | None = None,
    element: str | None = None,
) -> Number:
    """Convert a price per mass between units and chemical bases.

    A price per tonne of WO3 becomes a (higher) price per tonne of contained W: the money is the
    same, the mass is converted with :func:`convert_mass`.

    Examples
    --------
    >>> round(convert_price(10.0, "USD/lb", "USD/t"), 2)
    22046.23
    """
    cur_a, mass_a = price_unit_parts(from_unit)
    cur_b, mass_b = price_unit_parts(to_unit)
    money = CURRENCY_UNITS[cur_a] / CURRENCY_UNITS[cur_b]
    # mass of one "from" unit expressed in "to" units (and basis)
    one = convert_mass(1.0, mass_a, mass_b, from_basis, to_basis, element)
    return value * money / one


def is_known_unit(unit: str) -> bool:
    """True when ``unit`` is a mass, price, dimensionless or other listed unit."""
    if unit in MASS_UNITS or unit in DIMENSIONLESS_UNITS or unit in OTHER_UNITS:
        return True
    if unit in CURRENCY_UNITS:
        return True
    try:
        price_unit_parts(unit)
    except UnitError:
        return False
    return True


#: Activity units of demand drivers, in a base unit per unit (energy in kWh, power in W).
ACTIVITY_UNITS: Mapping[str, tuple[str, float]] = {
    "kWh": ("kWh", 1.0),
    "MWh": ("kWh", 1e3),
    "GWh": ("kWh", 1e6),
    "W": ("W", 1.0),
    "kW": ("W", 1e3),
    "MW": ("W", 1e6),
    "GW": ("W", 1e9),
    "vehicle": ("vehicle", 1.0),
}


def convert_intensity(value: Number, from_unit: str, to_unit: str) -> Number:
    """Convert a material intensity ``MASS/ACTIVITY`` (e.g. ``kg/kWh``, ``g/W``, ``kg/MW``,
    ``kg/vehicle``) to another, e.g. ``t/GWh``: tonnes of material per GWh of batteries.

    Examples
    --------
    >>> convert_intensity(0.1, "kg/kWh", "t/GWh")  # 0.1 kg/kWh = 100 t per GWh
    100.0
    >>> convert_intensity(2.0, "g/W", "t/GW")
    2000.0
    """

    def parts(unit: str) -> tuple[float, str, float]:
        if unit.count("/") != 1:
            raise UnitError(f"{unit!r} is not an intensity unit (expected MASS/ACTIVITY)")
        mass, act = (p.strip() for p in unit.split("/"))
        if act not in ACTIVITY_UNITS:
            raise UnitError(
                f"unknown activity unit {act!r} in {unit!r}; known: {', '.join(ACTIVITY_UNITS)}"
            )
        base, factor = ACTIVITY_UNITS[act]
        return _mass_factor(mass), base, factor

    m1, b1, a1 = parts(from_unit)
    m2, b2, a2 = parts(to_unit)
    if b1 != b2:
        raise UnitError(f"cannot convert {from_unit!r} to {to_unit!r}: {b1} vs {b2}")
    return value * (m1 / m2) * (a2 / a1)
