"""Shared CLI plumbing: friendly errors and table/csv/json output."""

from __future__ import annotations

import contextlib
import functools
import json
import sys
import time
from collections.abc import Callable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from critmat.errors import one_line

if TYPE_CHECKING:
    import pandas as pd

    from critmat.data import Dataset
    from critmat.usecases.outcome import Outcome

F = TypeVar("F", bound=Callable[..., Any])


class Format(StrEnum):
    """Output format of listing commands."""

    table = "table"
    csv = "csv"
    json = "json"
    xlsx = "xlsx"


class ListFormat(StrEnum):
    """Output format of commands that only print (no ``--out``): no xlsx, which needs a file."""

    table = "table"
    csv = "csv"
    json = "json"


#: The ``--out`` option every analysis command takes (see :func:`emit_tables`).
#: the output format option every command shares (table on the terminal, csv, json, xlsx)
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]
#: the same for commands without ``--out`` (no xlsx)
ListFormatOpt = Annotated[ListFormat, typer.Option("--format", "-f", help="Output format.")]
OutOpt = Annotated[
    Path | None,
    typer.Option(
        "--out",
        "-o",
        help="Write the result here: FILE.xlsx (--format xlsx), FILE.json, FILE.csv or a "
        "directory of CSV files (--format csv).",
    ),
]
#: the holder every analysis command asks for (resolved once: critmat.data.dataset.Dataset.holder)
HolderOpt = Annotated[
    str, typer.Option(help="Holder: USA, EU27, DEU, FRA, ITA, GBR, JPN, KOR, TWN, CAN, ...")
]
#: the base year of the holder's market
YearOpt = Annotated[int, typer.Option(help="Base year of the market (trade data, 2015-2024).")]
#: a random seed (critmat.streams: same seed, same results, whatever the workers)
SeedOpt = Annotated[int, typer.Option(min=0, help="Random seed; same seed, same results.")]
#: the HTML page a command can write beside its tables
HtmlOpt = Annotated[Path | None, typer.Option(help="Also write an HTML page with the charts here.")]


