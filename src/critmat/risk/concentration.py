"""Supply concentration: the Herfindahl-Hirschman index of country shares.

``HHI = sum_c s_c**2`` with shares ``s_c`` as fractions (0..1); multiply by 10,000 for the
percent-squared scale used by competition authorities (above 2,500 = "highly concentrated",
US DOJ/FTC Merger Guidelines 2023, section 2.1). See docs/methods.md.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from critmat.data.countries import AGGREGATES

__all__ = ["exporter_hhi_panel", "hhi", "hhi_of_supply"]


def hhi(shares: npt.ArrayLike) -> float:
    """HHI of a vector of shares (fraction scale, 0..1).

    Shares are used as given (they need not sum to 1: a residual left out lowers the index,
    which then is a lower bound). Raises ``ValueError`` for negative or non-finite shares or a
    sum above 1 + 1e-9.
    """
    s = np.asarray(shares, dtype=np.float64)
    if s.size and (not np.all(np.isfinite(s)) or np.any(s < 0)):
        raise ValueError("shares must be finite and non-negative")
    if s.sum() > 1.0 + 1e-9:
        raise ValueError(f"shares sum to {s.sum():.6f} > 1")
    return float(np.dot(s, s))


def hhi_of_supply(rows: pd.DataFrame) -> float:
    """HHI of a supply table (columns ``country`` and ``share``).

    Aggregate rows (``OTH`` "other countries", ``ROW`` rest of world) stand for many unnamed
    producers: they stay in the denominator but add nothing to the sum of squares, so the result
    is a lower bound of the true HHI (documented in docs/methods.md).
    """
    named = rows[~rows["country"].isin(AGGREGATES)]
    return hhi(named["share"].fillna(0.0).to_numpy())


def by_controller(shares: pd.Series, control: pd.DataFrame) -> pd.Series:
    """Shares re-attributed from the country of location to the country controlling the output.

    ``control`` rows (``country``, ``controller``, ``share``) move ``share`` of a location's
    supply to the controller; the rest stays with the location. Totals are conserved.
    """
    out = shares.astype(np.float64).copy()
    for loc_, ctrl_, frac_ in zip(
        control["country"], control["controller"], control["share"], strict=True
    ):
        loc, ctrl, frac = str(loc_), str(ctrl_), float(frac_)
        if loc not in shares.index or loc == ctrl:
            continue
        moved = float(shares[loc]) * frac
        out[loc] -= moved
        out[ctrl] = float(out.get(ctrl, 0.0)) + moved
    return out


def concentration_terms(
    shares: pd.Series,
    g: pd.Series,
    restricting: set[str],
    control: pd.DataFrame,
    trade_factor: dict[str, float] | None = None,
) -> dict[str, object]:
    """Concentration terms of one supply distribution (shares by country, summing to ~1).

    Returns a dict with ``hhi`` (fraction), ``hhi_10000``, ``top1_country``, ``top1_share``,
    ``top3_share``, ``hhi_wgi`` = sum_c s_c^2 g_c t_c (g in 0..1, t_c the EC trade-restriction
    factor, default 1), ``share_in_restricting`` (supply located in countries that have restricted
    exports before), ``hhi_by_controller`` and ``share_controlled_by_restricting`` (after moving
    controlled output to the controlling country). Aggregate rows (OTH, ROW) stay in the shares'
    denominator but add nothing to sums of squares (lower bounds).
    """
    s = shares.fillna(0.0).astype(np.float64)
    named = s[~s.index.isin(list(AGGREGATES))]
    t = pd.Series(trade_factor or {}, dtype=np.float64).reindex(named.index).fillna(1.0)
    gg = g.reindex(named.index).astype(np.float64)
    ranked = named.sort_values(ascending=False)
    ctrl = by_controller(s, control)
    ctrl_named = ctrl[~ctrl.index.isin(list(AGGREGATES))]
    h = hhi(named.to_numpy())
    return {
        "hhi": h,
        "hhi_10000": h * 1e4,
        "top1_country": str(ranked.index[0]) if len(ranked) else "",
        "top1_share": float(ranked.iloc[0]) if len(ranked) else float("nan"),
        "top3_share": float(ranked.iloc[:3].sum()),
        "hhi_wgi": float(np.sum(named.to_numpy() ** 2 * gg.to_numpy() * t.to_numpy())),
        "share_in_restricting": float(named[named.index.isin(list(restricting))].sum()),
        "hhi_by_controller": hhi(np.clip(ctrl_named.to_numpy(), 0.0, None)),
        "share_controlled_by_restricting": float(
            ctrl_named[ctrl_named.index.isin(list(restricting))].sum()
        ),
    }


def exporter_hhi_panel(trade: pd.DataFrame, materials: list[str]) -> pd.DataFrame:
    """Exporters' HHI of world trade in tonnes (fraction scale), per material and year: the
    squared shares of each exporter's ``quantity_t`` summed (columns material, year, hhi)."""
    t = trade[trade["material"].isin(materials)]
    q = t.groupby(["material", "year", "exporter"])["quantity_t"].sum()
    s = q / q.groupby(level=[0, 1]).transform("sum")
    return (s**2).groupby(level=[0, 1]).sum().rename("hhi").reset_index()
