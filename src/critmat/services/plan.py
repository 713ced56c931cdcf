"""Plan: assess, simulate, optimise and evaluate a stockpile for a budget (docs/methods.md 7)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from critmat.data.dataset import Dataset
from critmat.data.yamlfile import load_yaml_text
from critmat.errors import CritmatError
from critmat.forecast.scenario_spec import load_scenario
from critmat.optimize.plan import PlanConfig, PlanResult
from critmat.optimize.plan import load_plan_config as load_config
from critmat.optimize.plan import run_plan as run
from critmat.report.brief_pdf import brief_paths, write_brief
from critmat.report.numbers import sig
from critmat.report.plan_report import write_plan_report as write
from critmat.services.acquisition import check_schedule_text, run_acquisition
from critmat.services.coalition import check_exchange, run_coalition
from critmat.services.context import resolve
from critmat.services.forecast import PricesRequest, demand_growth, run_prices
from critmat.services.options import OptionsSpec, run_options
from critmat.services.policy import check_policy_text, example_path, run_policy
from critmat.services.warning import event_rate_multipliers
from critmat.sim.market import build_market
from critmat.sim.pipeline import resolve_scenario
from critmat.sim.stockpile import load_stockpile
from critmat.usecases.outcome import Outcome
from critmat.usecases.pages import PlanPage
from critmat.usecases.requests import PlanRequest

__all__ = [
    "PlanConfig",
    "PlanResult",
    "add_decisions",
    "add_decisions_from_text",
    "check_brief",
    "check_decisions",
    "forecast_config",
    "load_plan_config",
    "plan_page",
    "plan_summary",
    "plan_tables",
    "rerun",
    "run_plan",
    "write_plan_brief",
    "write_plan_report",
]


def run_plan(
    ds: Dataset,
    holder: str,
    budget: float,
    cfg: PlanConfig | None = None,
    *,
    stockpile: Path | None = None,
    stage: Callable[[str], None] | None = None,
    sensitivity: bool = False,
    policy: Path | None = None,
    schedule: Path | None = None,
    coalition: Path | None = None,
    options: Path | None = None,
    forecast: str | None = None,
) -> PlanResult:
    """The planning run for a holder and a budget (USD), with the current holdings of a
    stockpile file if given (bad files and infeasible floors fail before any simulation).
    ``forecast``: a demand scenario (``stated_policies``, ``accelerated`` or a file): the plan
    then uses the projected demand, price forecasts and the warning-adjusted event rates
    (:func:`forecast_config`)."""

    c = cfg or PlanConfig()
    r = resolve(ds, holder=holder, year=c.year)
    assert r.holder is not None
    files = {"--stockpile": stockpile, "--policy": policy, "--schedule": schedule,
             "--coalition": coalition, "--options": options}  # fmt: skip
    how = rerun(r.holder, budget, c, files, sensitivity=sensitivity, forecast=forecast)
    if forecast is not None:
        c = forecast_config(ds, r.holder, c, forecast)
    current = None
    if stockpile is not None:
        current = load_stockpile(stockpile).arrays(build_market(ds, r.holder, c.year))
    res = run(ds, r.holder, budget, c, current=current, stage=stage, sensitivity=sensitivity)
    res.provenance = {**how, **res.provenance}
    res.summary = plan_summary(res)
    add_decisions(ds, res, policy=policy, schedule=schedule, coalition=coalition, options=options)
    return res


def load_plan_config(ref: str | Path | None) -> PlanConfig:
    """A plan YAML file, or a shipped example by name (``plan_gallium_germanium``); ``None``:
    the defaults."""
    return load_config(None if ref is None else example_path(ref))


def rerun(
    holder: str,
    budget: float,
    cfg: PlanConfig,
    files: dict[str, Path | None],
    *,
    sensitivity: bool = False,
    forecast: str | None = None,
) -> dict[str, str]:
    """What re-runs the plan: the whole command (files as FILE), the plan configuration that
    differs from the defaults with its SHA-256, and the SHA-256 of every file read (the
    scenario file among them). The same for a plan asked over HTTP."""
    given = cfg.model_dump(mode="json", exclude_defaults=True)
    flags = [f"--holder {holder}", f"--budget {budget:.15g}"]
    flags += ["--config FILE"] if given else []
    flags += [f"{opt} FILE" for opt, path in files.items() if path is not None]
    flags += ["--sensitivity"] if sensitivity else []
    flags += [f"--forecast {forecast}"] if forecast is not None else []
    out = {"command": "critmat plan " + " ".join(flags)}
    if given:
        text = json.dumps(given, sort_keys=True)
        out["plan config"] = text
        out["plan config sha256"] = hashlib.sha256(text.encode()).hexdigest()
    scenario = Path(cfg.scenario)
    paths = {**files, "scenario": scenario if scenario.suffix in (".yaml", ".yml") else None}
    for opt, path in paths.items():
        if path is not None and Path(path).is_file():
            digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
            out[f"{opt.lstrip('-')} file sha256"] = digest
    return out


def forecast_config(ds: Dataset, holder: str, cfg: PlanConfig, scenario: str) -> PlanConfig:
    """``cfg`` with the forecast's factors (docs/forecast.md, "In the plan"): the holder's
    projected demand over the plan's horizon relative to its base consumption (demand scenario
    ``scenario``), the price forecasts' first-year level relative to the last recorded year where
    a model beat the naive forecast in the backtest, and the early-warning multipliers of the
    random disruptions' rates."""

    sc = load_scenario(scenario)
    months = resolve_scenario(ds, cfg.scenario).horizon_months
    start = sc.base_year + 1
    growth = demand_growth(ds, holder, scenario, cfg.year, start, months, seed=cfg.seed)
    mats = sorted(growth)
    prices = run_prices(ds, PricesRequest(materials=mats, origins=6))
    factors: dict[str, float] = {}
    if not prices.forecasts.empty:
        for m, f in prices.forecasts.groupby("material"):
            if str(f["model"].iloc[0]) == "naive":
                continue  # no model beat naive: the flat price stays
            hist = prices.history[prices.history["material"] == m]
            first = f[f["period"].str[:4].astype(int) == int(f["period"].str[:4].astype(int).min())]
            factors[str(m)] = float(first["mean"].mean()) / float(hist["value"].iloc[-1])
    rates = event_rate_multipliers(ds, mats, start)
    return cfg.model_copy(update={"demand_growth": growth, "price_factor": factors,
                                  "event_rate_multiplier": rates})  # fmt: skip


