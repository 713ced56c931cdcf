"""The cases of issue 28 run as a new user would (the service the CLI and the API call, default
settings: parameters drawn per run from their ranges), against the USGS disruption
model for a total Chinese restriction (Nassar et al. 2024, USGS Open-File Report 2024-1057:
gallium GDP -3.1 bn USD, range 1.7-8.2, price > +150%; germanium price +26%) and the record
(GAGE-2023, GAGE-2024). Tolerances are the issue's bands, not the point values."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import yaml

from critmat.data.dataset import load
from critmat.services.simulate import SimulateRequest, run_simulate
from critmat.sim.downstream import gdp_curves, gdp_loss


def _ban(*materials: str) -> str:
    events = [
        {"type": "export_restriction", "country": "CHN", "material": m, "stage": "refining",
         "start": 0, "duration": 12, "severity": 1.0}
        for m in materials
    ]  # fmt: skip
    return yaml.safe_dump({"name": "ban", "horizon_months": 12, "events": events})


def _summary(
    scenario: str, holder: str, runs: int = 200, method: str = "critmat"
) -> dict[str, dict[str, Any]]:
    """``scenario``: a library id or the YAML text of a scenario; rows by material."""
    ids = {"GAGE-2023", "GAGE-2024"}
    req = SimulateRequest(
        holder=holder,
        runs=runs,
        loss_method=method,  # type: ignore[arg-type]
        **({"scenario": scenario} if scenario in ids else {"scenario_yaml": scenario}),
    )
    assert req.parameter_uncertainty  # the default a new user gets
    res, _, ranges = run_simulate(load(), req)
    assert ranges
    return res.summary().set_index("material").to_dict("index")


def _row(scenario: str, holder: str, material: str, runs: int = 200) -> dict[str, Any]:
    return _summary(scenario, holder, runs)[material]


#: USGS OFR 2024-1057, total restriction of China's net exports: GDP loss range, USD
USGS_RANGE = {"gallium": (1.7e9, 8.2e9), "germanium": (0.01e9, 1.1e9), "both": (1.7e9, 9.0e9)}


@pytest.mark.parametrize("case", ["gallium", "germanium", "both"])
def test_the_usgs2024_method_reproduces_the_reports_headline_cases(case: str) -> None:
    """Same simulation, the loss counted the USGS way: the market clears at the simulated price
    and the US industries lose the demand it destroys, through the input-output table. Each
    case's GDP loss inside the report's range; the default count beside it is at least as
    large (it adds the tonnes physically short and the import bill) and inside the range
    too."""
    mats = ["gallium", "germanium"] if case == "both" else [case]
    usgs = _summary(_ban(*mats), "USA", method="usgs2024")
    total = sum(usgs[m]["expected_loss_usd"] for m in mats)
    lo, hi = USGS_RANGE[case]
    assert lo <= total <= hi
    assert all(usgs[m]["loss_basis"].startswith("usgs2024") for m in mats)
    default = _summary(_ban(*mats), "USA")
    assert lo <= sum(default[m]["expected_loss_usd"] for m in mats) <= hi
    for m in mats:
        same = usgs[m]["expected_loss_usd"]
        assert default[m]["expected_gdp_usgs2024_usd"] == pytest.approx(same)
        assert default[m]["expected_loss_usd"] >= usgs[m]["expected_loss_usd"]


def test_usgs2024_says_not_assessed_without_an_input_output_table() -> None:
    eu = _summary(_ban("gallium"), "EU27", runs=20, method="usgs2024")["gallium"]
    assert np.isnan(eu["expected_loss_usd"])
    assert eu["loss_basis"].startswith("usgs2024: not assessed: no input-output table for EU27")


def test_gallium_full_restriction_for_the_usa_is_in_the_usgs_range() -> None:
    r = _row(_ban("gallium"), "USA", "gallium")
    assert 1.75 <= r["p50_max_price_ratio"] <= 5.0  # +75% to +400% (USGS: > +150%)
    assert 1.7e9 <= r["expected_loss_usd"] <= 8.2e9  # USGS range of the GDP loss
    # the loss is GDP through the input-output table, mostly from the tonnes missing
    assert r["expected_gdp_downstream_usd"] > 0.9 * r["expected_loss_usd"]


def test_germanium_full_restriction_price_and_loss_are_in_the_usgs_range() -> None:
    """The lost first-hand imports are bought on the world market once buyers have switched
    (methods 6.2), so the default loss is GDP of the tonnes short while switching and of the
    demand the price destroys, not a year of missing imports (2.6 bn before)."""
    r = _row(_ban("germanium"), "USA", "germanium")
    assert 1.10 <= r["p50_max_price_ratio"] <= 2.0  # +10% to +100% (USGS: +26%)
    assert 0.01e9 <= r["expected_loss_usd"] <= 1.1e9  # USGS range of the GDP loss


def test_gage_2024_raises_the_usas_gallium_price() -> None:
    r = _row("GAGE-2024", "USA", "gallium", runs=20)
    assert r["p50_max_price_ratio"] >= 1.5


def test_gage_2023_eu27_gallium_peak_in_the_band() -> None:
    r = _row("GAGE-2023", "EU27", "gallium", runs=20)
    assert 1.2 <= r["p50_max_price_ratio"] <= 5.0
    assert np.isnan(r["expected_gdp_downstream_usd"])  # no input-output table for the EU27
    assert "no input-output table for EU27" in r["loss_basis"]


def test_the_cheapest_tonnes_are_cut_first() -> None:
    """Germanium's uses cost the economy different amounts per tonne: the curve cuts the
    cheapest first, so the loss is convex and piecewise linear with those slopes."""
    ds = load()
    curves, why = gdp_curves(ds, "USA", {"germanium": 60.0, "gallium": 18.0}, 2023)
    assert not why
    ge = curves["germanium"]
    assert list(ge.usd_per_t) == sorted(ge.usd_per_t) and len(ge.industries) == 3
    t1, g1, g2 = ge.tonnes[1], ge.usd_per_t[0], ge.usd_per_t[1]
    assert gdp_loss(t1, ge, 12) == pytest.approx(t1 * g1)
    assert gdp_loss(t1 + 2.0, ge, 12) == pytest.approx(t1 * g1 + 2.0 * g2)
    # over two years the same cut per year costs twice as much; nothing beyond all use
    assert gdp_loss(2 * t1, ge, 24) == pytest.approx(2 * t1 * g1)
    assert gdp_loss(1e9, ge, 12) == pytest.approx(ge.usd[-1])
    # gallium: all of it in semiconductors (BEA 334413): the whole industry's GDP at stake
    assert curves["gallium"].industries == ("334413",)


def test_decisions_follow_the_gdp_loss_where_the_holder_has_a_table() -> None:
    """The plan and the simulator take the loss of a tonne short from the same function: for
    the USA the GDP per tonne of the material's cheapest use (6.9), for the EU27 the value
    added per tonne (6.7)."""
    from critmat.sim.loss import loss_per_tonne, loss_table
    from critmat.sim.market import SimParams, build_market

    ds, p = load(), SimParams()
    usa = build_market(ds, "USA", 2023, ["gallium", "germanium"])
    t = loss_table(usa, p).set_index("material")
    curve = usa.downstream["gallium"]
    assert t.loc["gallium", "loss_usd_per_t"] == pytest.approx(curve.usd_per_t[0])
    assert t.loc["gallium", "bound"] == "input-output GDP"
    np.testing.assert_allclose(loss_per_tonne(usa, p), t["loss_usd_per_t"].to_numpy())
    eu = loss_table(build_market(ds, "EU27", 2023, ["gallium"]), p).set_index("material")
    assert eu.loc["gallium", "bound"] != "input-output GDP"
    assert eu.loc["gallium", "loss_usd_per_t"] < t.loc["gallium", "loss_usd_per_t"]
