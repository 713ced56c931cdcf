"""Data: the consistency checks, supply tables and the overview the data report shows."""

from __future__ import annotations

import pandas as pd

from critmat.data.dataset import Dataset, UnknownChoiceError
from critmat.data.units import UnitError, convert_mass, convert_price
from critmat.data.views import SupplyTable, available_supply, supply_by_country
from critmat.report.data_report import write_data_report as write
from critmat.risk.concentration import hhi_of_supply
from critmat.usecases.outcome import Outcome
from critmat.usecases.pages import DataOverview
from critmat.usecases.requests import SupplyRequest

__all__ = [
    "DataOverview",
    "concentration_ranking",
    "coverage_table",
    "material_events",
    "overview",
    "page_of",
    "price_series",
    "source_spread",
    "supply_outcome",
    "supply_result",
    "supply_stages",
    "supply_table",
]


def overview(ds: Dataset, material: str = "cobalt") -> DataOverview:
    """Coverage per material, concentration ranking, cross-source spread, and the price series
    of the material the page shows."""
    prices, skipped = price_series(ds, material)
    return DataOverview(coverage_table(ds), concentration_ranking(ds), source_spread(ds),
                        prices, skipped)  # fmt: skip


def supply_table(
    ds: Dataset,
    material: str,
    stage: str | None = None,
    year: int | None = None,
    dataset: str | None = None,
) -> tuple[SupplyTable, float]:
    """Supply by country and its HHI (fraction, lower bound over named countries)."""

    t = supply_by_country(ds, material, stage=stage, year=year, dataset=dataset)
    return t, hhi_of_supply(t.rows)


def supply_stages(ds: Dataset, material: str) -> list[str]:
    """The stages with supply data for a material, in chain order (mining first)."""
    have = set(available_supply(ds, material)["stage"])
    return [s for s in ("mining", "refining", "manufacturing", "global_supply") if s in have]


def supply_outcome(ds: Dataset, req: SupplyRequest, progress: object = None) -> Outcome:
    """The registry's runner: :func:`supply_table`, then :func:`supply_result`."""
    return supply_result(*supply_table(ds, req.material, req.stage, req.year, req.source))


def supply_result(t: SupplyTable, hhi: float) -> Outcome:
    """Supply by country as every face shows it: the table's identity and the HHI as fields,
    one self-describing row per country (material, stage, year, dataset, unit, basis)."""
    doc = t.to_dict()
    doc.pop("rows")
    rows = t.rows.assign(material=t.material, stage=t.stage, year=t.year, dataset=t.dataset,
                         unit=t.unit, basis=t.basis)  # fmt: skip
    readme = {
        "command": f"critmat data show {t.material} --stage {t.stage}",
        "hhi (fraction, lower bound)": f"{hhi:.4f}",
        "unit": f"{t.unit} ({t.basis} basis)",
    }
    return Outcome({"rows": rows}, readme, fields={**doc, "hhi": hhi})


def price_series(ds: Dataset, material: str) -> tuple[pd.DataFrame, list[str]]:
    """Every price series of a material converted to USD per t of the quoted form (one unit
    for one chart axis), newest edition per year; and the series that could not be converted."""

    mat = ds.resolve_material(material)
    pr = ds.prices[ds.prices["material"] == mat].dropna(subset=["value"])
    rows, skipped = [], []
    for (form, unit), g in pr.groupby(["form", "unit"]):
        g = g.sort_values(["year", "edition"]).drop_duplicates("year", keep="last")
        try:
            factor = float(convert_price(1.0, str(unit), "USD/t"))
        except UnitError:
            skipped.append(f"{form} [{unit}]")
            continue
        rows.append(
            pd.DataFrame(
                {
                    "series": f"{form} (quoted in {unit})",
                    "year": g["year"].to_numpy(),
                    "usd_per_t": g["value"].to_numpy(float) * factor,
                    "proxy": bool((g["status"] == "proxy").all()),
                }
            )
        )
    cols = ["series", "year", "usd_per_t", "proxy"]
    return (pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=cols)), skipped


#: The dataset tables the API pages through, with the columns a client may filter on.
PAGED_TABLES: dict[str, tuple[str, ...]] = {
    "production": ("material", "stage", "country", "year", "dataset"),
    "trade": ("material", "exporter", "importer", "year", "hs6"),
    "prices": ("material", "form", "year", "edition"),
}


def page_of(
    ds: Dataset,
    table: str,
    filters: dict[str, str | int | None],
    limit: int = 100,
    offset: int = 0,
) -> tuple[int, pd.DataFrame]:
    """One page of a dataset table with equality filters (materials by any known name);
    returns the number of matching rows and the page. Units and bases stay per row."""
    if table not in PAGED_TABLES:
        raise UnknownChoiceError("table", table, list(PAGED_TABLES))
    df: pd.DataFrame = getattr(ds, table)
    mask = pd.Series(True, index=df.index)
    for col, value in filters.items():
        if value is None or value == "":
            continue
        if col not in PAGED_TABLES[table]:
            raise UnknownChoiceError(f"filter of {table}", col, list(PAGED_TABLES[table]))
        if col == "material":
            value = ds.resolve_material(str(value))
        if col == "year":
            mask &= df[col].astype("Int64") == int(value)
        else:
            mask &= df[col].astype(str) == str(value)
    hit = df[mask]
    return len(hit), hit.iloc[offset : offset + limit].reset_index(drop=True)


