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

__all__ = ["hhi", "hhi_of_supply"]


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
