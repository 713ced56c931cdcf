"""``critmat data ...``: list, show, check and report on the reference dataset."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from critmat.cli.output import (
    Format,
    FormatOpt,
    ListFormat,
    OutOpt,
    check_out,
    dataset_from,
    emit_frame,
    emit_json,
    emit_outcome,
    emit_tables,
    friendly,
)

if TYPE_CHECKING:
    import pandas as pd

app = typer.Typer(
    rich_markup_mode=None, help="Explore and check the reference dataset.", no_args_is_help=True
)


@app.command("list")
@friendly
def list_(ctx: typer.Context, fmt: FormatOpt = Format.table, out: OutOpt = None) -> None:
    """List the materials (with their supply coverage) and the dataset's tables."""
    import pandas as pd

    check_out(fmt, out)
    from critmat.data.schemas import SPECS

    ds = dataset_from(ctx)
    m = ds.materials
    p = ds.production[ds.production["country"] != "WLD"]
    s = ds.supply_shares

    def years(frame: pd.DataFrame, mat: str, stage: str) -> str:
        y = frame.loc[(frame["material"] == mat) & (frame["stage"] == stage), "year"]
        return f"{int(y.min())}-{int(y.max())}" if len(y) else ""

    mats = pd.DataFrame(
        {
            "material": m["material"],
            "name": m["name"],
            "group": m["group"],
            "basis": m["reference_basis"],
            "eol_rir": m["eol_rir"],
            "mining_years": [years(p, x, "mining") or years(s, x, "mining") for x in m["material"]],
            "refining_years": [
                years(p, x, "refining") or years(s, x, "refining") for x in m["material"]
            ],
        }
    )
    mats = mats[m["seed"].astype(bool).to_numpy()]
    rows = ds.shipped_rows()
    tables = pd.DataFrame(
        {
            "table": list(SPECS),
            "rows": [rows.get(t, 0) for t in SPECS],
            "description": [SPECS[t].description for t in SPECS],
        }
    )
    readme = {"command": "critmat data list", "columns and sources": "docs/data.md"}
    if emit_tables({"materials": mats, "tables": tables}, fmt, out, readme, main="materials"):
        return
    if fmt is Format.json:
        emit_json(
            {
                "materials": mats.astype(object).where(mats.notna(), None).to_dict("records"),
                "tables": tables.to_dict("records"),
            }
        )
        return
    if fmt is Format.csv:
        emit_frame(mats, fmt)
        return
    emit_frame(
        mats,
        fmt,
        title=f"Materials (seed list: {len(mats)} of the {len(m)} in the materials table)",
        caption="The seed list is what critmat assesses, simulates and plans. The materials "
        f"table also holds groups, products and metals outside it ({_others(m)}), which "
        "`critmat data show` takes too.",
    )
    emit_frame(tables, fmt, title="Tables", caption="Columns and sources: docs/data.md")


def _others(m: pd.DataFrame) -> str:
    """The materials outside the seed list, the first few named."""
    rest = m.loc[~m["seed"].astype(bool), "material"].astype(str).tolist()
    head = ", ".join(rest[:6])
    return head + (f" and {len(rest) - 6} more" if len(rest) > 6 else "")


@app.command("show")
@friendly
def show(
    ctx: typer.Context,
    material: Annotated[
        str, typer.Argument(help="Material id, name or symbol, e.g. cobalt or Co.")
    ],
    stage: Annotated[
        str | None,
        typer.Option(help="mining, refining or global_supply (default: first with data)."),
    ] = None,
    year: Annotated[int | None, typer.Option(help="Data year (default: latest).")] = None,
    source: Annotated[
        str | None,
        typer.Option(
            help="Dataset id, e.g. usgs_mcs2026, wmd2026, iea2025 (default: by priority)."
        ),
    ] = None,
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
) -> None:
    """Supply of a material by country: value, share, status and source."""
    from critmat.services.data import supply_result, supply_table

    check_out(fmt, out)
    ds = dataset_from(ctx)
    t, hhi = supply_table(ds, material, stage=stage, year=year, dataset=source)
    if emit_outcome(supply_result(t, hhi), fmt, out):
        return
    view = t.rows.copy()
    view["share %"] = (view["share"] * 100).round(1)
    sources = sorted(set(view["source"]))
    cols = ["country", "name", "value", "share %", "status", "flag"]
    if t.share_only:
        cols.remove("value")
    title = f"{t.material} - {t.stage} - {t.year} - {t.dataset}" + (
        "" if t.share_only else f" ({t.unit}, {t.basis} basis)"
    )
    caption = [f"HHI (fraction, lower bound): {hhi:.3f}  ({hhi * 1e4:,.0f} on the 0-10,000 scale)"]
    if t.world_total is not None:
        caption.append(f"Published world total: {t.world_total:,.6g} {t.unit}")
    caption += [f"Source: {s}" for s in sources[:3]]
    if len(sources) > 3:
        caption.append(f"... {len(sources) - 3} more sources (use --format csv)")
    if t.split != "element":
        caption.append(f"Split: {t.split}")
    if t.alternatives:
        alt = "; ".join(f"{d} {min(y)}-{max(y)}" for d, y in t.alternatives.items())
        caption.append(f"Other sources (--source): {alt}")
    emit_frame(view[cols], fmt, title=title, caption="\n".join(caption))


@app.command("check")
@friendly
def check(
    ctx: typer.Context,
    strict: Annotated[bool, typer.Option(help="Treat warnings as errors.")] = False,
    fmt: Annotated[ListFormat, typer.Option("--format", "-f", help="table or json.")] = (
        ListFormat.table
    ),
) -> None:
    """Consistency pass: schemas, world totals, shares, units, references, provenance."""
    from critmat.data.checks import run_checks

    rep = run_checks(dataset_from(ctx), strict=strict)
    if fmt == ListFormat.json:
        emit_json(rep.to_dict())
    else:
        for issue in rep.issues:
            typer.secho(str(issue), fg=typer.colors.RED if issue in rep.errors else None)
        checked = ", ".join(f"{k}: {v:,}" for k, v in rep.counts.items())
        verdict = "passed" if rep.ok else "FAILED"
        typer.echo(
            f"data check {verdict}{' (strict)' if strict else ''}: "
            f"{len(rep.errors)} errors, {len(rep.warnings)} warnings; checked {checked}"
        )
    if not rep.ok:
        raise typer.Exit(1)


@app.command("report")
@friendly
def report(
    ctx: typer.Context,
    material: Annotated[str, typer.Option(help="Material for the by-country chart.")] = "cobalt",
    out: Annotated[Path, typer.Option(help="Where to write the HTML page.")] = Path(
        "out/data-report.html"
    ),
) -> None:
    """Write an HTML page: coverage tables and charts of the dataset."""
    from critmat.services.data import write_data_report

    ds = dataset_from(ctx)
    path = Path(write_data_report(ds, str(out), material=material))
    typer.echo(f"wrote {path.resolve()}")