def check_decisions(ds: Dataset, texts: dict[str, str]) -> None:
    """Refuse bad decision specs now (before a plan job is queued), naming what is wrong."""

    unknown = sorted(set(texts) - {"policy", "schedule", "options", "coalition"})
    if unknown:
        raise CritmatError(f"unknown decision(s) {unknown}; known: policy, schedule, options, "
                           "coalition")  # fmt: skip
    if "policy" in texts:
        check_policy_text(texts["policy"])
    if "schedule" in texts:
        check_schedule_text(ds, texts["schedule"])
    if "options" in texts:
        load_yaml_text(texts["options"], OptionsSpec, "options spec", "the options YAML")
    if "coalition" in texts:
        try:
            content = json.loads(texts["coalition"])
        except json.JSONDecodeError as exc:
            raise CritmatError(f"the coalition exchange is not JSON: {exc}") from None
        check_exchange(content)


def add_decisions_from_text(ds: Dataset, res: PlanResult, texts: dict[str, str]) -> None:
    """As :func:`add_decisions`, from the specs' texts (``policy``, ``schedule``, ``options``:
    YAML; ``coalition``: the exchange JSON), e.g. from an HTTP request."""
    import tempfile

    known = {"policy": ".yaml", "schedule": ".yaml", "options": ".yaml", "coalition": ".json"}
    unknown = sorted(set(texts) - set(known))
    if unknown:
        raise CritmatError(f"unknown decision(s) {unknown}; known: {', '.join(known)}")
    with tempfile.TemporaryDirectory() as d:
        paths: dict[str, Path] = {}
        for k, text in texts.items():
            paths[k] = Path(d) / f"{k}{known[k]}"
            paths[k].write_text(text, encoding="utf-8")
        add_decisions(ds, res, **paths)


