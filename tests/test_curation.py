"""The shipped tables are exactly what `python -m tools.curate` makes from the raw public files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT.parent / "shared" / "data"
SHIPPED = ROOT / "src" / "critmat" / "data" / "tables"


@pytest.mark.slow
@pytest.mark.skipif(not RAW.is_dir(), reason=f"raw public files not present at {RAW}")
def test_curation_reproduces_shipped_tables(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "tools.curate", "--raw", str(RAW), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
        cwd=ROOT,
    )
    shipped = sorted(p.name for p in SHIPPED.iterdir() if p.suffix in (".csv", ".parquet"))
    made = sorted(p.name for p in tmp_path.iterdir() if p.suffix in (".csv", ".parquet"))
    assert made == shipped
    for name in shipped:
        read = pd.read_parquet if name.endswith(".parquet") else pd.read_csv
        pd.testing.assert_frame_equal(read(tmp_path / name), read(SHIPPED / name), obj=name)
