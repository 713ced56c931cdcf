"""Numbers behind the data report."""

from __future__ import annotations

import pytest

import critmat.data as cd
from critmat.data.units import element_fraction
from critmat.services.data import concentration_ranking, coverage_table, source_spread


def test_coverage_lists_every_seed_material(ds: cd.Dataset) -> None:
    cov = coverage_table(ds).set_index("material")
    assert len(cov) == int(ds.materials["seed"].sum())
    assert "usgs_mcs2026 2024-2025" in cov.loc["cobalt", "mining"]
    assert cov.loc["lithium", "trade_rows"] > 1000


def test_concentration_ranking(ds: cd.Dataset) -> None:
    rank = concentration_ranking(ds)
    assert rank["hhi"].is_monotonic_decreasing
    assert ((rank["hhi"] >= 0) & (rank["hhi"] <= 1)).all()
    top = rank.set_index(["material", "stage"])
    # graphite refining: China 95.7% of battery-grade graphite (IEA 2025) -> HHI > 0.9
    assert top.loc[("graphite", "refining"), "hhi"] > 0.9
    assert top.loc[("graphite", "refining"), "top_country"] == "CHN"


def test_source_spread_converts_wmd_li2o_to_lithium(ds: cd.Dataset) -> None:
    sp = source_spread(ds, 2024).set_index("material")
    li = sp.loc["lithium"]
    p = ds.production
    wmd = p[(p.dataset == "wmd2026") & (p.material == "lithium") & (p.year == 2024)]
    expected = wmd["value"].sum() * element_fraction("Li2O", "Li")
    assert li["wmd"] == pytest.approx(expected)
    assert "Li2O converted to Li" in li["note"]
    # chromite gross weight cannot be converted to Cr2O3 without the ore grade: said, not guessed
    assert "not comparable" in sp.loc["chromium", "note"]
    assert 0.7 < sp.loc["cobalt", "wmd_over_usgs"] < 1.3