def add_decisions(
    ds: Dataset,
    res: PlanResult,
    *,
    policy: Path | None = None,
    schedule: Path | None = None,
    coalition: Path | None = None,
    options: Path | None = None,
) -> None:
    """The decisions beyond the sizing, added to the plan's tables and report: the Markov
    build/draw policy, the acquisition schedule, the coalition and the options portfolio."""

    if policy is not None:
        rp = run_policy(example_path(policy), "policy")
        res.extras["Build and draw policy over time"] = (
            {"policy": rp.table},
            [f"{rp.spec.name}: sum of the value function {rp.objective:,.6g} (docs/policy.md)"],
        )
    if schedule is not None:
        ra = run_acquisition(ds, example_path(schedule))
        t = ra.tables()
        res.extras["Acquisition schedule and sourcing"] = (
            {"schedule_years": t["years"], "schedule_costs": t["summary"]},
            [f"{k}: {v}" for k, v in ra.inputs.items()],
        )
    if coalition is not None:
        rc = run_coalition(example_path(coalition))
        if rc.in_core is None:
            core = "not checked (over 12 members)"
        else:
            core = "in the core" if rc.in_core else "NOT in the core: " + "; ".join(rc.blocking)
        res.extras["Coalition"] = (
            {"coalition": rc.table},
            [f"pooled stock {rc.pooled_stock_t:,.1f} t {rc.exchange.basis}; value of cooperation "
             f"{rc.value_of_cooperation_usd:,.0f} USD; allocation {core}"],
        )  # fmt: skip
    if options is not None:
        ro = run_options(ds, example_path(options))
        res.extras["Options beyond stock"] = (
            {"options_portfolios": ro.portfolios, "options_stock": ro.shrink},
            [f"{k}: {v}" for k, v in ro.inputs.items()],
        )


def plan_summary(res: PlanResult) -> list[str]:
    """One screen: top risks, recommended holdings, total cost with its parts, why the budget
    is or is not spent, how sure (every figure from the result object)."""
    import numpy as np

    lines = []
    a = res.assessment
    a = a[a["is_bottleneck"] & a["score"].notna()].sort_values("score", ascending=False)
    top = [
        f"{r.material} (SR {r.score:.2f}{', critical' if str(r.critical) == 'True' else ''})"
        for r in a.head(3).itertuples()
    ]
    if top:
        lines.append("Top supply risks (EU method, bottleneck stage): " + ", ".join(top))
    comp = res.composition[res.composition["optimal_t"].fillna(0) > 0]
    comp = comp.sort_values("optimal_usd", ascending=False)
    held = [
        f"{r['material']} {sig(float(r['optimal_t']))} t {r['basis']} "
        f"({sig(float(r['optimal_usd']) / 1e6)} m USD, {sig(float(r['days_of_cover']))} days)"
        for r in comp.head(5).to_dict("records")
    ]
    more = len(comp) - len(held)
    lines.append(
        "Hold: "
        + ("; ".join(held) if held else "nothing")
        + (f"; and {more} more (table below)" if more > 0 else "")
    )
    rows = {str(r["plan"]): r for r in res.comparison.to_dict("records")}
    if "optimal" in rows:
        o = {k: float(v) for k, v in rows["optimal"].items() if isinstance(v, (int, float))}
        none = rows.get("none")
        lines.append(
            f"Total cost {o['total_cost_usd'] / 1e6:,.1f} m USD = spent "
            f"{o['spent_usd'] / 1e6:,.1f} + spread and holding "
            f"{(o['transaction_usd'] + o['holding_usd']) / 1e6:,.1f} - worth at the end "
            f"{o['residual_value_usd'] / 1e6:,.1f} + expected loss "
            f"{o['expected_loss_usd'] / 1e6:,.1f}"
            + (
                f" (without a reserve: expected loss {none['expected_loss_usd'] / 1e6:,.1f})"
                if none is not None
                else ""
            )
        )
        spent = float(o["spent_usd"])
        budget_notes = [n for n in res.notes if n.startswith("the budget does not bind")]
        lines.append(
            budget_notes[0][0].upper() + budget_notes[0][1:]
            if budget_notes
            else f"The budget binds: {spent / 1e6:,.1f} of {res.budget / 1e6:,.1f} m USD spent; "
            "more money would avoid more loss than it costs"
        )
    sure = []
    if res.gap is not None:
        sure.append(
            f"SAA optimality gap {res.gap.gap / 1e6:,.1f} m USD (95% bound "
            f"{res.gap.gap_bound95 / 1e6:,.1f})"
        )
    sens = res.sensitivity
    if sens is not None and "delta_total_cost_usd" in sens:
        ok = sens[sens["delta_total_cost_usd"].notna()]
        if len(ok):
            swing = ok.groupby("assumption")["delta_total_cost_usd"].agg(
                lambda v: float(np.max(np.abs(v)))
            )
            k = str(swing.idxmax())
            sure.append(f"total cost moves most with {k} (up to {swing[k] / 1e6:,.1f} m USD)")
    else:
        sure.append("run with --sensitivity for the tornado and ranges on the tonnes")
    lines.append("How sure: " + "; ".join(sure))
    return lines


