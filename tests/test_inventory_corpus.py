"""A bad-input corpus for every inventory command (SQLite and PostgreSQL): each case must end
with exit status 2, one clear line, no traceback, the database unchanged and no file left in the
working directory."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from critmat.cli.main import app
from tests.inventory_helpers import drop_schema, pg_available, pg_schema_url

PG_REASON = pg_available()
BAD_NUMBERS = ["nan", "inf", "-inf", "1e25", "abc", "", "0", "1e-9", "12345678901234.5", "0x10",
               # Python's Decimal takes these; a person typing them meant something else
               "1_000", "\u0661\u0662", "\uff11", " 5", "5 ", "+5", "1e3", "5,5"]  # fmt: skip
BAD_ZONES = ["F/Z", "X/A", "F", "", "F/A/B", "f/a"]
BAD_LOTS = ["NOPE", "", "L1%", "l1"]
LONG = "x" * 5000


def _cases() -> list[tuple[str, list[str]]]:
    c: list[tuple[str, list[str]]] = []
    for q in BAD_NUMBERS:
        c += [
            (f"receive qty {q!r}", ["receive", "L1", "F/A", q]),
            (f"release qty {q!r}", ["release", "L1", "F/A", q, "draw"]),
            (f"sell qty {q!r}", ["sell", "L1", "F/A", q, "rotation"]),
            (f"transfer qty {q!r}", ["transfer", "L1", "F/A", q, "T9", "c", "r", "s"]),
        ]
        if q not in ("1e-9",):
            c.append((f"adjust qty {q!r}", ["adjust", "L1", "F/A", q, "stocktake"]))
    for q in ("-5", "-0.5"):
        c += [
            (f"receive negative {q}", ["receive", "L1", "F/A", q]),
            (f"release negative {q}", ["release", "L1", "F/A", q, "draw"]),
        ]
    for z in BAD_ZONES:
        c += [
            (f"receive zone {z!r}", ["receive", "L1", z, "1"]),
            (f"release zone {z!r}", ["release", "L1", z, "1", "draw"]),
            (f"adjust zone {z!r}", ["adjust", "L1", z, "1", "count"]),
            (f"transfer zone {z!r}", ["transfer", "L1", z, "1", "T9", "c", "r", "s"]),
            (f"arrive zone {z!r}", ["arrive", "T1", z]),
        ]
    for lot in BAD_LOTS:
        c += [
            (f"receive lot {lot!r}", ["receive", lot, "F/A", "1"]),
            (f"release lot {lot!r}", ["release", lot, "F/A", "1", "draw"]),
            (f"transfer lot {lot!r}", ["transfer", lot, "F/A", "1", "T9", "c", "r", "s"]),
        ]
    c += [
        ("release beyond balance", ["release", "L1", "F/A", "1000", "draw"]),
        ("release empty reason", ["release", "L1", "F/A", "1", ""]),
        ("release blank reason", ["release", "L1", "F/A", "1", "   "]),
        ("sell blank reason", ["sell", "L1", "F/A", "1", "\u3000"]),
        ("lost blank reason", ["lost", "T1", "  "]),
        ("receive empty key", ["receive", "L1", "F/A", "1", "--key", ""]),
        ("receive blank key", ["receive", "L1", "F/A", "1", "--key", "  "]),
        ("lots xlsx (needs a file)", ["lots", "-f", "xlsx"]),
        ("adjust empty reason", ["adjust", "L1", "F/A", "1", ""]),
        ("release long reason", ["release", "L1", "F/A", "1", LONG]),
        ("release control char", ["release", "L1", "F/A", "1", "a\x07b"]),
        ("receive unit parsec", ["receive", "L1", "F/A", "1", "--unit", "parsec"]),
        ("receive unit kWh", ["receive", "L1", "F/A", "1", "--unit", "kWh"]),
        ("receive long key", ["receive", "L1", "F/A", "1", "--key", "k" * 200]),
        ("receive key ctrl", ["receive", "L1", "F/A", "1", "--key", "a\nb"]),
        ("receive key reused", ["receive", "L1", "F/A", "2", "--key", "po-1"]),
        ("release key reused", ["release", "L1", "F/A", "1", "x", "--key", "po-1"]),
        ("transfer id reused", ["transfer", "L1", "F/A", "1", "T1", "c", "r", "s"]),
        ("transfer empty id", ["transfer", "L1", "F/A", "1", "", "c", "r", "s"]),
        ("transfer long carrier", ["transfer", "L1", "F/A", "1", "T9", LONG, "r", "s"]),
        ("arrive unknown", ["arrive", "T404", "F/B"]),
        ("lost unknown", ["lost", "T404", "sank"]),
        ("lost empty reason", ["lost", "T1", ""]),
        ("arrive closed", ["arrive", "T0", "F/B"]),
        ("lost closed", ["lost", "T0", "sank"]),
    ]
    fac = ["facility"]
    c += [
        ("facility exists", [*fac, "F", "Again", "-z", "A"]),
        ("facility dup zones", [*fac, "H", "Home", "-z", "A", "-z", "A"]),
        ("facility no zone", [*fac, "H", "Home"]),
        ("facility empty code", [*fac, "", "Home", "-z", "A"]),
        ("facility space code", [*fac, "H Q", "Home", "-z", "A"]),
        ("facility slash code", [*fac, "H/Q", "Home", "-z", "A"]),
        ("facility long code", [*fac, "H" * 41, "Home", "-z", "A"]),
        ("facility long name", [*fac, "H", LONG, "-z", "A"]),
        ("facility bad zone code", [*fac, "H", "Home", "-z", "A B"]),
        ("facility negative capacity", [*fac, "H", "Home", "-z", "A", "--capacity-t", "-5"]),
        ("facility nan capacity", [*fac, "H", "Home", "-z", "A", "--capacity-t", "nan"]),
        ("facility inf capacity", [*fac, "H", "Home", "-z", "A", "--capacity-t", "inf"]),
        ("facility huge capacity", [*fac, "H", "Home", "-z", "A", "--capacity-t", "1e30"]),
        ("facility word capacity", [*fac, "H", "Home", "-z", "A", "--capacity-t", "lots"]),
    ]
    lot = ["lot"]
    c += [
        ("lot exists", [*lot, "L1", "cobalt"]),
        ("lot unknown material", [*lot, "L9", "unobtanium"]),
        ("lot empty material", [*lot, "L9", ""]),
        ("lot origin ZZZ", [*lot, "L9", "cobalt", "--origin-country", "ZZZ"]),
        ("lot origin name", [*lot, "L9", "cobalt", "--origin-country", "Germany"]),
        ("lot origin aggregate", [*lot, "L9", "cobalt", "--origin-country", "WLD"]),
        ("lot unit", [*lot, "L9", "cobalt", "--unit", "barrel"]),
        ("lot negative cost", [*lot, "L9", "cobalt", "--cost-usd", "-1"]),
        ("lot nan cost", [*lot, "L9", "cobalt", "--cost-usd", "nan"]),
        ("lot huge cost", [*lot, "L9", "cobalt", "--cost-usd", "1e30"]),
        ("lot word cost", [*lot, "L9", "cobalt", "--cost-usd", "cheap"]),
        ("lot long supplier", [*lot, "L9", "cobalt", "--supplier", LONG]),
        ("lot long form", [*lot, "L9", "cobalt", "--form", LONG]),
        ("lot space code", [*lot, "L 9", "cobalt"]),
        ("lot percent code", [*lot, "L%", "cobalt"]),
        ("lot empty code", [*lot, "", "cobalt"]),
    ]
    c += [
        ("maintenance as-of word", ["maintenance", "--as-of", "yesterday"]),
        ("maintenance as-of year 1", ["maintenance", "--as-of", "0001-01-01"]),
        ("rotate 0", ["rotate", "0"]),
        ("rotate negative", ["rotate", "-1"]),
        ("rotate far future", ["rotate", "99999"]),
        ("rotate word", ["rotate", "soon"]),
        (
            "equipment bad date",
            ["equipment", "E1", "F", "hvac", "2020-13-01", "2024-01-01", "10", "5"],
        ),
        (
            "equipment unknown facility",
            ["equipment", "E1", "NOPE", "hvac", "2020-01-01", "2024-01-01", "10", "5"],
        ),
        (
            "equipment unknown kind",
            ["equipment", "E1", "F", "toaster", "2020-01-01", "2024-01-01", "10", "5"],
        ),
        (
            "equipment negative hours",
            ["equipment", "E1", "F", "hvac", "2020-01-01", "2024-01-01", "-10", "5"],
        ),
        (
            "equipment 30 hours a day",
            ["equipment", "E1", "F", "hvac", "2020-01-01", "2024-01-01", "10", "30"],
        ),
        (
            "equipment service before install",
            ["equipment", "E1", "F", "hvac", "2024-01-01", "2020-01-01", "10", "5"],
        ),
        (
            "insurance negative",
            [
                "insurance",
                "--add",
                "P1",
                "--facility",
                "F",
                "--insured-usd",
                "-5",
                "--expires",
                "2030-01-01",
            ],
        ),
        (
            "insurance nan",
            [
                "insurance",
                "--add",
                "P1",
                "--facility",
                "F",
                "--insured-usd",
                "nan",
                "--expires",
                "2030-01-01",
            ],
        ),
        (
            "insurance bad date",
            [
                "insurance",
                "--add",
                "P1",
                "--facility",
                "F",
                "--insured-usd",
                "5",
                "--expires",
                "someday",
            ],
        ),
        (
            "insurance unknown facility",
            [
                "insurance",
                "--add",
                "P1",
                "--facility",
                "NOPE",
                "--insured-usd",
                "5",
                "--expires",
                "2030-01-01",
            ],
        ),
        (
            "risk likelihood 9",
            [
                "risk",
                "--add",
                "theft",
                "--description",
                "d",
                "--likelihood",
                "9",
                "--impact",
                "2",
                "--mitigation",
                "m",
                "--owner",
                "o",
            ],
        ),
        (
            "risk impact 0",
            [
                "risk",
                "--add",
                "theft",
                "--description",
                "d",
                "--likelihood",
                "2",
                "--impact",
                "0",
                "--mitigation",
                "m",
                "--owner",
                "o",
            ],
        ),
        (
            "risk long description",
            [
                "risk",
                "--add",
                "theft",
                "--description",
                LONG,
                "--likelihood",
                "2",
                "--impact",
                "2",
                "--mitigation",
                "m",
                "--owner",
                "o",
            ],
        ),
        ("ack unknown alert", ["ack", "99999"]),
        ("ack word", ["ack", "first"]),
        ("resolve unknown alert", ["resolve", "99999", "fixed"]),
        ("value missing feed", ["value", "--price-feed", "missing.csv"]),
        ("targets missing file", ["targets", "missing.json"]),
        ("verify missing anchor", ["verify", "--anchor", "missing.json"]),
        ("ingest missing file", ["ingest", "missing.csv"]),
        ("demo into a real ledger", ["demo"]),
    ]
    return c


def _ahead(hours: float) -> str:
    """A timestamp ``hours`` after now (sensor clocks may be 5 minutes ahead, not more)."""
    import datetime as dt

    return (dt.datetime.now(dt.UTC) + dt.timedelta(hours=hours)).isoformat(timespec="seconds")


def _sensor_files(tmp: Path) -> dict[str, str]:
    """Bad sensor files, by case name."""
    head = "zone,timestamp,metric,value\n"
    ok_ts = "2025-03-01T00:00:00Z"
    rows = {
        "unknown metric": f"F/A,{ok_ts},radiation,1\n",
        "word value": f"F/A,{ok_ts},rh_pct,wet\n",
        "rh 200": f"F/A,{ok_ts},rh_pct,200\n",
        "rh negative": f"F/A,{ok_ts},rh_pct,-10\n",
        "o2 150": f"F/A,{ok_ts},o2_pct,150\n",
        "temperature -300": f"F/A,{ok_ts},temperature_c,-300\n",
        "nan value": f"F/A,{ok_ts},temperature_c,nan\n",
        "year 1": "F/A,0001-01-01T00:00:00Z,rh_pct,40\n",
        "year 9999": "F/A,9999-01-01T00:00:00Z,rh_pct,40\n",
        "an hour ahead": f"F/A,{_ahead(hours=1)},rh_pct,40\n",
        "a day ahead": f"F/A,{_ahead(hours=23)},rh_pct,40\n",
        "word timestamp": "F/A,yesterday,rh_pct,40\n",
        "unknown zone": f"X/Y,{ok_ts},rh_pct,40\n",
        "door 3": f"F/A,{ok_ts},door_open,3\n",
        "duplicate rows": f"F/A,{ok_ts},rh_pct,40\nF/A,{ok_ts},rh_pct,41\n",
        "conflicts with loaded": "F/A,2025-01-01T00:00:00Z,rh_pct,55\n",
    }
    out = {}
    for name, body in rows.items():
        f = tmp / f"{name.replace(' ', '_')}.csv"
        f.write_text(head + body)
        out[name] = str(f)
    f = tmp / "latin1.csv"
    f.write_bytes((head + f"F/A,{ok_ts},rh_pct,40 \xb0\n").encode("latin-1"))
    out["not utf-8"] = str(f)
    (tmp / "empty.csv").write_text("")
    out["empty file"] = str(tmp / "empty.csv")
    (tmp / "nocol.csv").write_text("zone,timestamp,value\nF/A,2025-01-01T00:00:00Z,1\n")
    out["missing column"] = str(tmp / "nocol.csv")
    out["a directory"] = str(tmp)
    return out


SENSOR_CASES = [
    "unknown metric", "word value", "rh 200", "rh negative", "o2 150", "temperature -300",
    "nan value", "year 1", "year 9999", "an hour ahead", "a day ahead", "word timestamp",
    "unknown zone", "door 3",
    "duplicate rows", "conflicts with loaded", "not utf-8", "empty file", "missing column",
    "a directory",
]  # fmt: skip


def _db_cases() -> list[tuple[str, list[str]]]:
    """Every read and write command on a mistyped database path and on a non-URL."""
    c = []
    commands = [["balance"], ["lots"], ["verify"], ["alerts"], ["quality"], ["value"],
                ["insurance"], ["maintenance"], ["risk"], ["receive", "L1", "F/A", "1"],
                ["facility", "Q", "Q", "-z", "A"], ["rotate", "2026"]]  # fmt: skip
    for cmd in commands:
        c.append((f"{cmd[0]} missing sqlite", [*cmd, "--db", "sqlite:///missing-dir/typo.db"]))
        c.append((f"{cmd[0]} garbage url", [*cmd, "--db", "garbage"]))
        c.append((f"{cmd[0]} mysql url", [*cmd, "--db", "mysql://u@h/db"]))
    return c


CASES = _cases()
DB_CASES = _db_cases()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('corpus')}/inv.db"
        schema = ""
    else:
        if PG_REASON:
            pytest.skip(PG_REASON)
        url, schema = pg_schema_url()
    run = CliRunner().invoke
    for args in (
        ["init"],
        ["facility", "F", "Depot", "-z", "A", "-z", "B"],
        ["lot", "L1", "cobalt", "--cost-usd", "1000"],
        ["receive", "L1", "F/A", "50", "--key", "po-1"],
        ["transfer", "L1", "F/A", "5", "T1", "c", "r", "s"],
        ["transfer", "L1", "F/A", "5", "T0", "c", "r", "s"],
        ["arrive", "T0", "F/B"],
        ["ingest", str(_loaded_file(tmp_path_factory.mktemp("sensors")))],
    ):
        r = run(app, ["inventory", *args, "--db", url])
        assert r.exit_code == 0, (args, r.stderr)
    yield url
    if schema:
        drop_schema(schema)


def _loaded_file(tmp: Path) -> Path:
    f = tmp / "loaded.csv"
    f.write_text("zone,timestamp,metric,value\nF/A,2025-01-01T00:00:00Z,rh_pct,40\n")
    return f


def _fingerprint(url: str) -> str:
    from critmat.database import make_engine

    eng = make_engine(url)
    h = hashlib.sha256()
    with eng.connect() as c:
        for t in ("facility", "zone", "lot", "ledger", "ledger_head", "sensor_reading", "alert"):
            for row in c.execute(text(f"SELECT * FROM {t} ORDER BY 1")):
                h.update(repr(tuple(row)).encode())
    eng.dispose()
    return h.hexdigest()


def _check(args: list[str], url: str | None, cwd: Path) -> None:
    before_files = sorted(p.name for p in cwd.iterdir())
    before = _fingerprint(url) if url else ""
    argv = ["inventory", *args] + (["--db", url] if url else [])
    r = CliRunner().invoke(app, argv)
    assert r.exit_code == 2, (argv, r.exit_code, r.stdout[-500:], r.stderr[-500:], r.exception)
    assert "Traceback" not in r.stdout + r.stderr
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith(("error: ", "refused: ")), lines[0]
    if url:
        assert _fingerprint(url) == before, "the database changed"
    assert sorted(p.name for p in cwd.iterdir()) == before_files, "a file was left behind"


@pytest.mark.parametrize(("name", "args"), CASES, ids=[n for n, _ in CASES])
def test_bad_input_is_refused_cleanly(
    name: str, args: list[str], db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _check(args, db, tmp_path)


@pytest.mark.parametrize(("name", "args"), DB_CASES, ids=[n for n, _ in DB_CASES])
def test_bad_database_is_refused_and_nothing_is_created(
    name: str, args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _check(args, None, tmp_path)
    assert not (tmp_path / "missing-dir").exists()


@pytest.mark.parametrize("name", SENSOR_CASES)
def test_bad_sensor_files_load_nothing(
    name: str, db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = _sensor_files(tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    _check(["ingest", files[name]], db, work)


def test_ingest_is_idempotent(db: str, tmp_path: Path) -> None:
    f = _loaded_file(tmp_path)
    r = CliRunner().invoke(app, ["inventory", "ingest", str(f), "--db", db])
    assert r.exit_code == 0 and "0 readings" in r.stdout and "1 already loaded" in r.stdout


def test_the_corpus_is_large() -> None:
    backends = 1 if PG_REASON else 2
    assert (len(CASES) + len(SENSOR_CASES)) * backends + len(DB_CASES) >= 300
