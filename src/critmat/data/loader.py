"""Load the shipped reference dataset, optionally overlaid with a user's directory of tables.

The shipped tables live in ``critmat/data/tables`` (CSV for small tables, Parquet for large ones).
A user overlay directory holds files named after tables (``production.csv``,
``prices.parquet`` ...); their rows replace shipped rows with the same key and add the others.
A malformed overlay file is refused as a whole with file, line, column and reason, and nothing is
loaded from it (:class:`DatasetError`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pandas as pd

from critmat.data.references import overlay_issues
from critmat.data.schemas import SPECS, Issue, TableSpec, coerce_frame, validate_frame
from critmat.errors import CritmatError

__all__ = ["ENV_VAR", "DatasetError", "OverlayFile", "read_overlay_dir", "read_shipped_table"]

#: Environment variable naming an overlay directory (used when no directory is passed).
ENV_VAR = "CRITMAT_DATA"


class DatasetError(CritmatError):
    """The dataset (or a user's overlay file) failed validation; ``issues`` says where and why."""

    def __init__(self, message: str, issues: Iterable[Issue] = ()) -> None:
        self.issues = list(issues)
        lines = [message, *(f"  {i}" for i in self.issues[:20])]
        if len(self.issues) > 20:
            lines.append(f"  ... and {len(self.issues) - 20} more")
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class OverlayFile:
    """One validated user file and what it does to its table."""

    path: Path
    table: str
    frame: pd.DataFrame


def _tables_dir() -> Path:
    return Path(str(resources.files("critmat.data") / "tables"))


def manifest() -> dict[str, dict[str, object]]:
    """Table name -> {file, rows} of the shipped dataset."""
    data: dict[str, dict[str, object]] = json.loads((_tables_dir() / "manifest.json").read_text())
    return data


def _read_file(path: Path) -> pd.DataFrame:
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])


def _checked(df: pd.DataFrame, spec: TableSpec, file: str) -> tuple[pd.DataFrame, list[Issue]]:
    frame, issues = coerce_frame(df, spec, file=file)
    if not issues:
        issues = validate_frame(frame, spec, file=file)
    return frame, issues


def read_shipped_table(name: str) -> pd.DataFrame:
    """Read and schema-check one shipped table.

    Raises
    ------
    DatasetError
        If the table does not satisfy its schema (a packaging bug; ``critmat data check``
        says more).
    """
    entry = manifest()[name]
    path = _tables_dir() / str(entry["file"])
    frame, issues = _checked(_read_file(path), SPECS[name], f"{name} (shipped: {path.name})")
    if issues:
        raise DatasetError(f"shipped table '{name}' does not match its schema", issues)
    return frame


def read_overlay_dir(directory: str | os.PathLike[str]) -> list[OverlayFile]:
    """Read and validate every table file in a user's overlay directory.

    Raises
    ------
    DatasetError
        If the directory does not exist, a file is not named after a table, or any file is
        malformed (all problems of all files are listed; nothing is loaded).
    """
    root = Path(directory)
    if not root.is_dir():
        raise DatasetError(f"overlay directory {root} does not exist or is not a directory")
    files: list[OverlayFile] = []
    issues: list[Issue] = []
    for path in sorted(root.iterdir()):
        if path.name.startswith(".") or path.is_dir():
            continue
        if path.suffix not in (".csv", ".parquet"):
            issues.append(
                Issue(
                    check="overlay",
                    table="",
                    file=str(path),
                    message="not a .csv or .parquet file; overlay files are named TABLE.csv or "
                    "TABLE.parquet",
                )
            )
            continue
        if path.stem not in SPECS:
            issues.append(
                Issue(
                    check="overlay",
                    table=path.stem,
                    file=str(path),
                    message=f"'{path.stem}' is not a dataset table; valid names: "
                    + ", ".join(sorted(SPECS)),
                )
            )
            continue
        try:
            raw = _read_file(path)
        except Exception as exc:  # unreadable file: report it like any other bad input
            issues.append(
                Issue(
                    check="overlay",
                    table=path.stem,
                    file=str(path),
                    message=f"cannot be read: {exc}",
                )
            )
            continue
        frame, found = _checked(raw, SPECS[path.stem], str(path))
        issues.extend(found)
        if not found:
            files.append(OverlayFile(path=path, table=path.stem, frame=frame))
    issues.extend(_reference_issues(files))
    if issues:
        raise DatasetError(
            f"overlay directory {root} was refused; nothing was loaded from it", issues
        )
    return files


def _reference_issues(files: list[OverlayFile]) -> list[Issue]:
    """Row-level checks of the schema-valid overlay files (critmat.data.references): finite
    numbers in range, known units, and materials, countries and holders that exist in the
    shipped tables or in the overlay's own ``materials``, ``countries`` and ``holders``."""

    if not files:
        return []

    def codes(table: str, column: str) -> set[str]:
        out = set(read_shipped_table(table)[column].astype(str))
        for f in files:
            if f.table == table:
                out |= set(f.frame[column].astype(str))
        return out

    known = {
        "materials": codes("materials", "material"),
        "countries": codes("countries", "country"),
        "holders": codes("holders", "holder"),
    }
    issues: list[Issue] = []
    for f in files:
        offset = 1 if f.path.suffix == ".parquet" else 2
        issues += overlay_issues(f.frame, SPECS[f.table], str(f.path), line_offset=offset, **known)
    return issues


def merge_overlay(base: pd.DataFrame, overlay: pd.DataFrame, spec: TableSpec) -> pd.DataFrame:
    """Rows of ``overlay`` replace rows of ``base`` with the same key; others are appended."""
    key = list(spec.key)
    base_keys = base[key].astype(str).agg("\x1f".join, axis=1)
    over_keys = set(overlay[key].astype(str).agg("\x1f".join, axis=1))
    kept = base[~base_keys.isin(over_keys)]
    out = pd.concat([_plain(kept), _plain(overlay)], ignore_index=True)
    return out


def _plain(df: pd.DataFrame) -> pd.DataFrame:
    """Drop categorical dtypes so frames from different origins concatenate cleanly."""
    out = df.copy()
    for c in out.columns:
        if isinstance(out[c].dtype, pd.CategoricalDtype):
            out[c] = out[c].astype(str)
    return out
