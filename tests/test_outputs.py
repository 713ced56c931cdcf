"""Outputs people act on: spreadsheets with units and provenance, files only where asked,
charts drawn from the same numbers as the tables, the glossary, log lines off a terminal."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

import critmat.data as cd
from critmat.cli.main import app
from critmat.report.xlsx import unit_of, write_workbook

PLAN_YAML = "runs: 150\neval_runs: 150\nbatches: 2\nfrontier: [0.5, 1.0]\n"


@pytest.fixture(scope="module")
def plan_result(ds: cd.Dataset):  # type: ignore[no-untyped-def]
    from critmat.services.plan import PlanConfig, run_plan

    cfg = PlanConfig(runs=150, eval_runs=150, batches=2, frontier=[0.5, 1.0])
    return run_plan(ds, "EU27", 1e9, cfg)


def test_workbook_round_trip_with_units_and_readme(tmp_path: Path) -> None:
    frames = {
        "composition": pd.DataFrame({"material": ["gallium"], "optimal_t": [42.5],
                                     "optimal_usd": [1.55e7], "days_of_cover": [438.0]}),
        "a/b:c": pd.DataFrame({"x": [1]}),
    }  # fmt: skip
    out = write_workbook(frames, tmp_path / "r.xlsx", {"command": "test", "units": "t"})
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["README", "composition", "a_b_c"]
    head = [c.value for c in wb["composition"][1]]
    assert head == ["material", "optimal_t [t of the basis]", "optimal_usd [USD]",
                    "days_of_cover [days]"]  # fmt: skip
    assert wb["composition"]["B2"].value == pytest.approx(42.5)
    assert [c.value for c in wb["README"][2]] == ["command", "test"]
    assert not list(tmp_path.glob("*.tmp"))


def test_units_named_by_column_suffix() -> None:
    assert unit_of("price_usd_per_t") == "USD per t of the basis"
    assert unit_of("hhi_10000") == "index 0-10,000" and unit_of("hhi") == "index 0-1"
    assert unit_of("expected_loss_usd") == "USD" and unit_of("window_months") == "months"
    assert unit_of("material") == ""
    # a share of months is a fraction, not months
    assert unit_of("share_months_at_price_cap") == "fraction"
    assert unit_of("share_runs_at_price_cap") == "fraction"


def test_assess_xlsx_csv_dir_and_json_file(tmp_path: Path) -> None:
    base = ["assess", "--holder", "EU27", "--year", "2023", "-m", "gallium", "-m", "cobalt"]
    r = CliRunner().invoke(app, [*base, "-f", "xlsx", "-o", str(tmp_path / "a.xlsx")])
    assert r.exit_code == 0, r.stderr
    wb = openpyxl.load_workbook(tmp_path / "a.xlsx")
    assert wb.sheetnames[0] == "README" and "assessment" in wb.sheetnames
    rows = list(wb["assessment"].iter_rows(values_only=True))
    assert {"gallium", "cobalt"} <= {row[1] for row in rows[1:]}
    assert any("[t of the basis]" in str(h) for h in rows[0])
    r = CliRunner().invoke(app, [*base, "-f", "csv", "-o", str(tmp_path / "csvs")])
    assert r.exit_code == 0, r.stderr
    assert {p.name for p in (tmp_path / "csvs").iterdir()} >= {"assessment.csv", "README.csv"}
    r = CliRunner().invoke(app, [*base, "-f", "json", "-o", str(tmp_path / "a.json")])
    assert r.exit_code == 0 and (tmp_path / "a.json").read_text().startswith("{")
    # without --out, csv and json still go to stdout, nothing is written
    r = CliRunner().invoke(app, [*base, "-f", "csv"])
    assert r.exit_code == 0 and r.stdout.startswith("holder,")


@pytest.mark.slow
def test_plan_summary_first_no_hidden_html_and_xlsx(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    cfg = tmp_path / "plan.yaml"
    cfg.write_text(PLAN_YAML)
    args = ["plan", "--holder", "EU27", "--budget", "1e9", "--config", str(cfg)]
    r = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.stderr
    out = r.stdout
    assert out.index("Top supply risks") < out.index("Recommended stockpile")
    assert "Total cost" in out and "How sure" in out
    assert "budget" in out.lower()
    assert not (tmp_path / "out").exists()  # no HTML unless --html
    # off a terminal, progress is plain log lines
    assert "planning: simulate" in r.stderr
    r = CliRunner().invoke(app, [*args, "-f", "xlsx", "-o", "p.xlsx"])
    assert r.exit_code == 0, r.stderr
    wb = openpyxl.load_workbook(tmp_path / "p.xlsx")
    assert {"README", "composition", "comparison", "frontier", "plan_stocks_t"} <= set(
        wb.sheetnames
    )
    readme = {row[0]: row[1] for row in wb["README"].iter_rows(values_only=True)}
    assert "summary 1" in readme and "loss model" in readme


@pytest.mark.slow
def test_plan_chart_shows_the_table_stocks(plan_result) -> None:  # type: ignore[no-untyped-def]
    from critmat.report.plan_report import composition_figure
    from critmat.services.plan import plan_page

    res = plan_result
    fig = composition_figure(plan_page(res))
    price = res.market.price0.astype(float)
    bars = {t.name: np.asarray(t.y, float) for t in fig.data}
    comp = res.composition.set_index("material").reindex(res.market.materials)
    np.testing.assert_allclose(bars["critmat optimum"], comp["optimal_usd"] / 1e6, rtol=1e-9)
    for rule in ("jogmec_60d", "iea_90d_net_imports", "nds_p90_shortfall"):
        want = res.plan_stocks.loc[rule, res.market.materials].to_numpy(float) * price / 1e6
        np.testing.assert_allclose(bars[rule], want, rtol=1e-6)
        # and the comparison table's spending is the same stocks at the same prices
        spent = res.comparison.set_index("plan").loc[rule, "spent_usd"]
        assert float(want.sum()) * 1e6 == pytest.approx(spent, rel=1e-6)


def test_fan_charts_draw_the_fan_table(ds: cd.Dataset) -> None:
    from critmat.report.sim_report import fan_figure
    from critmat.services.simulate import SimulateRequest, fan_table, run_simulate

    res, _, _ = run_simulate(ds, SimulateRequest(scenario="GR-2023", holder="EU27", runs=200))
    fans = fan_table(res)
    assert set(fans["variable"]) >= {"unmet", "price"}
    fig = fan_figure(fans, "price", "t")
    g = fans[(fans["variable"] == "price") & (fans["material"] == "graphite")]
    traces = [t for t in fig.data if np.asarray(t.y).size == len(g)]
    ys = [np.asarray(t.y, float) for t in traces]
    assert any(np.allclose(y, g["p95"]) for y in ys) and any(np.allclose(y, g["p50"]) for y in ys)
    assert (g["p95"].to_numpy() >= g["p05"].to_numpy()).all()


def test_glossary_and_table_captions() -> None:
    r = CliRunner().invoke(app, ["glossary"], env={"COLUMNS": "200"})
    assert r.exit_code == 0 and "CVaR95" in r.stdout and "import reliance" in r.stdout
    r = CliRunner().invoke(app, ["glossary", "wta", "-f", "csv"])
    assert r.exit_code == 0 and r.stdout.splitlines()[1].startswith("WTA,")
    r = CliRunner().invoke(
        app, ["assess", "--holder", "EU27", "--year", "2023", "-m", "cobalt"],
        env={"COLUMNS": "200"},
    )  # fmt: skip
    assert "Terms:" in r.stdout and "IR = import reliance" in r.stdout


@pytest.mark.parametrize(
    "args",
    [["data", "list"], ["data", "show", "cobalt"], ["scenarios", "list"], ["glossary"],
     ["loss", "--holder", "USA"]],
    ids=lambda a: " ".join(a[:2]),
)  # fmt: skip
def test_commands_write_workbooks_only_where_asked(args: list[str], tmp_path: Path) -> None:
    out = tmp_path / "t.xlsx"
    r = CliRunner().invoke(app, [*args, "-f", "xlsx", "-o", str(out)])
    assert r.exit_code == 0, r.stderr
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[0] == "README" and len(wb.sheetnames) >= 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.xlsx"]


def test_html_tables_print_years_as_years_and_no_exponent() -> None:
    import pandas as pd

    from critmat.report.html import table_html

    page = table_html(pd.DataFrame({"year": [2023.0, float("nan")], "price_year": [2024.0, 2021.0],
                                    "value_usd": [1e-5, 14576200.4]}))  # fmt: skip
    assert "2,023" not in page and "<td>2023</td>" in page and "<td>2021</td>" in page
    assert "e-05" not in page and "14,576,200" in page and "&lt;NA&gt;" not in page


def test_the_plan_summary_never_rounds_a_holding_to_zero() -> None:
    """0.5 t of germanium costing 0.7 m USD is said as such, not '0 t (1 m USD)'."""
    from types import SimpleNamespace

    import pandas as pd

    from critmat.report.numbers import sig
    from critmat.services.plan import plan_summary

    comp = pd.DataFrame({"material": ["germanium"], "basis": ["Ge"], "optimal_t": [0.5],
                         "optimal_usd": [0.7e6], "days_of_cover": [0.4]})  # fmt: skip
    assessment = pd.DataFrame({"is_bottleneck": [], "score": [], "material": [], "critical": []})
    res = SimpleNamespace(assessment=assessment, composition=comp, comparison=pd.DataFrame(
        {"plan": []}), notes=[], gap=None, sensitivity=None, budget=1e9)  # fmt: skip
    hold = next(line for line in plan_summary(res) if line.startswith("Hold:"))  # type: ignore[arg-type]
    assert "germanium 0.5 t Ge (0.7 m USD, 0.4 days)" in hold, hold
    assert sig(1234.5) == "1,234" and sig(0.0123) == "0.012" and sig(-0.5) == "-0.5"


def test_a_plan_records_what_re_runs_it(tmp_path: Path) -> None:
    """The whole command (files as FILE), the configuration that differs from the defaults
    with its hash, and the hash of every file read: the scenario file among them."""
    import hashlib

    import yaml

    from critmat.services.plan import PlanConfig, rerun

    sc = tmp_path / "ban.yaml"
    sc.write_text(yaml.safe_dump({"name": "ban", "events": []}))
    stock = tmp_path / "stock.yaml"
    stock.write_text("materials: {}\n")
    cfg = PlanConfig(runs=100, scenario=str(sc))
    how = rerun("EU27", 5e8, cfg, {"--stockpile": stock, "--policy": None}, sensitivity=True)
    assert how["command"] == ("critmat plan --holder EU27 --budget 500000000 --config FILE "
                              "--stockpile FILE --sensitivity")  # fmt: skip
    assert '"runs": 100' in how["plan config"]
    assert how["plan config sha256"] == hashlib.sha256(how["plan config"].encode()).hexdigest()
    assert how["scenario file sha256"] == hashlib.sha256(sc.read_bytes()).hexdigest()
    assert how["stockpile file sha256"] == hashlib.sha256(stock.read_bytes()).hexdigest()
    assert rerun("USA", 2e9, PlanConfig(), {})["command"] == (
        "critmat plan --holder USA --budget 2000000000"
    )


def test_the_brief_is_small_printable_and_says_the_numbers_of_the_plan(
    plan_result,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    """Issue 30, item 7: a 1-2 page brief (decision, money, band, one chart, sources), HTML with
    a print stylesheet and PDF, under 1 MB (each HTML report was 4.9 MB of inlined Plotly)."""
    import re

    from critmat.report.numbers import usd
    from critmat.services.plan import write_plan_brief

    pdf, page = write_plan_brief(plan_result, tmp_path / "brief.pdf")
    assert (pdf.name, page.name) == ("brief.pdf", "brief.html")
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size < 1_000_000
    assert 1 <= len(re.findall(rb"/Type /Page\b", pdf.read_bytes())) <= 2
    text = page.read_text()
    assert page.stat().st_size < 1_000_000 and "<script" not in text
    assert "@media print" in text and "@page" in text and "<svg" in text
    for head in ("The decision", "The money", "The band", "Sources and assumptions"):
        assert head in text
    # the figures are the plan's: what it buys, its expected loss, the re-run command
    c = plan_result.composition
    spent = float(c.loc[c["optimal_t"].fillna(0) > 0, "optimal_usd"].sum())
    assert usd(spent) in text
    opt = plan_result.comparison.set_index("plan").loc["optimal"]
    assert usd(float(opt["expected_loss_usd"])) in text
    assert plan_result.provenance["command"] in text
    assert not list(tmp_path.glob("*.part"))


def test_brief_paths_are_checked_before_any_work(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    r = CliRunner().invoke(app, ["plan", "--holder", "EU27", "--budget", "1e8", "--brief",
                                 str(tmp_path / "afile" / "b.pdf")])  # fmt: skip
    assert r.exit_code == 2 and "is a file" in r.stderr and "planning" not in r.stderr
    assert r.stderr.count("\n") == 1


def test_usd_reads_as_people_say_it() -> None:
    from critmat.report.numbers import usd

    assert usd(5.821e8) == "582 m USD" and usd(1.9e9) == "1.9 bn USD" and usd(740.0) == "740 USD"
    assert usd(7.4e5) == "740,000 USD" and usd(2.5e6) == "2.5 m USD"


def test_the_plan_page_subtitle_says_what_the_figures_are_not_how_long_it_took(
    plan_result,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    import re

    from critmat.services.plan import write_plan_report

    text = write_plan_report(plan_result, tmp_path / "p.html").read_text()
    sub = re.search(r'<p class="sub">(.*?)</p>', text, flags=re.S)
    assert sub is not None and "nominal USD" in sub.group(1)
    assert not re.search(r"\d+\.\d s", sub.group(1))
    assert "Run time:" in text


def test_the_example_plan_config_ships_and_loads() -> None:
    from critmat.services.plan import load_plan_config

    cfg = load_plan_config("plan_gallium_germanium")
    assert cfg.scenario == "GAGE-2023" and cfg.runs == 2000
    with pytest.raises(Exception, match="does not exist"):
        load_plan_config("no_such_plan.yaml")
