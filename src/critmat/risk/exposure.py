"""Holder exposure: trade with the rest of the world, import reliance and sourcing mix.

A holder is a country or a bloc; for a bloc (EU27) trade among its members is netted out:
imports count only from non-members, exports only to non-members (EC 2017 guidelines treat the
EU as one economy).

Import reliance (EC 2017; USGS net import reliance without stock changes)::

    IR = (I - E) / (P + I - E)      clipped to [0, 1]

with I, E extra-holder imports and exports and P the holder's own production, all on the
material's basis (the holder balance, critmat.risk.balance, puts traded tonnes on it).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

__all__ = ["exposure_terms", "extra_holder", "net_import_reliance", "trade_flows"]


def extra_holder(
    trade: pd.DataFrame, members: Iterable[str], columns: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """Trade with the rest of the world only (a bloc's internal trade netted out).

    Returns the sums of ``columns`` over imports by exporting partner and over exports by
    importing partner, and per partner the count of flows whose quantity is missing (their value
    counts, their tonnes cannot).
    """
    mem = set(members)
    exp_ = trade["exporter"].astype(str)
    imp_ = trade["importer"].astype(str)
    inbound = trade[imp_.isin(mem) & ~exp_.isin(mem)]
    outbound = trade[exp_.isin(mem) & ~imp_.isin(mem)]
    i = inbound.groupby(inbound["exporter"].astype(str))[columns].sum()
    e = outbound.groupby(outbound["importer"].astype(str))[columns].sum()
    both = pd.concat([inbound, outbound])
    no_q = both[both["quantity_t"].isna()]
    counts = (
        pd.concat([no_q["exporter"], no_q["importer"]]).astype(str).value_counts()
        if len(no_q)
        else pd.Series(dtype=np.int64)
    )
    return i, e, counts


def trade_flows(
    trade: pd.DataFrame, members: Iterable[str], hs_codes: Iterable[str], year: int
) -> pd.DataFrame:
    """Extra-holder trade by partner for some HS headings and one year (gross tonnes).

    Returns a frame indexed by partner with ``imports_t``, ``imports_kusd``, ``exports_t``,
    ``exports_kusd`` and ``flows_without_quantity``.
    """
    t = trade[(trade["year"] == year) & trade["hs6"].astype(str).isin(list(hs_codes))]
    i, e, no_q = extra_holder(t, members, ["quantity_t", "value_kusd"])
    out = pd.DataFrame(
        {
            "imports_t": i["quantity_t"],
            "imports_kusd": i["value_kusd"],
            "exports_t": e["quantity_t"],
            "exports_kusd": e["value_kusd"],
        }
    ).fillna(0.0)
    out["flows_without_quantity"] = no_q.reindex(out.index).fillna(0).astype(int)
    out.index.name = "partner"
    return out.sort_values("imports_t", ascending=False)


def exposure_terms(
    flows: pd.DataFrame,
    production_t: float,
    g: pd.Series,
    restricting: set[str],
    *,
    domestic_g: float,
    high_risk_threshold: float,
    trade_factor: dict[str, float] | None = None,
) -> dict[str, object]:
    """Exposure terms of a holder for one material, stage and year.

    Parameters
    ----------
    flows
        Output of :func:`trade_flows`.
    production_t
        The holder's own production at this stage, t (0 when none is published).
    g
        Instability per partner (0..1, higher = worse).
    domestic_g
        Instability of the holder's own production (production-weighted over members).

    Returns
    -------
    dict
        ``imports_t``, ``exports_t``, ``production_t``, ``import_reliance``, ``import_value_kusd``,
        ``top_exporter``, ``top_exporter_share``, ``high_risk_import_share``,
        ``restricting_import_share`` and ``hhi_wgi_sourcing`` = sum over the holder's sources
        (own production + imports by partner) of share^2 * g * t_c (EC 2017 "EU sourcing" term).
    """
    imp = flows["imports_t"].astype(np.float64)
    total_i = float(imp.sum())
    total_e = float(flows["exports_t"].sum())
    net = total_i - total_e
    denom = production_t + net
    if net <= 0 and (total_i > 0 or total_e > 0 or production_t > 0):
        ir = 0.0  # a net exporter relies on no imports
    else:
        ir = float(np.clip(net / denom, 0.0, 1.0)) if denom > 0 else float("nan")
    shares = imp / total_i if total_i > 0 else imp * 0.0
    gp = g.reindex(imp.index).astype(np.float64)
    supply = pd.concat([pd.Series({"__domestic__": production_t}), imp])
    supply_share = supply / supply.sum() if supply.sum() > 0 else supply * 0.0
    t = pd.Series(trade_factor or {}, dtype=np.float64).reindex(supply.index).fillna(1.0)
    g_all = pd.concat([pd.Series({"__domestic__": domestic_g}), gp])
    hhi_wgi_sourcing = float(np.sum(supply_share**2 * g_all * t))
    top = shares.sort_values(ascending=False)
    return {
        "imports_t": total_i,
        "exports_t": total_e,
        "production_t": production_t,
        "import_reliance": ir,
        "import_value_kusd": float(flows["imports_kusd"].sum()),
        "top_exporter": str(top.index[0]) if total_i > 0 else "",
        "top_exporter_share": float(top.iloc[0]) if total_i > 0 else float("nan"),
        "high_risk_import_share": float(shares[gp >= high_risk_threshold].sum()),
        "restricting_import_share": float(shares[shares.index.isin(list(restricting))].sum()),
        "hhi_wgi_sourcing": hhi_wgi_sourcing,
    }


def net_import_reliance(
    imports: float, exports: float, stock_adjustment: float, apparent_consumption: float
) -> float:
    """USGS net import reliance as a fraction of apparent consumption (USGS MCS, Appendix A)::

        NIR = (imports - exports + adjustments for government and industry stock changes)
              / apparent consumption

    Returns NaN when apparent consumption is not positive; a net exporter gets 0.
    """
    if apparent_consumption <= 0:
        return float("nan")
    return float(np.clip((imports - exports + stock_adjustment) / apparent_consumption, 0.0, 1.0))
