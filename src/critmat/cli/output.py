"""Shared CLI plumbing: friendly errors and table/csv/json output."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer

if TYPE_CHECKING:
    import pandas as pd

    from critmat.data import Dataset

F = TypeVar("F", bound=Callable[..., Any])


class Format(StrEnum):
    """Output format of listing commands."""

    table = "table"
    csv = "csv"
    json = "json"


def friendly(func: F) -> F:
    """Turn expected user errors into a clear message on stderr and exit status 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from critmat.data import DatasetError, UnknownChoiceError
        from critmat.data.dataset import InputError
        from critmat.data.units import UnitError

        try:
            return func(*args, **kwargs)
        except (UnknownChoiceError, DatasetError, UnitError, InputError) as exc:
            typer.secho(f"error: {exc}", err=True, fg=typer.colors.RED)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def dataset_from(ctx: typer.Context) -> Dataset:
    """Load the dataset with the overlay directory given by the global ``--data`` option."""
    from critmat.data import load

    obj = ctx.find_root().obj or {}
    data: Path | None = obj.get("data")
    return load(data)


def emit_json(payload: object) -> None:
    """Write JSON to stdout (stable key order, NaN as null)."""
    sys.stdout.write(json.dumps(_clean(payload), indent=2, sort_keys=False) + "\n")


def _clean(obj: object) -> object:
    if isinstance(obj, float) and obj != obj:  # NaN
        return None
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    if hasattr(obj, "item"):  # numpy scalar
        return _clean(obj.item())
    return obj


def emit_frame(df: pd.DataFrame, fmt: Format, title: str = "", caption: str = "") -> None:
    """Print a DataFrame as a Rich table, CSV or JSON records."""
    if fmt is Format.csv:
        df.to_csv(sys.stdout, index=False)
        return
    if fmt is Format.json:
        rows = df.astype(object).where(df.notna(), None).to_dict(orient="records")
        emit_json(rows)
        return
    from rich.console import Console
    from rich.table import Table

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
        return f"{v:,.4g}" if abs(v) < 1 else f"{v:,.6g}"
    return str(v)
