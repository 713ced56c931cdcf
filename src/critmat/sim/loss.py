"""The economic loss of a tonne short, from the value added of the sectors that use it.

docs/methods.md, 6.7. Per material m, on its basis (t of Li content, of Nd2O3 ...)::

    w_m = fx * (sum_s A_ms Q_s + u_m Q~) / C_m     value added at stake per t of use, USD/t
    v_m = max(p_m, SI_EI,m * delta * w_m)          loss per t short, USD/t

with ``A_ms`` the share of the material's end uses in NACE Rev. 2 division ``s`` and ``Q_s`` that
division's EU27 value added (both as used by the EC 2023 criticality study, doi:10.2873/725585, the
numerator of its economic importance, EC 2017 guidelines doi:10.2873/769526); the unmapped rest
``u_m`` (the EC's unassigned uses, the IEA's "other uses") is valued at the median manufacturing
division's value added ``Q~`` (a neutral prior, labelled); ``fx`` the ECB 2019 USD/EUR rate
(:func:`critmat.data.units.eur_to_usd`); ``C_m`` the EU27's yearly consumption on the basis
(:func:`critmat.risk.balance.holder_balance`); ``SI_EI``
the EC 2023 substitution index for economic importance (1 = no substitute in the short run, lower
= substitutable); ``delta`` (``SimParams.loss_dependency``) the share of the using divisions' value
added that stops per unit share of the material missing (assumption), and ``p_m`` the base price:
a buyer short of a tonne loses at least what the tonne is worth. In a month when more than
``SimParams.outage_threshold`` of the holder's demand is unmet, whole production lines stop and
the month's unmet tonnes cost ``SimParams.loss_line_stop`` times more (the engine applies it).

Holders other than the EU27: the value added per tonne of use of the EU27 stands in (the same
technologies use a tonne of the material in the same way; labelled ``EU27 per-tonne proxy``).
A material without end-use shares gets the median ratio ``v / p`` of the materials that have them
(labelled ``assumption``).
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd

from critmat.data.dataset import Dataset
from critmat.data.units import eur_to_usd
from critmat.risk.balance import holder_balance
from critmat.risk.eu_method import nace_end_use_shares, substitution, value_added_by_nace
from critmat.risk.inputs import AssessmentInputs

if TYPE_CHECKING:
    from critmat.sim.market import Market, SimParams

__all__ = [
    "LOSS_DEPENDENCY_RANGE",
    "VA_EUR_YEAR",
    "loss_per_tonne",
    "loss_table",
    "value_added_per_tonne",
]

#: The range of the dependency share ``delta`` (assumption; docs/methods.md 6.7): the sensitivity
#: analysis and the bootstrap of the plan's tonnes use it.
LOSS_DEPENDENCY_RANGE: tuple[float, float] = (0.01, 0.10)

#: The year whose euros the EC 2023 value added is taken to be in (the study does not state it;
#: 2016-2021 rates move the result by less than 6%).
VA_EUR_YEAR = 2019

F64 = npt.NDArray[np.float64]
VA_COLUMNS = [
    "material",
    "end_use_mapped_share",
    "value_added_at_stake_usd_m_per_yr",
    "eu27_consumption_t_per_yr",
    "value_added_usd_per_t",
    "si_ei",
    "si_source",
    "loss_source",
    "loss_status",
]


def value_added_per_tonne(
    ds: Dataset, holder: str, materials: Sequence[str], year: int
) -> pd.DataFrame:
    """Per material: the EU27 value added at stake per tonne of use ``w_m`` with its parts.

    Returns one row per material (columns :data:`VA_COLUMNS`); ``value_added_usd_per_t`` is NaN,
    and ``loss_source`` says why, where no end-use shares or no EU27 consumption are known.
    """

    inp = AssessmentInputs()
    va_eur, _ = value_added_by_nace(ds, inp)
    q_median = float(np.median([v for k, v in va_eur.items() if k.startswith("C")]))
    rows = []
    for mat in materials:
        a, a_src, _ = nace_end_use_shares(ds, mat, inp)
        sub, si_src = substitution(ds, mat, inp)
        mapped = float(sum(v for k, v in a.items() if k in va_eur))
        unmapped = max(float(a.sum()) - mapped, 0.0)
        stake_eur_m = float(sum(v * va_eur[k] for k, v in a.items() if k in va_eur))
        stake_eur_m += unmapped * q_median
        cons, why = _eu27_use(ds, mat, year)
        row = {
            "material": mat,
            "end_use_mapped_share": mapped,
            "si_ei": sub.si_ei,
            "si_source": si_src,
            "eu27_consumption_t_per_yr": cons,
        }
        if a.empty or not float(a.sum()) > 0:
            why = "no end-use shares in the dataset"
            row |= {
                "value_added_at_stake_usd_m_per_yr": float("nan"),
                "value_added_usd_per_t": float("nan"),
                "loss_source": f"not from value added: {why}",
                "loss_status": "assumption",
            }
        elif not cons > 0:
            row |= {
                "value_added_at_stake_usd_m_per_yr": float("nan"),
                "value_added_usd_per_t": float("nan"),
                "loss_source": f"not from value added: no EU27 consumption on the basis ({why})",
                "loss_status": "assumption",
            }
        else:
            stake_usd = eur_to_usd(stake_eur_m, VA_EUR_YEAR) * 1e6
            proxy = "" if holder == "EU27" else f"; EU27 per-tonne proxy for {holder}"
            row |= {
                "value_added_at_stake_usd_m_per_yr": stake_usd / 1e6,
                "value_added_usd_per_t": stake_usd / cons,
                "loss_source": f"{a_src} x EU27 NACE value added (EC 2023) / EU27 consumption"
                f"{proxy}",
                "loss_status": "derived",
            }
        rows.append(row)
    return pd.DataFrame(rows, columns=VA_COLUMNS)


#: EU27 consumption on the basis per dataset, (material, year) -> (t/yr, why not): the balance
#: is the expensive part and every market build needs it.
_EU27_USE: weakref.WeakKeyDictionary[Dataset, dict[tuple[str, int], tuple[float, str]]] = (
    weakref.WeakKeyDictionary()
)


def _eu27_use(ds: Dataset, material: str, year: int) -> tuple[float, str]:

    cache = _EU27_USE.setdefault(ds, {})
    if (material, year) not in cache:
        bal = holder_balance(ds, "EU27", material, year)
        ok = bal.assessed and bal.consumption_t > 0
        cache[material, year] = (
            bal.consumption_t if ok else float("nan"),
            "" if ok else bal.reason or "not assessed",
        )
    return cache[material, year]


def _loss(va_per_t: F64, si: F64, price: F64, params: SimParams) -> tuple[F64, float]:
    """(v per material, the fallback ratio v/p used where the value added is unknown)."""
    v = np.maximum(price, si * params.loss_dependency * va_per_t)
    known = np.isfinite(v) & (price > 0)
    ratio = float(np.median(v[known] / price[known])) if known.any() else 1.0
    return np.where(np.isfinite(v), v, ratio * price), ratio


def _input_output(market: Market) -> tuple[F64, list[str]]:
    """Per material, the GDP lost per tonne of its cheapest use through the holder's
    input-output table (critmat.sim.downstream; NaN without one) and where it comes from."""
    g = np.full(market.n_materials, np.nan)
    src = ["" for _ in market.materials]
    for i, mat in enumerate(market.materials):
        curve = market.downstream.get(mat)
        if curve is not None and curve.usd_per_t:
            g[i] = float(curve.usd_per_t[0])
            src[i] = (
                f"GDP per tonne of its cheapest use, BEA {curve.industries[0]}, through the "
                f"input-output table ({curve.table}; docs/methods.md 6.9)"
            )
    return g, src


def loss_per_tonne(market: Market, params: SimParams) -> F64:
    """The loss of a tonne short per material (USD per t of the basis), order of
    ``market.materials``; 6.7 of docs/methods.md. Where the holder has an input-output table,
    the GDP per tonne of the material's cheapest use (6.9), never below the price."""
    price = market.price0.astype(np.float64)
    li = market.loss_inputs
    if li.empty:  # a market built by hand (tests): the price is the lower bound
        v = price.copy()
    else:
        v, _ = _loss(
            li["value_added_usd_per_t"].to_numpy(np.float64),
            li["si_ei"].to_numpy(np.float64),
            price,
            params,
        )
    g, _ = _input_output(market)
    return np.where(np.isfinite(g), np.maximum(price, g), v)


