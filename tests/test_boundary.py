"""The CLI's one error boundary: every user error from a bad option, name or file reaches the
user as exit status 2 and one clear line on stderr, never a traceback, and nothing is written."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from critmat.cli.main import app


def _files(tmp: Path) -> dict[str, Path]:
    f = {
        "bad_yaml": tmp / "bad.yaml",
        "utf16": tmp / "utf16.yaml",
        "latin1": tmp / "latin1.yaml",
        "bad_plan": tmp / "plan.yaml",
        "bad_floor": tmp / "floor.yaml",
        "bad_stock": tmp / "stock.yaml",
        "dir": tmp / "adir",
    }
    f["bad_yaml"].write_text("events: [unclosed\n")
    f["utf16"].write_bytes("name: x\nevents: [{type: nope}]\n".encode("utf-16"))
    f["latin1"].write_bytes("name: caf\xe9\nevents: []\n".encode("latin-1"))
    f["bad_plan"].write_text("runs: -5\nrisk: nope\n")
    f["bad_floor"].write_text("runs: 200\neval_runs: 200\nfloors_t: {gallium: 1.0e9}\n")
    f["bad_stock"].write_text("holdings: {unobtanium: 5}\n")
    f["dir"].mkdir()
    return f


#: (arguments, a fragment the one-line message must contain); {name} -> a file of _files
CASES: list[tuple[list[str], str]] = [
    (["assess", "--holder", "ATLANTIS", "--year", "2023"], "unknown holder"),
    (["assess", "--holder", "EU27", "--year", "1990"], "year"),
    (["assess", "--holder", "EU27", "--year", "2023", "-m", "unobtanium"], "unobtanium"),
    (["assess", "--holder", "EU27", "--year", "2023", "--inputs", "{bad_yaml}"], "bad.yaml"),
    (["assess", "--holder", "EU27", "--year", "2023", "-f", "xlsx"], "--out FILE.xlsx"),
    (["assess", "--holder", "EU27", "--year", "2023", "-f", "xlsx", "-o", "{dir}"], "xlsx"),
    (["assess", "--holder", "EU27", "--year", "2023", "-o", "x.csv"], "--format"),
    (["assess", "--holder", "EU27", "--year", "2023", "--html", "{dir}"], "directory"),
    (["simulate", "GR-2023", "--holder", "EU27", "--html", "{dir}"], "directory"),
    (["plan", "--holder", "EU27", "--budget", "inf"], "budget"),
    (["plan", "--holder", "EU27", "--budget", "1e9", "--html", "{dir}"], "directory"),
    (["simulate", "GR-2023", "--holder", "EU27", "--runs", "0"], "runs"),
    (["simulate", "GR-2023", "--holder", "EU27", "--bogus"], "no such option"),
    (["simulate", "NOPE-1999", "--holder", "EU27"], "NOPE-1999"),
    (["simulate", "GR-2023", "--holder", "ATLANTIS"], "unknown holder"),
    (["simulate", "{bad_yaml}", "--holder", "EU27"], "bad.yaml"),
    (["simulate", "{utf16}", "--holder", "EU27"], "utf16.yaml"),
    (["simulate", "{latin1}", "--holder", "EU27"], "not UTF-8"),
    (["simulate", "GR-2023", "--holder", "EU27", "--stockpile", "{bad_stock}"], "stock.yaml"),
    (["simulate", "GR-2023", "--holder", "EU27", "--stockpile", "missing.yaml"], "missing"),
    (["scenarios", "show", "NOPE"], "NOPE"),
    (["plan", "--holder", "EU27", "--budget", "1e9", "--config", "{bad_plan}"], "plan.yaml"),
    (["plan", "--holder", "EU27", "--budget", "1e9", "--config", "{bad_floor}"], "floor"),
    (["plan", "--holder", "ATLANTIS", "--budget", "1e9"], "unknown holder"),
    (["plan", "--holder", "EU27", "--budget", "1e9", "-f", "xlsx"], "--out FILE.xlsx"),
    (["calibrate", "--event", "NOPE"], "unknown calibrated event"),
    (["loss", "--holder", "ATLANTIS"], "unknown holder"),
    (["glossary", "nonsense-term"], "unknown glossary term"),
    (["data", "show", "unobtanium"], "unobtanium"),
    (["forecast", "demand", "--scenario", "nope"], "stated_policies"),
    (["forecast", "demand", "--scenario", "{bad_yaml}"], "bad.yaml"),
    (["forecast", "demand", "--holder", "ATLANTIS"], "unknown holder"),
    (["forecast", "demand", "-m", "unobtanium"], "unobtanium"),
    (["forecast", "prices", "-m", "unobtanium"], "unobtanium"),
    (["forecast", "warning", "-m", "unobtanium"], "unobtanium"),
    (["forecast", "warning", "--html", "{dir}"], "directory"),
    (["plan", "--holder", "EU27", "--budget", "1e9", "--forecast", "nope"], "stated_policies"),
]


@pytest.mark.parametrize(("args", "fragment"), CASES, ids=[" ".join(a[:2]) for a, _ in CASES])
def test_user_errors_are_one_line_and_exit_2(
    args: list[str], fragment: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    files = _files(tmp_path)
    argv = [a.format(**{k: str(v) for k, v in files.items()}) for a in args]
    before = sorted(p.name for p in tmp_path.iterdir())
    r = CliRunner().invoke(app, argv)
    assert r.exit_code == 2, (r.exit_code, r.stdout, r.stderr, r.exception)
    assert "Traceback" not in r.stderr + r.stdout
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    assert fragment.lower() in lines[0].lower(), lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written


@settings(max_examples=25, deadline=None)
@given(
    holder=st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=12).filter(
        lambda s: s.strip() and not s.startswith("-")
    ),
    year=st.integers(-5, 9999),
)
def test_any_holder_and_year_is_answered_or_refused_in_one_line(holder: str, year: int) -> None:
    r = CliRunner().invoke(app, ["loss", "--holder", holder, "--year", str(year), "-f", "csv"])
    assert "Traceback" not in r.stderr + r.stdout
    if r.exit_code != 0:
        assert r.exit_code == 2
        assert len([x for x in r.stderr.splitlines() if x.strip()]) == 1, r.stderr