def plan_tables(res: PlanResult) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """Every table of the plan by sheet name, and the README (provenance) for file output."""
    tables: dict[str, pd.DataFrame] = {
        "composition": res.composition,
        "comparison": res.comparison,
        "frontier": res.frontier,
        "plan_stocks_t": res.plan_stocks.reset_index(),
        "assessment": res.assessment,
    }
    if res.sensitivity is not None:
        tables["sensitivity"] = res.sensitivity
    if res.tonnes_ranges is not None:
        tables["tonnes_ranges"] = res.tonnes_ranges
    for extra, _ in res.extras.values():
        tables.update(extra)
    readme = {
        "command": res.provenance.get("command", f"critmat plan --holder {res.holder}"),
        **{f"summary {i + 1}": line for i, line in enumerate(res.summary)},
        **res.provenance,
    }
    return tables, readme


def plan_page(res: PlanResult) -> PlanPage:
    """What the planning page shows, taken from a finished plan (critmat.usecases.pages)."""
    m, g = res.market, res.gap
    agg, unmet = res.sim_with_stock.aggregates, res.sim_no_stock.paths.get("unmet")
    return PlanPage(
        holder=res.holder,
        budget=res.budget,
        alpha=res.config.alpha,
        max_release_share=res.config.max_release_share,
        materials=list(m.materials),
        basis=list(m.basis),
        price0=np.asarray(m.price0, dtype=np.float64),
        assessment=res.assessment,
        composition=res.composition,
        comparison=res.comparison,
        frontier=res.frontier,
        plan_stocks=res.plan_stocks,
        unmet_paths=None if unmet is None else unmet.astype(np.float64),
        expected_loss_usd=float(agg["loss_usd"].sum(axis=1).mean()),
        expected_loss_nostock_usd=float(agg["loss_usd_nostock"].sum(axis=1).mean()),
        gap=None if g is None else {k: float(v) for k, v in dataclasses.asdict(g).items()},
        provenance=res.provenance,
        notes=res.notes,
        timings=res.timings,
        summary=res.summary,
        sensitivity=res.sensitivity,
        tonnes_ranges=res.tonnes_ranges,
        extras=res.extras,
        loss_runs_usd=agg["loss_usd"].sum(axis=1).astype(np.float64),
        loss_runs_nostock_usd=agg["loss_usd_nostock"].sum(axis=1).astype(np.float64),
    )


def check_brief(out: Path | None) -> None:
    """Refuse, before any work, a brief that could not be written (critmat plan --brief)."""
    if out is not None:
        brief_paths(out)


def write_plan_brief(res: PlanResult, out: str | Path) -> tuple[Path, Path]:
    """The printable brief, as PDF and HTML (critmat.report.brief_pdf.write_brief)."""
    return write_brief(plan_page(res), out)


def write_plan_report(res: PlanResult, out: str | Path) -> Path:
    """The planning page (critmat.report.plan_report renders the result's page)."""
    return write(plan_page(res), out)


def plan_result(res: PlanResult) -> Outcome:
    """A finished plan as every face shows it (critmat.usecases): the tables of
    :func:`plan_tables`, the one-screen summary, the provenance and the timings."""
    tables, readme = plan_tables(res)
    fields: dict[str, object] = {
        "holder": res.holder,
        "budget_usd": res.budget,
        "summary": res.summary,
        "provenance": res.provenance,
        "timings_s": res.timings,
    }
    for name in ("sensitivity", "tonnes_ranges"):  # null when not asked for
        if name not in tables:
            fields[name] = None
    return Outcome(tables=tables, readme=readme, notes=list(res.notes), fields=fields,
                   main="composition", volatile=("timings_s", "solvers.seconds",
                                                 "solvers.build_s", "solvers.solve_s"))  # fmt: skip


def plan_outcome(
    ds: Dataset, req: PlanRequest, progress: Callable[[int], None] | None = None
) -> Outcome:
    """The registry's runner: the plan of the request, with its decisions given as texts."""
    cfg = PlanConfig.model_validate(req.config)
    res = run_plan(ds, req.holder, req.budget, cfg, sensitivity=req.sensitivity)
    if req.decisions:
        add_decisions_from_text(ds, res, dict(req.decisions))
    return plan_result(res)


def check_plan_request(ds: Dataset, req: PlanRequest) -> None:
    """A plan request is refused now for a bad config, holder or year, or decisions."""

    cfg = PlanConfig.model_validate(req.config)
    resolve(ds, holder=req.holder, year=cfg.year)
    check_decisions(ds, req.decisions)
