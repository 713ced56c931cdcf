"""Historical library vs the record: simulated moves next to the recorded ones (same units)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from critmat.data.dataset import Dataset, InputError, UnknownChoiceError
from critmat.sim.library import library
from critmat.sim.pipeline import run_scenario

__all__ = ["calibration_table"]

#: the holder whose market each recorded move was observed in (price quotes are world/ROW
#: prices; the holder decides which import shares apply)
HOLDER = {"GAGE-2024": "USA", "REE-2010": "JPN"}


def calibration_table(ds: Dataset, year: int = 2023) -> pd.DataFrame:
    """One row per runnable library scenario and material: the simulated peak price change and
    first-month direct supply loss, next to the recorded change (percent)."""
    rows: list[dict[str, object]] = []
    ev = ds.events.set_index("event_id")
    for entry in library(ds):
        if entry.scenario is None:
            continue
        holder = HOLDER.get(entry.event_id, "EU27")
        try:
            res, notes = run_scenario(ds, entry.scenario, holder, year=year, runs=1, seed=0)
        except (UnknownChoiceError, InputError) as exc:
            rows.append({"event_id": entry.event_id, "holder": holder, "material": "",
                         "note": str(exc).split(".")[0]})  # fmt: skip
            continue
        rec = ev.loc[entry.event_id]
        touched = sorted({res.market.materials[i] for i in res.events.mat.tolist()})
        if not touched:
            rows.append(
                {
                    "event_id": entry.event_id,
                    "holder": holder,
                    "material": "",
                    "note": "; ".join(notes[-3:]) or "no event in the market",
                }
            )
        for mat in touched:
            i = res.market.index(mat)
            price = res.paths["price"][0, i, :] / float(res.market.price0[i])
            supply = res.paths["supply"][0, i, :] + res.paths["recycling"][0, i, :]
            base = float(res.market.demand0[i])
            starts = [int(s) for s, m in zip(res.events.start, res.events.mat, strict=True)
                      if m == i and isinstance(s, float)]  # fmt: skip
            t0 = min(starts) if starts else 0
            rows.append(
                {
                    "event_id": entry.event_id,
                    "holder": holder,
                    "material": mat,
                    "sim_peak_price_change_pct": float(100 * (price.max() - 1.0)),
                    "sim_first_month_supply_change_pct": float(
                        100 * (supply[min(t0, len(supply) - 1)] / base - 1.0)
                    ),
                    "sim_months_with_unmet": int(np.sum(res.paths["unmet"][0, i, :] > 0)),
                    "recorded_metric": str(rec["metric"]),
                    "recorded_change_pct": rec["change_pct"],
                    "recorded_window_months": rec["window_months"],
                    "note": "; ".join(n for n in notes if mat in n),
                }
            )
    return pd.DataFrame(rows)
