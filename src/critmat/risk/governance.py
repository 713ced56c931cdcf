"""Country instability from the World Bank WGI Political Stability estimate.

``g_c = (2.5 - PV_c) / 5`` clipped to [0, 1], so higher = worse (GeoPolRisk convention,
Santillan-Saldivar et al. 2021; the EU method uses the same orientation on a 0-10 scale). A
country without a score gets an explicit default, and the caller is told which countries used it.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

__all__ = ["instability"]


def instability(
    governance: pd.DataFrame,
    year: int,
    countries: Iterable[str],
    *,
    missing: float = 0.5,
) -> tuple[pd.Series, list[str]]:
    """Instability ``g`` in [0, 1] per country for ``year``.

    The latest WGI PV estimate at or before ``year`` is used (WGI was biennial before 2002); if a
    country has none by then, its first later estimate; otherwise ``missing``.

    Returns
    -------
    (g, defaulted)
        ``g`` indexed by country; ``defaulted`` lists countries that got ``missing``.
    """
    wanted = pd.Index(sorted(set(countries)))
    pv = governance[governance["indicator"] == "wgi_pv"][["country", "year", "value"]]
    pv = pv[pv["country"].isin(wanted)].dropna(subset=["value"])
    before = pv[pv["year"] <= year].sort_values("year").groupby("country")["value"].last()
    after = pv[pv["year"] > year].sort_values("year").groupby("country")["value"].first()
    value = before.combine_first(after).reindex(wanted)
    g = ((2.5 - value) / 5.0).clip(0.0, 1.0)
    defaulted = [str(c) for c in g.index[g.isna()]]
    g = g.fillna(missing)
    g.index.name = "country"
    return g.astype(np.float64), defaulted
