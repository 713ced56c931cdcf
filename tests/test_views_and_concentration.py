"""Supply views and the HHI: hand-computed cases, published figures, properties."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import critmat.data as cd
from critmat.data.views import supply_by_country
from critmat.risk.concentration import hhi, hhi_of_supply


def test_hhi_hand_cases() -> None:
    assert hhi([1.0]) == 1.0
    assert hhi([0.5, 0.5]) == pytest.approx(0.5)
    assert hhi([0.6, 0.3, 0.1]) == pytest.approx(0.36 + 0.09 + 0.01)
    assert hhi([]) == 0.0
    with pytest.raises(ValueError, match="non-negative"):
        hhi([0.5, -0.1])
    with pytest.raises(ValueError, match="> 1"):
        hhi([0.7, 0.7])


def test_hhi_of_supply_drops_aggregates_from_squares() -> None:
    rows = pd.DataFrame({"country": ["CHN", "OTH"], "share": [0.6, 0.4]})
    assert hhi_of_supply(rows) == pytest.approx(0.36)


shares = st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=1, max_size=30).filter(
    lambda v: sum(v) > 1e-6
)


@given(shares)
def test_hhi_bounds_and_order_invariance(raw: list[float]) -> None:
    s = np.array(raw) / sum(raw)
    h = hhi(s)
    assert 1.0 / len(s) - 1e-12 <= h <= 1.0 + 1e-12
    assert hhi(s[::-1]) == pytest.approx(h)


@given(shares, st.floats(min_value=0.01, max_value=0.5))
def test_hhi_rises_when_share_moves_to_the_leader(raw: list[float], frac: float) -> None:
    s = np.sort(np.array(raw) / sum(raw))[::-1]
    assume(len(s) >= 2 and s[1] > 1e-6)
    moved = s.copy()
    delta = frac * s[1]
    moved[0] += delta
    moved[1] -= delta
    assert hhi(moved) > hhi(s)


def test_cobalt_mining_2024_drc_share(ds: cd.Dataset) -> None:
    """USGS MCS 2026: Congo (Kinshasa) 226,000 t of 302,000 t world cobalt mine output in 2024."""
    t = supply_by_country(ds, "cobalt", "mining", 2024)
    assert t.dataset == "usgs_mcs2026" and t.world_total == 302_000
    drc = t.rows.iloc[0]
    assert drc["country"] == "COD" and drc["value"] == 226_000
    assert drc["share"] == pytest.approx(226_000 / t.rows["value"].sum())
    assert 0.74 < drc["share"] < 0.76
    assert "Mineral Commodity Summaries 2026" in drc["source"]
    assert t.rows["share"].sum() == pytest.approx(1.0)
    assert "wmd2026" in t.alternatives


def test_wmd_alternative_and_defaults(ds: cd.Dataset) -> None:
    t = supply_by_country(ds, "Co", "mining", 2020)
    assert t.dataset == "wmd2026"
    latest = supply_by_country(ds, "lithium")
    assert latest.stage == "mining" and latest.year == 2025
    ref = supply_by_country(ds, "lithium", "refining")
    assert ref.dataset == "iea2025" and ref.rows.iloc[0]["country"] == "CHN"


def test_share_only_and_derived(ds: cd.Dataset) -> None:
    t = supply_by_country(ds, "terbium", "refining")
    assert t.share_only and set(t.rows["status"]) == {"derived"}
    assert t.rows.iloc[0]["country"] == "CHN"


def test_dysprosium_mining_is_its_own_split_and_terbium_says_it_is_the_groups(
    ds: cd.Dataset,
) -> None:
    """Issue 30, item 5: the group's split put the USA at 13 % of dysprosium mining. JRC RMIS
    (as quoted) gives dysprosium's own 2021 split: China 40 %, Myanmar 31 %, Australia 20 %."""
    dy = supply_by_country(ds, "dysprosium", "mining")
    assert (dy.dataset, dy.year, dy.split) == ("jrc_rmis2021", 2021, "element")
    share = dy.rows.set_index("country")["share"]
    assert share["CHN"] == pytest.approx(0.40) and share["MMR"] == pytest.approx(0.31)
    assert "USA" not in share.index
    assert "derived_ree_split" in dy.alternatives
    # a year only the group's split covers: the group's, said so
    old = supply_by_country(ds, "dysprosium", "mining", year=2024)
    assert old.dataset.startswith("derived_ree_split") and "group" in old.split
    tb = supply_by_country(ds, "terbium", "mining")
    assert "rare-earth group's" in tb.split and tb.to_dict()["split"] == tb.split
    from typer.testing import CliRunner

    from critmat.cli.main import app

    out = CliRunner().invoke(app, ["data", "show", "Tb"], env={"COLUMNS": "200"}).stdout
    assert "Split: the rare-earth group's" in out


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"material": "cobalt", "stage": "smelting"}, "stage for cobalt"),
        ({"material": "cobalt", "stage": "mining", "year": 1990}, "2018, 2019"),
        ({"material": "cobalt", "dataset": "bloomberg"}, "usgs_mcs2026"),
        ({"material": "nope"}, "unknown material"),
    ],
)
def test_bad_choices(ds: cd.Dataset, kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(cd.UnknownChoiceError, match=match):
        supply_by_country(ds, **kwargs)  # type: ignore[arg-type]


def test_rare_earth_hhi_from_usgs_table(ds: cd.Dataset) -> None:
    """HHI of 2024 REO mine output reproduced by hand from the USGS MCS 2026 country rows."""
    t = supply_by_country(ds, "rare_earths", "mining", 2024, "usgs_mcs2026")
    v = {"CHN": 270_000, "USA": 45_500, "AUS": 29_000, "MMR": 27_000}
    total = t.rows["value"].sum()
    by_hand = sum((x / total) ** 2 for x in v.values())
    assert hhi_of_supply(t.rows) == pytest.approx(by_hand, abs=0.002)
    assert hhi_of_supply(t.rows) * 1e4 > 2500  # highly concentrated
