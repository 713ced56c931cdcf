"""Loss per tonne short from downstream value added (docs/methods.md 6.7)."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from critmat.data.dataset import Dataset
from critmat.services.context import resolve
from critmat.sim.io import industries_of, io_table, mixed_output_change
from critmat.sim.loss import loss_table
from critmat.sim.market import SimParams, build_market
from critmat.usecases.outcome import Outcome
from critmat.usecases.requests import LossRequest

__all__ = ["CUT_SHARE", "downstream_industries", "loss_per_tonne_table"]


def loss_per_tonne_table(
    ds: Dataset, holder: str = "EU27", year: int = 2023, dependency: float = 0.03
) -> tuple[pd.DataFrame, str, float, float]:
    """The loss table, the holder's code, the outage threshold and the line-stop factor."""

    r = resolve(ds, holder=holder, year=year)
    assert r.holder is not None
    params = SimParams(loss_dependency=dependency)
    market = build_market(ds, r.holder, year, params=params)
    return (
        loss_table(market, params),
        market.holder,
        params.outage_threshold,
        params.loss_line_stop,
    )


#: the cut the downstream table prices: 1% of an industry's output
CUT_SHARE = 0.01
#: the columns of :func:`downstream_industries` (empty where a material is not assessed)
DOWNSTREAM_COLUMNS = [
    "material",
    "assessment",
    "end_use",
    "end_use_share",
    "industry",
    "industry_name",
    "output_musd",
    "value_added_musd",
    "gdp_change_1pct_cut_musd",
    "own_value_added_change_musd",
    "suppliers_value_added_change_musd",
    "mapping_confidence",
    "table",
    "source",
    "mapping_source",
    "mapping_status",
]


def downstream_industries(
    ds: Dataset, holder: str = "USA", materials: list[str] | None = None
) -> pd.DataFrame:
    """The industries that use each material in the holder's input-output table, with their
    output and value added and what a 1% cut of their output costs the economy: their own
    value added plus their suppliers' (the mixed exogenous/endogenous model, critmat.sim.io;
    docs/methods.md 6.8). One row per material and end-use industry; USD million of the
    table's year.

    Raises
    ------
    UnknownChoiceError
        For an unknown holder or material, or a holder without an input-output table.
    """

    r = resolve(ds, holder=holder, materials=materials)
    assert r.holder is not None
    tab = io_table(ds, r.holder)
    mats = r.materials or sorted(set(ds.table("material_industries")["material"]))
    va = tab.va_ratio
    rows: list[dict[str, object]] = []
    mapped = sorted(set(ds.table("material_industries")["material"]))
    for mat in mats:
        uses = industries_of(ds, mat)
        uses = uses[uses["role"] == "end_use"]
        if uses.empty:
            rows.append(
                {
                    "material": mat,
                    "assessment": "not assessed: no end-use industries mapped for it "
                    f"(material_industries covers {', '.join(mapped)})",
                    "table": f"{tab.region} {tab.year}",
                }
            )
            continue
        for _, u in uses.iterrows():
            i = tab.index(str(u["industry"]))
            dx = mixed_output_change(tab.direct, [i], [-CUT_SHARE * tab.output[i]])
            direct_va = float(va[i] * dx[i])
            total_va = float(va @ dx)
            rows.append(
                {
                    "material": mat,
                    "assessment": "assessed",
                    "end_use": u["end_use"],
                    "end_use_share": u["share"],
                    "industry": tab.industries[i],
                    "industry_name": tab.names[i],
                    "output_musd": float(tab.output[i]),
                    "value_added_musd": float(tab.value_added[i]),
                    "gdp_change_1pct_cut_musd": total_va,
                    "own_value_added_change_musd": direct_va,
                    "suppliers_value_added_change_musd": total_va - direct_va,
                    "mapping_confidence": u["mapping_confidence"],
                    "table": f"{tab.region} {tab.year}",
                    "source": tab.source,
                    "mapping_source": u["source"],
                    "mapping_status": u["status"],
                }
            )
    return pd.DataFrame(rows, columns=DOWNSTREAM_COLUMNS)


def loss_outcome(
    ds: Dataset, req: LossRequest, progress: Callable[[int], None] | None = None
) -> Outcome:
    """The registry's runner: the loss table, or the downstream industries."""
    if req.industries:
        table = downstream_industries(ds, req.holder, req.materials)
        readme = {
            "method": "mixed exogenous/endogenous input-output model (Miller & Blair ch. 13): a "
            f"{CUT_SHARE:.0%} cut of the industry's output, its suppliers respond; "
            "docs/methods.md 6.8",
            "units": "USD million of the table's year (BEA 2017, producers' prices, nominal)",
        }
        return Outcome(tables={"industries": table}, readme=readme,
                       fields={"holder": req.holder}, main="industries")  # fmt: skip
    table, code, threshold, line_stop = loss_per_tonne_table(
        ds, req.holder, req.year, req.dependency
    )
    readme = {
        "method": "loss = max(price, SI_EI x dependency x value added at stake per t); "
        "docs/methods.md 6.7",
        "units": "USD per t of each material's basis",
        "dependency": f"{req.dependency:g}",
        "outage_threshold": f"{threshold:g}",
        "loss_line_stop": f"{line_stop:g}",
    }
    return Outcome(tables={"loss_per_tonne": table}, readme=readme,
                   fields={"holder": code, "year": req.year}, main="loss_per_tonne")  # fmt: skip
