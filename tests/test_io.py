"""Input-output propagation (critmat.sim.io): the textbook example by hand, the mixed model by
hand and against the full Leontief model (hypothesis), the BEA 2017 table against GDP, and the
industries view of `critmat loss`."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import critmat.data as cd
from critmat.cli.main import app
from critmat.sim.io import (
    direct_requirements,
    io_table,
    leontief_inverse,
    mixed_output_change,
    value_added_multipliers,
)

A2 = np.array([[0.2, 0.3], [0.4, 0.1]])


def test_two_sector_textbook_case_by_hand() -> None:
    # Miller & Blair-style two-sector example (../shared/reference/methods.md section 8):
    # det(I - A) = 0.8 x 0.9 - 0.3 x 0.4 = 0.6; L = [[0.9, 0.3], [0.4, 0.8]] / 0.6
    big_l = leontief_inverse(A2)
    np.testing.assert_allclose(big_l, [[1.5, 0.5], [2 / 3, 4 / 3]], rtol=1e-12)
    np.testing.assert_allclose(big_l @ [100.0, 50.0], [175.0, 133.0 + 1 / 3], rtol=1e-12)
    np.testing.assert_allclose(direct_requirements(big_l), A2, atol=1e-12)


def test_mixed_model_by_hand() -> None:
    # sector 0's output falls by 10; sector 1 sells 0.4 x 10 = 4 less to it directly and,
    # buying 0.1 of its own output per unit, 4 / (1 - 0.1) = 4.444 in all
    dx = mixed_output_change(A2, [0], [-10.0])
    np.testing.assert_allclose(dx, [-10.0, -4.0 / 0.9], rtol=1e-12)
    # value added per unit of output: 1 - column sums of A = (0.4, 0.6)
    va = 1.0 - A2.sum(axis=0)
    assert float(va @ dx) == pytest.approx(-4.0 - 0.6 * 4.0 / 0.9)
    with pytest.raises(ValueError, match="distinct"):
        mixed_output_change(A2, [0, 0], [1.0, 1.0])


@st.composite
def productive_matrices(draw: st.DrawFn) -> np.ndarray:
    n = draw(st.integers(2, 6))
    cells = draw(st.lists(st.floats(0.0, 1.0), min_size=n * n, max_size=n * n))
    a = np.array(cells).reshape(n, n)
    scale = draw(st.floats(0.1, 0.9))
    return a / max(a.sum(axis=0).max(), 1e-9) * scale  # column sums < 1: productive


@settings(max_examples=60, deadline=None)
@given(productive_matrices(), st.data())
def test_mixed_model_equals_the_full_leontief_model(a: np.ndarray, data: st.DataObject) -> None:
    """An independent oracle: change the final demand of the K industries only, solve the full
    Leontief model; given those K outputs, the mixed model must find the same N outputs."""
    n = a.shape[0]
    k = sorted(data.draw(st.sets(st.integers(0, n - 1), min_size=1, max_size=n - 1)))
    df = np.zeros(n)
    df[k] = data.draw(st.lists(st.floats(-100, 100), min_size=len(k), max_size=len(k)))
    dx_full = leontief_inverse(a) @ df
    dx = mixed_output_change(a, k, dx_full[k])
    np.testing.assert_allclose(dx, dx_full, rtol=1e-7, atol=1e-7)


def test_bea_2017_table_adds_up_to_us_gdp() -> None:
    tab = io_table(cd.load(use_env=False), "USA", 2017)
    assert len(tab.industries) == 402
    # BEA: US GDP 2017 = 19,612,085 USD million (the Use table's total value added)
    assert tab.value_added.sum() == pytest.approx(19_612_085, rel=1e-4)
    assert (np.diag(tab.total) >= 1.0).all()  # each industry needs at least its own output
    assert max(abs(np.linalg.eigvals(tab.direct))) < 1.0 and tab.direct.min() > -1e-3  # productive
    semis = tab.index("334413")
    assert tab.output[semis] == pytest.approx(64_242) and 0 < tab.va_ratio[semis] < 1
    # BEA's total requirements count imported inputs as if made at home, so a dollar of final
    # demand yields a dollar of value added: v'L = 1 up to the redefinitions behind the table
    mult = value_added_multipliers(tab.total, tab.va_ratio)
    assert np.median(mult) == pytest.approx(1.0, abs=0.02)


def test_every_mapped_industry_is_in_the_table() -> None:
    ds = cd.load(use_env=False)
    codes = set(ds.table("io_industries")["industry"])
    mapped = ds.table("material_industries")
    assert set(mapped["industry"]) <= codes
    shares = mapped[mapped["role"] == "end_use"].groupby("material")["share"].sum()
    assert (shares <= 1.0 + 1e-9).all()


def test_cli_industries_view() -> None:
    r = CliRunner().invoke(
        app, ["loss", "--holder", "USA", "--industries", "-m", "gallium", "-f", "json"]
    )
    assert r.exit_code == 0, r.stderr
    rows = json.loads(r.stdout)["industries"]  # the registry's JSON (critmat.usecases)
    semis = [x for x in rows if x["industry"] == "334413"]
    assert semis and all(x["material"] == "gallium" for x in rows)
    x = semis[0]
    # 1% of semiconductor output: its own value added lost plus its suppliers'
    assert x["own_value_added_change_musd"] == pytest.approx(-0.01 * x["value_added_musd"])
    assert x["gdp_change_1pct_cut_musd"] < x["own_value_added_change_musd"] < 0
    r = CliRunner().invoke(app, ["loss", "--holder", "USA", "--industries", "-m", "palladium",
                                 "-f", "json"])  # fmt: skip
    (row,) = json.loads(r.stdout)["industries"]  # no mapped industries: says so, never []
    assert row["assessment"].startswith("not assessed") and row["output_musd"] is None
    bad = CliRunner().invoke(app, ["loss", "--holder", "EU27", "--industries"])
    assert bad.exit_code == 2 and "input-output table" in bad.stderr and "USA 2017" in bad.stderr
