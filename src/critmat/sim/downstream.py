"""The GDP a holder loses when its industries do not get a material: the tonnes unmet and the
tonnes the price destroyed, through the holder's input-output table (docs/methods.md 6.9).

Per material, the industries that use it (``material_industries``, USGS end-use shares) each
use ``T_i = w_i C`` t/yr (``C``: the holder's consumption). Leontief production (no substitution
within the horizon, the structure of the USGS disruption model, OFR 2024-1057): an industry
that gets a share ``c`` less of its material makes ``c`` less output, and the economy loses
``G_i = -(v' dx)`` for a full cut, with ``dx`` from the mixed model (Miller & Blair ch. 13;
critmat.sim.io): the industry's own value added and its suppliers'. The tonnes that are missing
go where they cost the least GDP first (the optimum of ``min sum g_i c_i`` subject to
``sum c_i = F``, ``0 <= c_i <= T_i``, which a greedy cut in order of ``g_i = G_i / T_i`` solves
exactly), so the loss of ``F`` tonnes is a convex, piecewise-linear curve. The 2017 table is
brought to the base year by each industry's gross output (``io_output_series``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from critmat.data.dataset import Dataset
from critmat.sim.io import industries_of, io_table, mixed_output_change

__all__ = ["GdpCurve", "gdp_curves", "gdp_loss"]

F64 = npt.NDArray[np.float64]


@dataclass(frozen=True)
class GdpCurve:
    """GDP lost (USD of the base year, per year) as a function of the tonnes cut per year."""

    material: str
    tonnes: F64  # [K + 1] cumulative t/yr of the material's basis, from 0
    usd: F64  # [K + 1] cumulative USD/yr lost at those cuts
    industries: tuple[str, ...]  # BEA codes in cut order
    usd_per_t: tuple[float, ...]  # GDP per tonne of each, in cut order
    table: str  # e.g. "USA 2017, to 2023 by gross output"


def _full_cut(ds: Dataset, region: str, industry: str, year: int) -> tuple[float, int]:
    """GDP lost (USD of ``year``, per year) when the industry stops: its own value added and
    its suppliers' (mixed model), scaled from the table's year by its gross output; the year
    of the output figure used."""

    def compute() -> tuple[float, int]:
        tab = io_table(ds, region)
        i = tab.index(industry)
        dx = mixed_output_change(tab.direct, [i], [-tab.output[i]])
        lost_musd = -float(tab.va_ratio @ dx)
        go = ds.table("io_output_series")
        go = go[(go["region"] == region) & (go["industry"].astype(str) == industry)]
        series = dict(zip(go["year"].astype(int), go["output_musd"].astype(float), strict=True))
        used = min(year, max(series)) if series else tab.year
        scale = series[used] / series[tab.year] if tab.year in series and used in series else 1.0
        return lost_musd * scale * 1e6, used

    result: tuple[float, int] = ds.derived(("gdp_full_cut", region, industry, year), compute)
    return result


def gdp_curves(
    ds: Dataset, holder: str, consumption_t: dict[str, float], year: int
) -> tuple[dict[str, GdpCurve], dict[str, str]]:
    """The GDP curve of each material the holder's table can assess, and the reason for each
    it cannot (no table for the holder, no mapped end uses, no consumption)."""
    curves: dict[str, GdpCurve] = {}
    why: dict[str, str] = {}
    regions = set(ds.table("io_industries")["region"].astype(str))
    if holder not in regions:
        reason = (
            f"no input-output table for {holder} (tables: {', '.join(sorted(regions))}); "
            "the loss values unmet tonnes by value added per tonne (6.7) instead"
        )
        return {}, dict.fromkeys(consumption_t, reason)
    base = io_table(ds, holder).year
    for mat, c_t in consumption_t.items():
        uses = industries_of(ds, mat)
        uses = uses[(uses["role"] == "end_use") & uses["share"].notna()]
        if uses.empty or not c_t > 0:
            why[mat] = (
                "no end-use industries with shares mapped for it" if c_t > 0 else ("no consumption")
            )
            continue
        w = uses.groupby(uses["industry"].astype(str))["share"].sum()
        w = w / w.sum()  # the mapped uses stand for all of it
        rows = []
        for ind, share in w.items():
            lost, used = _full_cut(ds, holder, str(ind), year)
            rows.append((lost / (share * c_t), str(ind), share * c_t, used))
        rows.sort()
        tonnes = np.concatenate([[0.0], np.cumsum([r[2] for r in rows])])
        usd = np.concatenate([[0.0], np.cumsum([r[0] * r[2] for r in rows])])
        curves[mat] = GdpCurve(
            material=mat,
            tonnes=tonnes,
            usd=usd,
            industries=tuple(r[1] for r in rows),
            usd_per_t=tuple(r[0] for r in rows),
            table=f"{holder} {base}, to {max(r[3] for r in rows)} by gross output",
        )
    return curves, why


def gdp_loss(tonnes_lost: npt.ArrayLike, curve: GdpCurve, horizon_months: int) -> F64:
    """GDP lost (USD) for the tonnes lost over a horizon (any shape of runs): the yearly curve
    stretched to the horizon; a cut larger than all use costs what stopping all use costs."""
    years = horizon_months / 12.0
    return np.interp(np.asarray(tonnes_lost, np.float64), curve.tonnes * years, curve.usd * years)
