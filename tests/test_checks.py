"""The consistency pass: shipped data passes strictly; planted bad rows fail precisely."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

import critmat.data as cd
from critmat.data.checks import run_checks, world_total_tolerance

Overlay = Callable[[str, pd.DataFrame | str], Path]


def test_shipped_dataset_passes_strict(ds: cd.Dataset) -> None:
    rep = run_checks(ds, strict=True)
    assert rep.ok, "\n".join(map(str, rep.issues))
    assert rep.counts["totals"] >= 40  # every USGS/IEA group with a printed world total


def test_tolerance_follows_printed_rounding() -> None:
    assert world_total_tolerance(110_000, "usgs_mcs2026") == 5_000  # 2 significant digits
    assert world_total_tolerance(302_000, "usgs_mcs2026") == pytest.approx(3_020)  # 1% floor
    assert world_total_tolerance(250.15, "iea2025") == pytest.approx(1.25075)


def test_published_world_totals_reproduced(ds: cd.Dataset) -> None:
    """Country rows reproduce USGS MCS 2026 printed world totals (World Mine Production tables)."""
    p = ds.production
    cases = {  # (material, year): printed world total, USGS MCS 2026
        ("cobalt", 2024): 302_000,
        ("lithium", 2024): 222_000,
        ("nickel", 2024): 3_710_000,
        ("tungsten", 2024): 82_000,
        ("rare_earths", 2024): 380_000,
    }
    for (mat, year), printed in cases.items():
        g = p[(p.material == mat) & (p.year == year) & (p.dataset == "usgs_mcs2026")]
        assert float(g.loc[g.country == "WLD", "value"].iloc[0]) == printed
        total = g.loc[g.country != "WLD", "value"].sum()
        assert abs(total - printed) <= world_total_tolerance(printed, "usgs"), mat


def test_planted_total_mismatch_fails(overlay: Overlay) -> None:
    d = overlay(
        "production.csv",
        "material,stage,country,year,value,unit,basis,dataset,source,status,flag,notes\n"
        "cobalt,mining,COD,2024,400000,t,Co,usgs_mcs2026,planted,published,,\n",
    )
    rep = run_checks(cd.load(d))
    assert not rep.ok
    msg = " ".join(i.message for i in rep.errors if i.check == "totals")
    assert "cobalt mining 2024 (usgs_mcs2026)" in msg and "302,000" in msg


def test_planted_share_sum_fails(overlay: Overlay) -> None:
    d = overlay(
        "supply_shares.csv",
        "material,stage,country,year,share,share_bound,dataset,source,status,notes\n"
        "gallium,refining,CHN,2030,0.9,,planted,src,assumption,\n"
        "gallium,refining,JPN,2030,0.3,,planted,src,assumption,\n",
    )
    rep = run_checks(cd.load(d))
    assert [i.table for i in rep.errors] == ["supply_shares"]
    assert "1.2000 > 1" in rep.errors[0].message


def test_planted_unknown_unit_and_reference(overlay: Overlay) -> None:
    from critmat.data.loader import DatasetError, OverlayFile, _read_file
    from critmat.data.schemas import SPECS, coerce_frame

    d = overlay(
        "production.csv",
        "material,stage,country,year,value,unit,basis,dataset,source,status,flag,notes\n"
        "kryptonite,mining,XXX,2024,5,furlongs,K,planted,src,published,,\n",
    )
    with pytest.raises(DatasetError, match="refused"):  # the load refuses such a file ...
        cd.load(d)
    # ... and the consistency pass finds the same rows in a dataset built around the loader
    path = d / "production.csv"
    frame, _ = coerce_frame(_read_file(path), SPECS["production"], file=str(path))
    rep = run_checks(cd.Dataset([OverlayFile(path=path, table="production", frame=frame)]))
    text = "\n".join(map(str, rep.errors))
    assert "unknown unit 'furlongs'" in text
    assert "unknown material 'kryptonite'" in text
    assert "unknown country 'XXX'" in text


def test_warning_becomes_error_in_strict_mode(overlay: Overlay) -> None:
    d = overlay(
        "production.csv",
        "material,stage,country,year,value,unit,basis,dataset,source,status,flag,notes\n"
        "cobalt,mining,ZMB,2030,,t,Co,planted,src,derived,,\n",
    )
    loose = run_checks(cd.load(d))
    assert loose.ok and len(loose.warnings) == 2  # derived without notes; no value, no flag
    strict = run_checks(cd.load(d), strict=True)
    assert not strict.ok and len(strict.errors) == 2
