"""Unit and basis conversions: published factors, round trips, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from critmat.data.units import (
    MASS_UNITS,
    UnitError,
    convert_mass,
    convert_price,
    element_fraction,
    is_known_unit,
    molar_mass,
)


# Published conversion factors (cited) ---------------------------------------------------------
@pytest.mark.parametrize(
    ("src", "dst", "published", "tol", "citation"),
    [
        # "1 t Li = 5.323 t LCE": USGS MCS Lithium and industry convention (Li x 5.323 = LCE)
        ("Li", "LCE", 5.323, 0.002, "USGS MCS lithium; SQM/Albemarle reporting"),
        # Li2O -> Li: x 0.4646 (USGS Minerals Yearbook lithium, conversion note)
        ("Li2O", "Li", 0.4646, 0.0005, "USGS Minerals Yearbook"),
        # 1 mtu WO3 = 7.93 kg W -> 1 kg WO3 = 0.793 kg W (USGS MCS 2026 tungsten table note)
        ("WO3", "W", 0.793, 0.0005, "USGS MCS 2026 tungsten"),
        ("Nd2O3", "Nd", 0.857, 0.001, "REO-to-metal factor, USGS rare earths yearbook"),
        ("Dy2O3", "Dy", 0.871, 0.001, "REO-to-metal factor"),
        ("Tb4O7", "Tb", 0.850, 0.001, "REO-to-metal factor"),
        ("Cr2O3", "Cr", 0.684, 0.001, "stoichiometry"),
        ("Nb2O5", "Nb", 0.699, 0.001, "USGS MCS niobium (Nb2O5 x 0.699)"),
        ("Ta2O5", "Ta", 0.819, 0.001, "USGS MCS tantalum (Ta2O5 x 0.819)"),
        ("V2O5", "V", 0.560, 0.001, "USGS MCS vanadium (V2O5 x 0.5602)"),
    ],
)
def test_published_basis_factors(
    src: str, dst: str, published: float, tol: float, citation: str
) -> None:
    assert convert_mass(1.0, "t", "t", src, dst) == pytest.approx(published, abs=tol), citation


def test_mass_units_exact_definitions() -> None:
    assert convert_mass(1.0, "lb", "kg") == pytest.approx(0.45359237, rel=1e-12)
    assert convert_mass(1.0, "ozt", "g") == pytest.approx(31.1034768, rel=1e-12)
    assert convert_mass(1.0, "short ton", "lb") == pytest.approx(2000.0, rel=1e-12)
    assert convert_mass(3.5, "kt", "t") == pytest.approx(3500.0)
    assert convert_mass(1.0, "mtu", "kg") == pytest.approx(10.0)


def test_mtu_of_wo3_contains_7_93_kg_tungsten() -> None:
    # USGS MCS 2026: "1 mtu WO3 = 7.93 kg W"
    assert convert_mass(1.0, "mtu", "kg", "WO3", "W") == pytest.approx(7.93, abs=0.005)


def test_molar_masses() -> None:
    assert molar_mass("Li2CO3") == pytest.approx(73.89, abs=0.01)
    assert molar_mass("(NH4)10H2W12O42·4H2O") == pytest.approx(3132.2, abs=1.0)
    assert element_fraction("Li2CO3", "Li") == pytest.approx(0.1879, abs=1e-4)


def test_prices() -> None:
    assert convert_price(10.0, "USD/lb", "USD/t") == pytest.approx(22046.226, rel=1e-6)
    assert convert_price(100.0, "USc/lb", "USD/lb") == pytest.approx(1.0)
    assert convert_price(1000.0, "USD/ozt", "USD/kg") == pytest.approx(32150.75, rel=1e-6)
    # 300 USD per mtu WO3 = 300 USD per 7.93 kg W = 37,831 USD/t W
    assert convert_price(300.0, "USD/mtu", "USD/t", "WO3", "W") == pytest.approx(
        300.0 / 7.93e-3, rel=2e-3
    )


def test_vectorised() -> None:
    v = np.array([1.0, 2.0, 4.0])
    out = convert_mass(v, "kt", "t", "Li2O", "Li")
    assert out == pytest.approx(v * 1000 * element_fraction("Li2O", "Li"))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: convert_mass(1.0, "tonnes", "t"), "unknown mass unit"),
        (lambda: convert_mass(1.0, "t", "t", "Li2O", None), "both bases"),
        (lambda: convert_mass(1.0, "t", "t", "Li2O", "Nd2O3"), "cannot tell which element"),
        (lambda: convert_mass(1.0, "t", "t", "Xx2O", "Li"), "unknown element"),
        (lambda: convert_mass(1.0, "t", "t", "Li2(O", "Li"), "unbalanced"),
        (lambda: convert_mass(1.0, "t", "t", "REO", "Nd"), "needs the ore's composition"),
        (lambda: convert_mass(1.0, "t", "t", "chromite ore", "Cr"), "not a chemical formula"),
        (lambda: element_fraction("Li2O", "Nd"), "does not occur"),
        (lambda: convert_price(1.0, "USD", "USD/t"), "not a price unit"),
        (lambda: convert_price(1.0, "EUR/t", "USD/t"), "unknown currency"),
    ],
)
def test_conversion_errors(call: object, message: str) -> None:
    with pytest.raises(UnitError, match=message):
        call()  # type: ignore[operator]


def test_known_units() -> None:
    assert is_known_unit("USD/kg") and is_known_unit("t") and is_known_unit("share")
    assert not is_known_unit("furlongs") and not is_known_unit("EUR/kg")


BASES = ["Li", "Li2O", "Li2CO3", "LiOH"]
units = st.sampled_from(sorted(MASS_UNITS))


@given(
    st.floats(min_value=1e-6, max_value=1e9, allow_nan=False),
    units,
    units,
    st.sampled_from(BASES),
    st.sampled_from(BASES),
)
def test_round_trip(value: float, u1: str, u2: str, b1: str, b2: str) -> None:
    there = convert_mass(value, u1, u2, b1, b2)
    back = convert_mass(there, u2, u1, b2, b1)
    assert math.isclose(back, value, rel_tol=1e-9)


@given(st.floats(min_value=1e-3, max_value=1e7), st.sampled_from(BASES), st.sampled_from(BASES))
def test_element_content_is_conserved(value: float, b1: str, b2: str) -> None:
    other = convert_mass(value, "t", "t", b1, b2)
    assert value * element_fraction(b1, "Li") == pytest.approx(other * element_fraction(b2, "Li"))