def friendly(func: F) -> F:
    """The CLI's one error boundary: a user error (:class:`critmat.errors.CritmatError`, or a
    request model that refuses its values) becomes one clear line on stderr and exit status 2,
    no traceback; anything else is a bug and keeps its traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from pydantic import ValidationError

        from critmat.errors import CritmatError

        try:
            return func(*args, **kwargs)
        except CritmatError as exc:
            typer.secho(f"error: {one_line(exc)}", err=True, fg=typer.colors.RED)
            raise typer.Exit(2) from None
        except ValidationError as exc:
            parts = [
                f"{'.'.join(str(x) for x in e['loc']) or 'input'}: {e['msg']}" for e in exc.errors()
            ]
            typer.secho(f"error: {'; '.join(parts)}", err=True, fg=typer.colors.RED)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


@contextlib.contextmanager
def progress_bar(label: str, total: int, unit: str) -> Iterator[Callable[[int], None]]:
    """Advance-by-n callback: a bar on a terminal, plain log lines (every 10%) otherwise."""
    if sys.stderr.isatty():
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        with Progress(
            TextColumn(label),
            BarColumn(),
            TextColumn(f"{{task.completed:,}}/{{task.total:,}} {unit}"),
            TimeRemainingColumn(),
            transient=True,
        ) as bar:
            task = bar.add_task(label, total=total)
            yield lambda n: bar.advance(task, n)
        return
    start = time.perf_counter()
    done = [0, 0]  # completed, last decile printed

    def advance(n: int) -> None:
        done[0] += n
        decile = int(10 * done[0] / max(total, 1))
        if decile > done[1]:
            done[1] = decile
            print(
                f"{label}: {done[0]:,}/{total:,} {unit} ({time.perf_counter() - start:.0f} s)",
                file=sys.stderr,
                flush=True,
            )

    yield advance


@contextlib.contextmanager
def stage_reporter(label: str, stages: list[str]) -> Iterator[Callable[[str], None]]:
    """Stage callback: a spinner on a terminal, one log line per stage otherwise."""
    if sys.stderr.isatty():
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        with Progress(
            SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), transient=True
        ) as bar:
            task = bar.add_task(label, total=len(stages))

            def stage(name: str) -> None:
                bar.update(task, description=f"{label}: {name}", completed=stages.index(name))

            yield stage
        return
    start = time.perf_counter()

    def log(name: str) -> None:
        print(f"{label}: {name} ({time.perf_counter() - start:.0f} s)", file=sys.stderr, flush=True)

    yield log


def dataset_from(ctx: typer.Context) -> Dataset:
    """Load the dataset with the overlay directory given by the global ``--data`` option."""
    from critmat.data import load

    obj = ctx.find_root().obj or {}
    data: Path | None = obj.get("data")
    return load(data)


def emit_json(payload: object) -> None:
    """Write JSON to stdout (stable key order, NaN as null)."""
    text = json.dumps(_clean(payload), indent=2, sort_keys=False, allow_nan=False, default=str)
    sys.stdout.write(text + "\n")


def _clean(obj: object) -> object:
    """JSON-safe (critmat.report.jsonsafe.jsonable)."""
    from critmat.report.jsonsafe import jsonable

    return jsonable(obj)


def check_out(fmt: Format, out: Path | None) -> None:
    """Refuse, before any work, an output request that cannot be written."""
    from critmat.errors import CritmatError

    if fmt is Format.xlsx and (out is None or out.suffix.lower() != ".xlsx"):
        raise CritmatError("--format xlsx needs --out FILE.xlsx (where to write the workbook)")
    if out is not None and fmt is Format.table:
        raise CritmatError("--out needs --format xlsx, json or csv")
    if out is not None and fmt in (Format.xlsx, Format.json) and out.is_dir():
        raise CritmatError(f"--out {out} is a directory; give a file name")


def check_html(html: Path | None) -> None:
    """Refuse, before any work, an HTML page that would land on a directory."""
    from critmat.errors import CritmatError

    if html is not None and html.is_dir():
        raise CritmatError(f"--html {html} is a directory; give a file name")


def emit_tables(
    tables: dict[str, pd.DataFrame],
    fmt: Format,
    out: Path | None,
    readme: dict[str, str],
    *,
    main: str | None = None,
) -> bool:
    """Write every table of a result to ``--out``; returns False when there is nothing to
    write (``table``, or csv/json without ``--out``: the caller prints to stdout as before).

    csv: ``--out FILE.csv`` the ``main`` table, ``--out DIR`` one file per table and a
    README.csv; json: one object (the README and every table as records) at ``--out FILE``;
    xlsx: one workbook at ``--out FILE.xlsx`` (required: nothing is written where you did not
    ask). Files are written atomically.
    """
    import pandas as pd

    from critmat.errors import CritmatError

    if fmt is Format.table or (out is None and fmt is not Format.xlsx):
        return False
    assert out is not None or fmt is Format.xlsx
    if fmt is Format.xlsx:
        if out is None or out.suffix.lower() != ".xlsx":
            raise CritmatError("--format xlsx needs --out FILE.xlsx (where to write the workbook)")
        from critmat.report.xlsx import write_workbook

        path = write_workbook(tables, out, readme)
        typer.echo(f"wrote {path.resolve()}", err=True)
        return True
    if fmt is Format.json:
        payload = {
            "readme": readme,
            **{
                k: df.astype(object).where(df.notna(), None).to_dict(orient="records")
                for k, df in tables.items()
            },
        }
        assert out is not None
        _atomic_text(out, json.dumps(_clean(payload), indent=2) + "\n")
        typer.echo(f"wrote {out.resolve()}", err=True)
        return True
    key = main or next(iter(tables))
    assert out is not None
    if out.suffix.lower() == ".csv":
        _atomic_text(out, safe_csv(tables[key]).to_csv(index=False))
        typer.echo(f"wrote {out.resolve()}", err=True)
        return True
    out.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        _atomic_text(out / f"{name}.csv", safe_csv(df).to_csv(index=False))
    _atomic_text(
        out / "README.csv",
        safe_csv(pd.DataFrame({"key": list(readme), "value": list(readme.values())})).to_csv(
            index=False
        ),
    )
    typer.echo(f"wrote {len(tables) + 1} CSV files to {out.resolve()}", err=True)
    return True


def emit_outcome(outcome: Outcome, fmt: Format, out: Path | None) -> bool:
    """Every format but the terminal table, for a use case of the registry
    (critmat.usecases): JSON is the outcome's own (the same the HTTP API returns for the same
    request), on stdout or at ``--out FILE``; CSV the main table (``--out DIR``: every table
    and a README.csv); xlsx one workbook. True when done; False leaves the table view to the
    caller."""
    if fmt is Format.table:
        return False
    if fmt is Format.json:
        if out is None:
            emit_json(outcome.to_json())
        else:
            _atomic_text(out, json.dumps(outcome.to_json(), indent=2, allow_nan=False) + "\n")
            typer.echo(f"wrote {out.resolve()}", err=True)
        return True
    readme = outcome.file_readme()
    if emit_tables(outcome.tables, fmt, out, readme, main=outcome.main or None):
        return True
    emit_frame(outcome.main_table, fmt)
    return True


def safe_csv(df: pd.DataFrame) -> pd.DataFrame:
    """The frame with formula-like text cells neutralised (critmat.report.xlsx)."""
    from critmat.report.xlsx import neutralise_formulas

    return neutralise_formulas(df)


def _atomic_text(path: Path, text: str) -> None:
    """Write a text file atomically (critmat.report.html.write_page: refuses a directory,
    leaves no temporary file behind)."""
    from critmat.report.html import write_page

    write_page(path, text)


def emit_frame(
    df: pd.DataFrame, fmt: Format | ListFormat, title: str = "", caption: str = ""
) -> None:
    """Print a DataFrame as a Rich table, CSV or JSON records (``xlsx`` needs a file: commands
    that offer it write it with :func:`emit_tables`; commands without ``--out`` offer
    :class:`ListFormat`)."""
    if fmt == Format.xlsx:
        from critmat.errors import CritmatError

        raise CritmatError("this command has no --out: use --format csv or json for a file")
    if fmt == Format.csv:
        safe_csv(df).to_csv(sys.stdout, index=False)
        return
    if fmt == Format.json:
        rows = df.astype(object).where(df.notna(), None).to_dict(orient="records")
        emit_json(rows)
        return
    from rich.console import Console
    from rich.table import Table

    from critmat.glossary import terms_in

    terms = terms_in(" ".join(str(c) for c in df.columns))
    if terms:
        caption = (
            (caption + "\n" if caption else "")
            + "Terms: "
            + "; ".join(f"{k} = {v.split(':')[0]}" for k, v in terms.items())
            + " (critmat glossary)"
        )
    table = Table(title=title or None, caption=caption or None, caption_justify="left")
    for col in df.columns:
        numeric = df[col].dtype.kind in "fi"
        table.add_column(str(col), justify="right" if numeric else "left", overflow="fold")
    for row in df.itertuples(index=False):
        table.add_row(*(_fmt_cell(v) for v in row))
    Console().print(table)


def _fmt_cell(v: object) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, float):
        if abs(v) >= 1e5:  # money and tonnages: grouped digits, never an exponent
            return f"{v:,.0f}"
        return f"{v:,.4g}" if abs(v) < 1 else f"{v:,.6g}"
    return str(v)
