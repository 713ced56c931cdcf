"""Input-output propagation: how a cut in some industries' output spreads to their suppliers.

The Leontief model (Miller & Blair, *Input-Output Analysis*, 2nd ed., 2009, ch. 2): with ``A`` the
direct requirements (dollars of industry i's output per dollar of industry j's output), output
``x`` meets intermediate and final demand, ``x = A x + f``, so ``x = L f`` with the total
requirements ``L = (I - A)^-1``. BEA publishes ``L`` industry by industry; ``A = I - L^-1``.

The mixed exogenous/endogenous model (Miller & Blair ch. 13) takes the outputs of the constrained
industries K as given (a material they cannot get caps what they make) and lets the others N
respond: ``x_N = (I - A_NN)^-1 (f_N + A_NK x_K)``. With final demand unchanged, a change ``dx_K``
changes the others by ``dx_N = (I - A_NN)^-1 A_NK dx_K`` (their sales to K fall: backward
linkages). Value added changes by ``sum_i v_i dx_i``, ``v_i`` = value added / output of i. This
is the demand-side (backward) propagation only: industries that buy from K and cannot find the
input elsewhere (forward linkages) are not cut here.

BEA's total requirements count imported inputs as if they were made at home (``v' L`` = 1 up to
the redefinitions behind the published table), so the suppliers' part of a change is an upper
bound for the holder's own GDP: some of those suppliers are abroad.

All money in USD million of the table's year (BEA 2017: producers' prices, nominal).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from critmat.data.dataset import Dataset, UnknownChoiceError

__all__ = [
    "IOTable",
    "direct_requirements",
    "io_table",
    "leontief_inverse",
    "mixed_output_change",
    "value_added_multipliers",
]

F64 = npt.NDArray[np.float64]


def leontief_inverse(a: F64) -> F64:
    """``L = (I - A)^-1`` (Miller & Blair eq. 2.10); ``a`` square, dollars per dollar."""
    n = a.shape[0]
    return np.asarray(np.linalg.inv(np.eye(n) - a), dtype=np.float64)


def direct_requirements(total: F64) -> F64:
    """``A = I - L^-1``: the direct requirements behind published total requirements."""
    n = total.shape[0]
    return np.asarray(np.eye(n) - np.linalg.inv(total), dtype=np.float64)


def mixed_output_change(a: F64, constrained: npt.ArrayLike, dx_constrained: npt.ArrayLike) -> F64:
    """Output change of every industry when the outputs of ``constrained`` (indices) change by
    ``dx_constrained`` and final demand stays: ``dx_N = (I - A_NN)^-1 A_NK dx_K`` (Miller &
    Blair ch. 13, the mixed model); the constrained industries keep the change they were given.

    Returns a vector over all industries (same unit as ``dx_constrained``).
    """
    k = np.asarray(constrained, dtype=np.int64)
    dk = np.asarray(dx_constrained, dtype=np.float64)
    n_all = a.shape[0]
    if k.shape != dk.shape:
        raise ValueError("one output change per constrained industry")
    if len(np.unique(k)) != len(k) or (k < 0).any() or (k >= n_all).any():
        raise ValueError("constrained industries must be distinct indices of the table")
    free = np.setdiff1d(np.arange(n_all), k)
    out = np.zeros(n_all)
    out[k] = dk
    if free.size:
        a_nn = a[np.ix_(free, free)]
        a_nk = a[np.ix_(free, k)]
        out[free] = np.linalg.solve(np.eye(free.size) - a_nn, a_nk @ dk)
    return out


def value_added_multipliers(total: F64, va_ratio: F64) -> F64:
    """Value added in the whole economy per dollar of final demand for each industry's output:
    ``v' L`` (Miller & Blair section 6.3, income-type multipliers), one per industry."""
    return np.asarray(va_ratio @ total, dtype=np.float64)


@dataclass(frozen=True)
class IOTable:
    """One region's input-output table: industries, output and value added (USD million),
    total requirements ``total`` (L) and direct requirements ``direct`` (A)."""

    region: str
    year: int
    industries: list[str]
    names: list[str]
    output: F64
    value_added: F64
    total: F64
    direct: F64
    source: str

    @property
    def va_ratio(self) -> F64:
        """Value added per dollar of output, per industry (0 where output is 0)."""
        out = np.divide(
            self.value_added, self.output, out=np.zeros_like(self.output), where=self.output > 0
        )
        return np.asarray(out, dtype=np.float64)

    def index(self, industry: str) -> int:
        try:
            return self.industries.index(industry)
        except ValueError:
            raise UnknownChoiceError(
                f"industry of the {self.region} {self.year} table", industry, self.industries
            ) from None


def io_table(ds: Dataset, region: str = "USA", year: int = 2017) -> IOTable:
    """The region's input-output table from the dataset (``io_industries``,
    ``io_requirements``), built once per dataset.

    Raises
    ------
    UnknownChoiceError
        When the dataset holds no table for the region and year (the valid ones are listed).
    """
    return ds.derived(("io_table", region, year), lambda: _build(ds, region, year))


def _build(ds: Dataset, region: str, year: int) -> IOTable:
    ind = ds.table("io_industries")
    have = sorted({f"{r} {y}" for r, y in zip(ind["region"], ind["year"], strict=True)})
    ind = ind[(ind["region"] == region) & (ind["year"] == year)]
    if ind.empty:
        raise UnknownChoiceError("input-output table (region year)", f"{region} {year}", have)
    codes = [str(c) for c in ind["industry"]]
    pos = {c: i for i, c in enumerate(codes)}
    req = ds.table("io_requirements")
    req = req[(req["region"] == region) & (req["year"] == year)]
    rows = req["industry"].astype(str).map(pos)
    cols = req["using_industry"].astype(str).map(pos)
    ok = rows.notna() & cols.notna()
    total = np.zeros((len(codes), len(codes)))
    total[rows[ok].astype(int).to_numpy(), cols[ok].astype(int).to_numpy()] = req.loc[
        ok, "value"
    ].to_numpy(float)
    return IOTable(
        region=region,
        year=year,
        industries=codes,
        names=[str(n) for n in ind["name"]],
        output=ind["output_musd"].to_numpy(float),
        value_added=ind["value_added_musd"].to_numpy(float),
        total=total,
        direct=direct_requirements(total),
        source=str(ind["source"].iloc[0]),
    )


def industries_of(ds: Dataset, material: str) -> pd.DataFrame:
    """The material's rows of ``material_industries`` (its producing commodity and end uses)."""
    m = ds.table("material_industries")
    return m[m["material"] == material].reset_index(drop=True)
