"""Material intensities of the sector drivers, by year and draw (docs/forecast.md).

==============  =================  ===========================================================
sector          driver (unit)      intensity (t of element per driver unit)
==============  =================  ===========================================================
ev_batteries    GWh/yr             sum over chemistries c of share_c(y) * kg/kWh(c, m)
ev_motors       vehicles/yr        NdFeB kg/vehicle * element share of the magnet
wind            GW/yr added        PM share(y) * NdFeB kg/MW * element share
solar_pv        GW/yr added        silicon g/W(y)
==============  =================  ===========================================================

Pack contents per chemistry: the ``battery pack ...`` rows of the intensities table (Busch et
al. 2024, from Argonne BatPaC 5.1). Sodium-ion packs are counted with no lithium, nickel, cobalt,
manganese, graphite or copper (hard-carbon anode, aluminium collectors; a labelled assumption).
Units are converted by :func:`critmat.data.units.convert_intensity` only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from critmat.data.dataset import InputError
from critmat.data.units import convert_intensity
from critmat.forecast.paths import interp_value
from critmat.forecast.scenario_spec import DemandScenario, Param
from critmat.streams import Streams

__all__ = ["SECTORS", "SECTOR_DRIVER", "Draws", "battery_contents", "draw_factors", "intensities"]

F64 = npt.NDArray[np.float64]

#: sector -> its driver
SECTOR_DRIVER: dict[str, str] = {
    "ev_batteries": "ev_battery_demand",
    "ev_motors": "ev_sales",
    "wind": "wind_added",
    "solar_pv": "solar_added",
}
SECTORS = tuple(SECTOR_DRIVER)
#: intensities table material names -> critmat material ids
_BATTERY_MATERIALS = {
    "lithium": "lithium",
    "nickel": "nickel",
    "cobalt": "cobalt",
    "manganese": "manganese",
    "graphite": "graphite",
    "copper": "copper",
    "aluminum": "aluminium",
}
SODIUM_ION = "sodium-ion"
#: the element each magnet share refers to
MAGNET_ELEMENTS = {
    "neodymium": "neodymium_share",
    "dysprosium": "dysprosium_share",
    "terbium": "terbium_share",
    "magnet_rees": "rare_earth_share",
}


@dataclass(frozen=True)
class Draws:
    """Relative factors and rates drawn per run (index 0 is the central case: every factor 1,
    every rate at its value)."""

    n: int
    factors: dict[str, F64]  # parameter -> [N] multiplicative factor
    growth: dict[str, F64]  # driver -> [N] annual growth after its last anchor
    other: dict[str, F64]  # material -> [N] growth of other uses (filled by the caller)


def draw_factors(sc: DemandScenario, n: int, seed: int) -> Draws:
    """Uniform draws within every range of the scenario; draw 0 is the central case."""
    rng = Streams(seed).generator("demand_scenarios")

    def uni(lo: float, mid: float, hi: float) -> F64:
        x = rng.uniform(lo, hi, n) if n > 1 else np.empty(0)
        return np.concatenate([[mid], x[1:]]) if n > 1 else np.array([mid])

    params: dict[str, Param] = {
        "pv_silicon_g_per_w": sc.pv_silicon_g_per_w,
        **{k: getattr(sc.magnets, k) for k in type(sc.magnets).model_fields},
    }
    factors = {k: uni(p.rel_low, 1.0, p.rel_high) for k, p in params.items()}
    lo, hi = sc.chemistry.intensity_range
    factors["battery_contents"] = uni(lo, 1.0, hi)
    growth: dict[str, F64] = {
        str(d): uni(s.growth_after.low, s.growth_after.value, s.growth_after.high)
        for d, s in sorted(sc.drivers.items())
    }
    return Draws(n, factors, growth, {})


def battery_contents(intensities_tbl: pd.DataFrame, chemistries: set[str]) -> pd.DataFrame:
    """kg of each material per kWh of pack, rows chemistry, columns material (sodium-ion: 0)."""
    rows = intensities_tbl[intensities_tbl["technology"].str.startswith("battery pack ")]
    rows = rows[rows["material"].isin(list(_BATTERY_MATERIALS))]
    units = set(rows["unit"])
    if units - {"kg/kWh"}:
        raise InputError(f"battery pack intensities must be in kg/kWh, found {sorted(units)}")
    wide = rows.pivot_table(index="technology", columns="material", values="value", aggfunc="first")
    wide.index = wide.index.str.removeprefix("battery pack ")
    wide = wide.rename(columns=_BATTERY_MATERIALS)
    unknown = sorted(chemistries - set(wide.index) - {SODIUM_ION})
    if unknown:
        raise InputError(
            f"chemistry {', '.join(unknown)} has no 'battery pack' row in the intensities table; "
            f"known: {', '.join(sorted(wide.index))}, {SODIUM_ION}"
        )
    wide.loc[SODIUM_ION] = 0.0
    return wide.loc[sorted(chemistries)].fillna(0.0)


def chemistry_mix(sc: DemandScenario, years: F64, *, frozen_at: int | None = None) -> pd.DataFrame:
    """Shares by chemistry (columns) and year (rows), linear between the years given."""
    chems = sorted({c for mix in sc.chemistry.shares.values() for c in mix})
    pts = sorted(sc.chemistry.shares)
    grid = np.array([[sc.chemistry.shares[y].get(c, 0.0) for c in chems] for y in pts])
    at = np.full(len(years), float(frozen_at)) if frozen_at is not None else years
    mix = np.column_stack([np.interp(at, pts, grid[:, j]) for j in range(len(chems))])
    return pd.DataFrame(mix, index=years.astype(int), columns=chems)


def intensities(
    sc: DemandScenario,
    intensities_tbl: pd.DataFrame,
    years: F64,
    draws: Draws,
    *,
    frozen_at: int | None = None,
) -> dict[tuple[str, str], F64]:
    """(sector, material) -> [N, Y] tonnes of the element per driver unit.

    ``frozen_at``: hold the chemistry mix, the magnet composition (element shares, PM share of
    wind) and the silicon per watt at that year's values: the counterfactual without technology
    shift."""
    out: dict[tuple[str, str], F64] = {}
    mix = chemistry_mix(sc, years, frozen_at=frozen_at)
    kg = battery_contents(intensities_tbl, set(mix.columns))
    per_kwh = mix.to_numpy() @ kg.to_numpy()  # [Y, materials] kg/kWh
    f = draws.factors
    for j, m in enumerate(kg.columns):
        t_gwh = convert_intensity(per_kwh[:, j], "kg/kWh", "t/GWh")
        out[("ev_batteries", m)] = f["battery_contents"][:, None] * t_gwh[None, :]

    def path(p: Param, key: str) -> F64:
        at = np.full(len(years), float(frozen_at)) if frozen_at is not None else years
        return f[key][:, None] * interp_value(p.value, at)[None, :]

    mg = sc.magnets
    ev_kg = (
        f["ev_magnet_kg_per_vehicle"][:, None]
        * interp_value(mg.ev_magnet_kg_per_vehicle.value, years)[None, :]
    )
    wind_kg = (
        path(mg.wind_pm_share, "wind_pm_share")
        * f["wind_magnet_kg_per_mw"][:, None]
        * interp_value(mg.wind_magnet_kg_per_mw.value, years)[None, :]
    )
    for element, key in MAGNET_ELEMENTS.items():
        share = path(getattr(mg, key), key)
        out[("ev_motors", element)] = convert_intensity(
            ev_kg * share, mg.ev_magnet_kg_per_vehicle.unit, "t/vehicle"
        )
        out[("wind", element)] = convert_intensity(
            wind_kg * share, mg.wind_magnet_kg_per_mw.unit, "t/GW"
        )
    si = sc.pv_silicon_g_per_w
    out[("solar_pv", "silicon")] = convert_intensity(
        path(si, "pv_silicon_g_per_w"), si.unit, "t/GW"
    )
    return out
