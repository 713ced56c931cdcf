"""Shared fixtures: the shipped dataset (loaded once) and helpers to plant overlay files."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest

import critmat.data as cd


@pytest.fixture(scope="session")
def ds() -> cd.Dataset:
    return cd.load(use_env=False)


@pytest.fixture
def overlay(tmp_path: Path) -> Callable[[str, pd.DataFrame | str], Path]:
    """Write a table file into a fresh overlay directory and return the directory."""

    def write(name: str, content: pd.DataFrame | str) -> Path:
        path = tmp_path / name
        if isinstance(content, pd.DataFrame):
            if name.endswith(".parquet"):
                content.to_parquet(path, index=False)
            else:
                content.to_csv(path, index=False)
        else:
            path.write_text(content)
        return tmp_path

    return write


@pytest.fixture(autouse=True)
def _no_env_overlay(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CRITMAT_DATA", raising=False)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty inventory database URL: a SQLite file, or a fresh schema of the PostgreSQL test
    database (skipped, with the reason, when no server answers)."""
    from tests.inventory_helpers import drop_schema, pg_available, pg_schema_url

    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/inv.db"
        return
    reason = pg_available()
    if reason:
        pytest.skip(reason)
    u, schema = pg_schema_url()
    try:
        yield u
    finally:
        drop_schema(schema)
