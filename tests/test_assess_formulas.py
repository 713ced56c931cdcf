"""Assessment formulas: hand-computed cases, published figures, properties."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import critmat.data as cd
from critmat.data.views import supply_by_country
from critmat.risk.concentration import by_controller, concentration_terms
from critmat.risk.exposure import exposure_terms, net_import_reliance, trade_flows
from critmat.risk.governance import instability
from critmat.risk.indices import eu_crm_ei, eu_crm_sr, geopolrisk_wta, usgs_supply_risk

EMPTY_CONTROL = pd.DataFrame(columns=["country", "controller", "share"])


# Hand-computed small cases -------------------------------------------------------------------
def test_eu_crm_sr_hand_case() -> None:
    # 10 * (0.5 * 1/2 + 0.2 * (1 - 1/2)) * (1 - 0.1) * 0.9 = 10 * 0.35 * 0.81 = 2.835
    assert eu_crm_sr(0.5, 0.2, 1.0, 0.1, 0.9) == pytest.approx(2.835)
    # IR = 0: only the sourcing term counts
    assert eu_crm_sr(0.5, 0.2, 0.0, 0.0, 1.0) == pytest.approx(2.0)


def test_eu_crm_ei_hand_case_and_missing_inputs() -> None:
    shares = pd.Series({"cars": 0.6, "chips": 0.4})
    nace = {"cars": "C29", "chips": "C26"}
    ei, note = eu_crm_ei(shares, nace, {"C29": 100.0, "C26": 50.0}, 0.8)
    assert ei == pytest.approx(10 * (0.6 * 1.0 + 0.4 * 0.5) * 0.8) and note == ""
    ei, note = eu_crm_ei(shares, nace, {}, 1.0)
    assert np.isnan(ei) and "no sector GVA" in note
    ei, note = eu_crm_ei(shares, {"cars": "C29"}, {"C29": 100.0}, 1.0)
    assert ei == pytest.approx(6.0) and "chips" in note


def test_geopolrisk_wta_hand_case() -> None:
    f = pd.Series({"X": 60.0, "Y": 40.0})
    g = pd.Series({"X": 0.8, "Y": 0.2})
    assert geopolrisk_wta(f, g, 100.0) == pytest.approx((0.8 * 60 + 0.2 * 40) / 200)
    assert np.isnan(geopolrisk_wta(f * 0, g, 0.0))


def test_usgs_product() -> None:
    assert usgs_supply_risk(0.5, 0.4, 0.5) == pytest.approx(0.1)


def test_instability_scaling_fallback_and_default() -> None:
    gov = pd.DataFrame(
        {
            "country": ["AAA", "BBB", "CCC", "DDD"],
            "year": [2022, 2022, 2020, 2030],
            "indicator": "wgi_pv",
            "value": [2.5, -2.5, 0.0, 3.0],
        }
    )
    g, missing = instability(gov, 2022, ["AAA", "BBB", "CCC", "DDD", "EEE"], missing=0.42)
    assert g["AAA"] == 0.0 and g["BBB"] == 1.0
    assert g["CCC"] == 0.5  # latest earlier estimate
    assert g["DDD"] == 0.0  # only a later estimate, clipped at 0
    assert g["EEE"] == 0.42 and missing == ["EEE"]


def test_trade_flows_net_out_intra_bloc_trade() -> None:
    trade = pd.DataFrame(
        {
            "year": 2022,
            "hs6": "260400",
            "exporter": ["DEU", "CHN", "IDN", "FRA", "DEU"],
            "importer": ["FRA", "DEU", "FRA", "USA", "CHN"],
            "value_kusd": [5.0, 10.0, 20.0, 3.0, 1.0],
            "quantity_t": [50.0, 100.0, 200.0, 30.0, 10.0],
        }
    )
    f = trade_flows(trade, {"DEU", "FRA"}, ["260400"], 2022)
    assert set(f.index) == {"CHN", "IDN", "USA"}  # DEU->FRA is internal
    assert f.loc["CHN", "imports_t"] == 100 and f.loc["IDN", "imports_t"] == 200
    assert f.loc["USA", "exports_t"] == 30 and f.loc["CHN", "exports_t"] == 10
    g = pd.Series({"CHN": 0.6, "IDN": 0.4, "USA": 0.3})
    e = exposure_terms(
        f, 60.0, g, {"CHN"}, domestic_g=0.1, high_risk_threshold=0.5
    )  # (300 - 40) / (60 + 260) = 0.8125
    assert e["import_reliance"] == pytest.approx(260 / 320)
    assert e["high_risk_import_share"] == pytest.approx(1 / 3)
    assert e["restricting_import_share"] == pytest.approx(1 / 3)
    assert e["top_exporter"] == "IDN"
    # sourcing: domestic 60, CHN 100, IDN 200 of 360
    expected = (60 / 360) ** 2 * 0.1 + (100 / 360) ** 2 * 0.6 + (200 / 360) ** 2 * 0.4
    assert e["hhi_wgi_sourcing"] == pytest.approx(expected)


def test_net_exporter_has_zero_reliance() -> None:
    f = pd.DataFrame(
        {"imports_t": [10.0], "imports_kusd": [1.0], "exports_t": [50.0], "exports_kusd": [5.0]},
        index=pd.Index(["CHN"], name="partner"),
    )
    e = exposure_terms(f, 0.0, pd.Series({"CHN": 0.5}), set(), domestic_g=0, high_risk_threshold=1)
    assert e["import_reliance"] == 0.0


def test_concentration_terms_hand_case() -> None:
    shares = pd.Series({"COD": 0.7, "IDN": 0.2, "OTH": 0.1})
    g = pd.Series({"COD": 0.9, "IDN": 0.5})
    control = pd.DataFrame({"country": ["COD"], "controller": ["CHN"], "share": [0.5]})
    c = concentration_terms(shares, g, {"CHN", "IDN"}, control)
    assert c["hhi"] == pytest.approx(0.49 + 0.04)
    assert c["hhi_wgi"] == pytest.approx(0.49 * 0.9 + 0.04 * 0.5)
    assert c["top1_country"] == "COD" and c["top3_share"] == pytest.approx(0.9)
    assert c["share_in_restricting"] == pytest.approx(0.2)
    # by controller: COD 0.35, CHN 0.35, IDN 0.2
    assert c["hhi_by_controller"] == pytest.approx(0.35**2 * 2 + 0.04)
    assert c["share_controlled_by_restricting"] == pytest.approx(0.55)


# Published figures ----------------------------------------------------------------------------
def test_us_chromium_net_import_reliance_2022(ds: cd.Dataset) -> None:
    """USGS MCS 2026 chromium, 2022: NIR 77% of apparent consumption (591 kt), from imports
    610 kt, exports 162 kt and 5 kt shipped from the Government stockpile."""
    hi = ds.holder_indicators
    row = hi[(hi.material == "chromium") & (hi.year == 2022)].set_index("indicator")["value"]
    nir = net_import_reliance(
        row["Imports for consumption"],
        row["Exports"],
        row["Shipments from Government stockpile"],
        row["Consumption (includes recycling): Apparent"],
    )
    assert round(100 * nir) == row["Net import reliance as a percentage of apparent consumption"]


@pytest.mark.parametrize(
    ("material", "stage", "year", "country", "published", "citation"),
    [
        ("cobalt", "mining", 2025, "COD", 0.73, "MCS 2026 cobalt: Congo (Kinshasa) ~73%"),
        ("cobalt", "mining", 2025, "IDN", 0.14, "MCS 2026 cobalt: Indonesia ~14%"),
        ("niobium", "mining", 2025, "BRA", 0.93, "MCS 2026 niobium: Brazil ~93%"),
        ("niobium", "mining", 2025, "CAN", 0.05, "MCS 2026 niobium: Canada ~5%"),
        ("gallium", "refining", 2024, "CHN", 0.99, "MCS 2026 gallium: China 99% of primary"),
    ],
)
def test_published_shares_reproduced(
    ds: cd.Dataset,
    material: str,
    stage: str,
    year: int,
    country: str,
    published: float,
    citation: str,
) -> None:
    t = supply_by_country(ds, material, stage, year, "usgs_mcs2026")
    share = float(t.rows.set_index("country").loc[country, "share"])
    assert share == pytest.approx(published, abs=0.005), citation


# Properties ------------------------------------------------------------------------------------
countries = st.lists(
    st.tuples(st.sampled_from([f"C{i:02d}" for i in range(30)]), st.floats(0.01, 1.0)),
    min_size=1,
    max_size=12,
    unique_by=lambda t: t[0],
)


@given(countries, st.randoms(use_true_random=False))
def test_concentration_invariant_to_country_order(
    rows: list[tuple[str, float]], rnd: object
) -> None:
    s = pd.Series(dict(rows))
    s = s / s.sum()
    g = pd.Series({c: (i % 7) / 7 for i, c in enumerate(s.index)})
    a = concentration_terms(s, g, {"C01"}, EMPTY_CONTROL)
    shuffled = s.sample(frac=1.0, random_state=7)
    b = concentration_terms(shuffled, g, {"C01"}, EMPTY_CONTROL)
    for k in ("hhi", "hhi_wgi", "top3_share", "share_in_restricting"):
        assert a[k] == pytest.approx(b[k])
    assert 1 / len(s) - 1e-9 <= a["hhi"] <= 1 + 1e-9


@given(countries, st.floats(0.0, 1.0))
def test_controller_reattribution_conserves_supply(rows: list[tuple[str, float]], f: float) -> None:
    s = pd.Series(dict(rows))
    s = s / s.sum()
    control = pd.DataFrame({"country": [s.index[0]], "controller": ["ZZZ"], "share": [f]})
    out = by_controller(s, control)
    assert out.sum() == pytest.approx(1.0)
    assert (out >= -1e-12).all()


@given(st.floats(0, 1), st.floats(0, 1), st.floats(0, 1), st.floats(0, 1))
def test_sr_is_zero_when_everything_is_recycled(h1: float, h2: float, ir: float, si: float) -> None:
    assert eu_crm_sr(h1, h2, ir, 1.0, si) == 0.0
    assert eu_crm_sr(h1, h2, ir, 0.0, si) >= 0.0


@given(st.floats(0, 1e6), st.floats(0, 1e6), st.floats(0, 1e6))
def test_import_reliance_in_unit_interval(i: float, e: float, p: float) -> None:
    f = pd.DataFrame(
        {"imports_t": [i], "imports_kusd": [1.0], "exports_t": [e], "exports_kusd": [1.0]},
        index=pd.Index(["CHN"], name="partner"),
    )
    ir = exposure_terms(f, p, pd.Series({"CHN": 0.5}), set(), domestic_g=0, high_risk_threshold=1)[
        "import_reliance"
    ]
    assert np.isnan(ir) or 0.0 <= ir <= 1.0


@given(st.lists(st.floats(0.1, 1e4), min_size=1, max_size=8), st.floats(0, 1e4))
def test_wta_bounded_by_worst_exporter(f: list[float], p: float) -> None:
    imports = pd.Series(f, index=[f"C{i}" for i in range(len(f))])
    g = pd.Series(np.linspace(0.1, 0.9, len(f)), index=imports.index)
    assert 0.0 <= geopolrisk_wta(imports, g, p) <= float(g.max()) + 1e-12
