"""Curate the shipped reference dataset from the raw public files (see tools/curate/common.py).

Usage, from the repository root::

    python -m tools.curate --raw ../shared/data --out src/critmat/data/tables
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

from tools.curate.basis import content_factors, element_shares
from tools.curate.common import ROOT, Names
from tools.curate.elasticities import elasticity_estimates
from tools.curate.eu2023 import eu_crm_inputs, eu_crm_shares, eu_end_uses, sector_value_added
from tools.curate.events import event_prices, events
from tools.curate.forecast import (
    chemistry_shares,
    consumption_series,
    demand_drivers,
    demand_projections,
    hazards,
    price_series,
)
from tools.curate.holders import (
    end_uses,
    holder_indicators,
    holders,
    import_sources,
    nds,
    stockpile_policies,
)
from tools.curate.io import io_industries, io_output_series, io_requirements, material_industries
from tools.curate.market_response import market_response
from tools.curate.markets import governance, prices, trade
from tools.curate.reference import countries, footprints, hs_codes, intensities, materials, storage
from tools.curate.supply import control, production, supply_shares


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--raw", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--out", type=Path, default=ROOT / "src" / "critmat" / "data" / "tables")
    a = ap.parse_args()
    raw: Path = a.raw
    out: Path = a.out
    out.mkdir(parents=True, exist_ok=True)
    names = Names(raw)
    prod = production(raw, names)
    tables: dict[str, pd.DataFrame] = {
        "countries": countries(raw),
        "materials": materials(raw),
        "hs_codes": hs_codes(raw),
        "production": prod,
        "supply_shares": supply_shares(raw, names, prod),
        "trade": trade(raw),
        "governance": governance(raw),
        "prices": prices(raw),
        "holders": holders(),
        "holder_indicators": holder_indicators(raw),
        "import_sources": import_sources(raw, names),
        "end_uses": end_uses(raw),
        "stockpile_policies": stockpile_policies(raw),
        "nds_requirements": nds(raw),
        "intensities": intensities(raw),
        "footprints": footprints(raw),
        "events": events(raw),
        "event_prices": event_prices(raw),
        "control": control(),
        "storage": storage(raw),
        "content_factors": content_factors(),
        "element_shares": element_shares(),
        "eu_crm_inputs": eu_crm_inputs(raw),
        "eu_crm_shares": eu_crm_shares(raw, names),
        "eu_end_uses": eu_end_uses(raw),
        "sector_value_added": sector_value_added(raw),
        "elasticity_estimates": elasticity_estimates(raw),
        "price_series": price_series(raw),
        "consumption_series": consumption_series(raw),
        "demand_drivers": demand_drivers(raw),
        "demand_projections": demand_projections(raw),
        "chemistry_shares": chemistry_shares(raw),
        "hazards": hazards(raw),
        "io_industries": io_industries(raw),
        "io_requirements": io_requirements(raw),
        "io_output_series": io_output_series(raw),
        "material_industries": material_industries(raw),
        "market_response": market_response(raw),
    }
    big = {"trade", "governance", "production", "prices", "price_series", "hazards"}
    big |= {"io_requirements", "io_output_series"}
    manifest = {}
    for name, df in tables.items():
        for p in out.glob(f"{name}.*"):
            p.unlink()
        if name in big:
            path = out / f"{name}.parquet"
            df.to_parquet(path, index=False, compression="zstd")
        else:
            path = out / f"{name}.csv"
            df.to_csv(path, index=False)
        manifest[name] = {"file": path.name, "rows": len(df)}
        print(f"{name:20s} {len(df):7d} rows -> {path.name}")
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
