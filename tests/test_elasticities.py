"""Literature price elasticities: shipped estimates, ranges, and their use in the sensitivity."""

from __future__ import annotations

import numpy as np
import pytest

import critmat.data as cd
from critmat.optimize.sensitivity import assumptions_from_data
from critmat.sim.elasticities import literature_ranges, pooled_range


def test_nickel_short_run_demand_matches_the_source_rows(ds: cd.Dataset) -> None:
    """GLOMBO / Dahl MEDS: five short-run nickel demand estimates, median -0.058."""
    r = literature_ranges(ds).set_index(["material", "kind", "horizon"])
    ni = r.loc[("nickel", "demand", "short_run")]
    assert ni["n"] == 5 and ni["median"] == pytest.approx(-0.058)
    # a range, never one number: the interquartile range brackets the median
    assert ni["p25"] <= ni["median"] <= ni["p75"]
    e = ds.table("elasticity_estimates")
    assert (e.loc[e["kind"] == "demand", "value"] < 0).all()  # wrong-sign rows were left out
    assert (e.loc[e["kind"] == "supply", "value"] > 0).all()


def test_pooled_range_is_an_interquartile_range(ds: cd.Dataset) -> None:
    e = ds.table("elasticity_estimates")
    v = e.loc[(e["kind"] == "demand") & (e["horizon"] == "short_run"), "value"].to_numpy()
    r = pooled_range(ds)
    assert r["n"] == v.size
    assert r["p25"] == pytest.approx(np.percentile(v, 25))
    assert r["p75"] == pytest.approx(np.percentile(v, 75))


def test_sensitivity_takes_its_elasticity_range_from_the_data(ds: cd.Dataset) -> None:
    a = {x.name: x for x in assumptions_from_data(ds)}["price elasticity of demand"]
    r = pooled_range(ds)
    assert a.low == pytest.approx(r["p75"], abs=1e-3) and a.high == pytest.approx(
        r["p25"], abs=1e-3
    )
    assert "short-run demand estimates" in a.source