def material_events(ds: Dataset, material: str) -> pd.DataFrame:
    """The recorded disruptions that touched a material (newest first), with their source."""
    mat = ds.resolve_material(material)
    e = ds.events
    hit = e[e["materials"].astype(str).str.split(";").map(lambda ms: mat in ms)]
    cols = ["event_id", "event_type", "actor", "stage", "start", "end", "metric",
            "change_pct_text", "description", "source", "status"]  # fmt: skip
    return hit[cols].sort_values("start", ascending=False).reset_index(drop=True)


def write_data_report(ds: Dataset, out: str, material: str = "cobalt") -> str:
    """Compute the overview and write the data report; returns the path written."""

    return str(write(ds, overview(ds, material), out, material=material))


def coverage_table(ds: Dataset) -> pd.DataFrame:
    """Per seed material: years and sources of supply data, trade rows, price series, EoL-RIR."""
    m = ds.materials[ds.materials["seed"].astype(bool)]
    p = ds.production[ds.production["country"] != "WLD"]
    s = ds.supply_shares
    trade_rows = ds.trade.groupby("material", observed=True).size()
    prices = ds.prices[ds.prices["status"] != "proxy"]
    n_series = prices.groupby("material")["form"].nunique()

    def cover(mat: str, stage: str) -> str:
        parts = []
        for frame in (p, s):
            g = frame[(frame["material"] == mat) & (frame["stage"] == stage)]
            for d, gg in g.groupby("dataset"):
                parts.append(f"{d} {int(gg['year'].min())}-{int(gg['year'].max())}")
        return "; ".join(parts)

    return pd.DataFrame(
        {
            "material": m["material"].to_numpy(),
            "group": m["group"].to_numpy(),
            "mining": [cover(x, "mining") for x in m["material"]],
            "refining": [cover(x, "refining") for x in m["material"]],
            "trade_rows": [int(trade_rows.get(x, 0)) for x in m["material"]],
            "price_series": [int(n_series.get(x, 0)) for x in m["material"]],
            "eol_rir": m["eol_rir"].to_numpy(),
        }
    )


def concentration_ranking(ds: Dataset) -> pd.DataFrame:
    """HHI (fraction scale, lower bound) per seed material and stage.

    Latest year, default source (see :func:`critmat.data.views.supply_by_country`).
    """
    rows = []
    for mat in ds.materials.loc[ds.materials["seed"].astype(bool), "material"]:
        for stage in ("mining", "refining"):
            try:
                t = supply_by_country(ds, mat, stage=stage)
            except UnknownChoiceError:
                continue
            top = t.rows.iloc[0]
            rows.append(
                {
                    "material": mat,
                    "stage": stage,
                    "year": t.year,
                    "dataset": t.dataset,
                    "hhi": hhi_of_supply(t.rows),
                    "top_country": top["country"],
                    "top_share": float(top["share"]),
                    "status": ",".join(sorted(set(t.rows["status"]))),
                }
            )
    return pd.DataFrame(rows).sort_values("hhi", ascending=False).reset_index(drop=True)


def source_spread(ds: Dataset, year: int = 2024) -> pd.DataFrame:
    """USGS vs World Mining Data world mine output for one year, on a common basis.

    Units and chemical bases are converted with :func:`critmat.data.units.convert_mass`
    (WMD reports Li2O, Nb2O5, Ta2O5, Cr2O3; USGS contained metal or gross weight).
    """
    p = ds.production
    usgs = p[(p["dataset"] == "usgs_mcs2026") & (p["year"] == year) & (p["country"] == "WLD")]
    wmd = p[(p["dataset"] == "wmd2026") & (p["year"] == year)]
    rows = []
    for _, u in usgs.iterrows():
        w = wmd[(wmd["material"] == u["material"]) & (wmd["stage"] == u["stage"])]
        if w.empty:
            continue
        basis_w, unit_w = str(w["basis"].iloc[0]), str(w["unit"].iloc[0])
        total_w = float(w["value"].sum())
        try:
            converted = float(
                convert_mass(
                    total_w,
                    unit_w,
                    str(u["unit"]),
                    None if basis_w == u["basis"] else basis_w,
                    None if basis_w == u["basis"] else str(u["basis"]),
                )
            )
            note = "" if basis_w == u["basis"] else f"WMD {basis_w} converted to {u['basis']}"
        except UnitError as exc:
            converted, note = float("nan"), f"not comparable: {exc}"
        rows.append(
            {
                "material": u["material"],
                "stage": u["stage"],
                "unit": f"{u['unit']} {u['basis']}",
                "usgs": float(u["value"]),
                "wmd": converted,
                "wmd_over_usgs": converted / float(u["value"]) if u["value"] else float("nan"),
                "note": note,
            }
        )
    return pd.DataFrame(rows)