def loss_table(market: Market, params: SimParams) -> pd.DataFrame:
    """The loss per tonne per material with its derivation (docs/methods.md, 6.7)."""
    li = market.loss_inputs
    price = market.price0.astype(np.float64)
    if li.empty:
        li = pd.DataFrame({"material": market.materials})
        for c in VA_COLUMNS[1:]:
            li[c] = np.nan if c not in ("si_source", "loss_source", "loss_status") else ""
        li["loss_source"], li["loss_status"] = "the price (no value-added inputs)", "assumption"
    va = li["value_added_usd_per_t"].to_numpy(np.float64)
    v, ratio = _loss(va, li["si_ei"].to_numpy(np.float64), price, params)
    floor = np.isfinite(va) & (v <= price)
    source = np.where(
        np.isfinite(va),
        li["loss_source"].astype(str),
        li["loss_source"].astype(str) + f"; median ratio {ratio:.3g} x price of the others",
    )
    g, g_src = _input_output(market)
    io = np.isfinite(g)
    v = np.where(io, np.maximum(price, g), v)
    source = np.where(io, np.array(g_src, dtype=object), source)
    bound = np.where(floor, "price (floor)", np.where(np.isfinite(va), "value added", ""))
    bound = np.where(io, "input-output GDP", bound)
    status = np.where(io, "derived", li["loss_status"].to_numpy())
    out = pd.DataFrame(
        {
            "material": market.materials,
            "basis": market.basis,
            "end_use_mapped_share": li["end_use_mapped_share"].to_numpy(),
            "value_added_at_stake_usd_m_per_yr": li["value_added_at_stake_usd_m_per_yr"].to_numpy(),
            "eu27_consumption_t_per_yr": li["eu27_consumption_t_per_yr"].to_numpy(),
            "value_added_usd_per_t": va,
            "si_ei": li["si_ei"].to_numpy(),
            "dependency": params.loss_dependency,
            "price_usd_per_t": price,
            "loss_usd_per_t": v,
            "loss_to_price": v / np.where(price > 0, price, np.nan),
            "line_stop_factor": params.loss_line_stop,
            "bound": bound,
            "source": source,
            "status": status,
        }
    )
    return out.reset_index(drop=True)
