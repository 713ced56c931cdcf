"""The plan's briefing: one or two printed pages a ministry can forward.

The decision (what to hold and what it costs), the money (total cost with and without the
reserve), the band (the spread of the simulated losses), one chart (the spend per material) and
the sources and assumptions named, with the command that re-runs it. This module holds the
content; critmat.report.brief_html and critmat.report.brief_pdf render it (HTML with a print
stylesheet and an inline SVG chart, no script; PDF through ReportLab). Every figure comes from
the finished plan (:class:`PlanPage`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from critmat import __version__
from critmat.report.numbers import sig, usd
from critmat.usecases.pages import PlanPage

__all__ = ["Brief", "brief_from_page"]

#: materials listed by name in the decision table (the rest summed in one line)
TOP = 10


@dataclass(frozen=True)
class Brief:
    """The brief's content as text and numbers (rendered by :func:`brief_html` and
    :func:`critmat.report.brief_pdf.write_pdf`)."""

    title: str
    subtitle: str
    decision: str
    holdings: list[list[str]]  # header row first: material, t, basis, cost, days of cover
    money: list[list[str]]  # header row first: quantity, without the reserve, with it
    band: str
    chart: list[tuple[str, float]]  # (material, spend USD m), largest first
    assumptions: list[tuple[str, str]]
    notes: list[str]
    command: str


def brief_from_page(p: PlanPage, *, generated: datetime | None = None) -> Brief:
    """The brief of a finished plan."""
    when = (generated or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    comp = p.composition[p.composition["optimal_t"].fillna(0) > 0]
    comp = comp.sort_values("optimal_usd", ascending=False)
    spent = float(comp["optimal_usd"].sum())
    rows = [["material", "stock", "basis", "cost", "days of cover"]]
    for r in comp.head(TOP).to_dict("records"):
        rows.append([str(r["material"]), f"{sig(float(r['optimal_t']))} t", str(r["basis"]),
                     usd(float(r["optimal_usd"])), sig(float(r["days_of_cover"]))])  # fmt: skip
    if len(comp) > TOP:
        rest = comp.iloc[TOP:]
        rows.append([f"{len(rest)} more", "", "", usd(float(rest["optimal_usd"].sum())), ""])
    plans = {str(r["plan"]): r for r in p.comparison.to_dict("records")}
    opt, none = plans.get("optimal"), plans.get("none")
    decision = (
        f"Hold {len(comp)} materials for {usd(spent)}, {spent / p.budget:.0%} of the "
        f"{usd(p.budget)} budget."
        if len(comp) and p.budget > 0
        else "Hold nothing: no tonne avoids more expected loss than it costs."
    )
    budget_note = [n for n in p.notes if n.startswith("the budget does not bind")]
    if budget_note:
        decision += " The budget does not bind: beyond this, a tonne costs more than it saves."
    return Brief(
        title=f"Critical-materials reserve for {p.holder}: what to hold",
        subtitle=f"critmat {__version__}, run {when}; budget {usd(p.budget)}; "
        f"money in nominal USD, tonnes of each material's basis",
        decision=decision,
        holdings=rows,
        money=_money(opt, none, p.alpha),
        band=_band(p),
        chart=[
            (str(r["material"]), float(r["optimal_usd"]) / 1e6)
            for r in comp.head(TOP).to_dict("records")
        ],
        assumptions=[(k, v) for k, v in p.provenance.items() if k != "command"],
        notes=[n for n in p.notes if n not in budget_note][:6],
        command=p.provenance.get("command", ""),
    )


def _money(opt: dict | None, none: dict | None, alpha: float) -> list[list[str]]:  # type: ignore[type-arg]
    head = ["", "without a reserve", "with the reserve"]
    if opt is None or none is None:
        return [head]
    worst = f"loss, worst {1 - alpha:.0%} of futures (mean)"
    out = [head]
    for label, key in (("expected loss", "expected_loss_usd"), (worst, "cvar_loss_usd"),
                       ("total cost (purchase, holding, loss, less worth at the end)",
                        "total_cost_usd")):  # fmt: skip
        out.append([label, usd(float(none[key])), usd(float(opt[key]))])
    out.append(["bought", "", usd(float(opt["spent_usd"]))])
    out.append(["loss avoided per USD spent", "", sig(float(opt["loss_avoided_per_usd"]))])
    return out


def _band(p: PlanPage) -> str:
    with_, without = p.loss_runs_usd, p.loss_runs_nostock_usd
    if with_ is None or without is None or len(with_) < 2:
        return "No spread: the plan was evaluated on fixed parameters."
    lo0, hi0 = np.percentile(without, [5, 95])
    lo1, hi1 = np.percentile(with_, [5, 95])
    text = (
        f"Across {len(with_):,} simulated futures (fresh runs, not those the plan was "
        f"optimised on), the loss lies between {usd(lo0)} and {usd(hi0)} without the reserve "
        f"and between {usd(lo1)} and {usd(hi1)} with it (5th to 95th percentile)."
    )
    if p.gap is not None:
        text += (
            f" The plan is within {usd(p.gap['gap_bound95'])} of the best possible on these "
            "assumptions (95 % bound on the optimality gap)."
        )
    return text
