"""Early-warning index: signals that raise the odds of a supply disruption, their combination
into a disruption-rate multiplier for the simulator, and its backtest against the recorded events
(docs/methods.md 8.4-8.5).

Signals of material m in year Y use only data dated Y-1 or earlier (known at the start of Y):

====================== ================================================================ ======
signal                 definition                                                        sign
====================== ================================================================ ======
price_momentum         log change of the annual average price, Y-2 -> Y-1                +
price_volatility       std of the annual log price changes over Y-4..Y-1                 +
concentration_rise     change of the exporters' HHI (world trade, t) Y-4 -> Y-1          +
governance_decline     fall of the supply-weighted WGI political stability, Y-4 -> Y-1   +
recent_restrictions    export restrictions, embargoes, withholding started in Y-3..Y-1
                       by the material's suppliers, weighted by their supply shares      +
hazard_exposure        supply-weighted climate hazard of the producing countries (INFORM
                       drought and river flood, Aqueduct water stress and drought,
                       ND-GAIN vulnerability; water counted twice for brine lithium)     +
====================== ================================================================ ======

Each signal is standardised with a robust scaling fitted once on the panel (median and
1.4826 x median absolute deviation), clipped to +-3, a missing value counts 0 (neutral). The
index is the weighted mean ``I = sum w_i z_i / sum w_i`` (weights >= 0, documented defaults);
the multiplier of the event rates is ``clip(exp(beta * I), 0.5, 4)``. Both are monotone
non-decreasing in every signal (tested). :func:`fit_weights` fits non-negative weights by an
L2-penalised logistic regression of event onsets on the signals, for comparison.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = [
    "DEFAULT_WEIGHTS",
    "SIGNALS",
    "Scaling",
    "WarningInputs",
    "backtest_index",
    "fit_scaling",
    "fit_weights",
    "multiplier",
    "signals",
    "warning_index",
]

F64 = npt.NDArray[np.float64]
SIGNALS = (
    "price_momentum",
    "price_volatility",
    "concentration_rise",
    "governance_decline",
    "recent_restrictions",
    "hazard_exposure",
)
#: Default weights (critmat assumption, docs/methods.md 8.4): restrictions by the same actors
#: are the strongest recorded precursor; price signals next; slow structural signals last.
DEFAULT_WEIGHTS: dict[str, float] = {
    "price_momentum": 1.0,
    "price_volatility": 0.5,
    "concentration_rise": 0.5,
    "governance_decline": 0.5,
    "recent_restrictions": 1.5,
    "hazard_exposure": 0.25,
}
#: beta: an index of +1 (one robust standard deviation on the weighted mean) doubles the rates
DEFAULT_BETA = float(np.log(2.0))
BOUNDS = (0.5, 4.0)
RESTRICTIVE = {"export_restriction", "embargo", "withholding", "sanctions_risk"}


@dataclass
class WarningInputs:
    """The panel's raw data (built from the dataset by critmat.services.forecast)."""

    prices: pd.DataFrame  # material, year, price (annual average, one series per material)
    supply: pd.DataFrame  # material, country, share (main stage, latest year)
    hhi: pd.DataFrame  # material, year, hhi (exporters' concentration, 0..1)
    governance: pd.DataFrame  # country, year, pv (WGI political stability estimate)
    events: pd.DataFrame  # event_id, materials (list), actor, event_type, year
    hazard: pd.DataFrame  # country, hazard, water (0..1 composites)
    water_sensitive: set[str] = field(default_factory=lambda: {"lithium"})


def _lagged(s: pd.Series, year: int, lag: int) -> float:
    return float(s.get(year - lag, np.nan))


def signals(inp: WarningInputs, years: list[int]) -> pd.DataFrame:
    """Raw signals per material and year (see the module docstring), data up to year - 1."""
    rows = []
    gov = inp.governance.pivot_table(index="year", columns="country", values="pv")
    haz = inp.hazard.set_index("country")
    restrictive = inp.events[inp.events["event_type"].isin(RESTRICTIVE)]
    for m, sup in inp.supply.groupby("material"):
        shares = sup.set_index("country")["share"]
        shares = shares / max(float(shares.sum()), 1e-12)
        p = inp.prices[inp.prices["material"] == m].set_index("year")["price"].sort_index()
        lp = np.log(p[p > 0])
        h = inp.hhi[inp.hhi["material"] == m].set_index("year")["hhi"]
        cols = [c for c in shares.index if c in gov.columns]
        w = shares[cols]
        pv = (gov[cols] * w).sum(axis=1) / max(float(w.sum()), 1e-12) if cols else pd.Series()
        hz = haz.reindex(shares.index)
        water = m in inp.water_sensitive
        comp = (hz["hazard"] + (hz["water"] if water else 0.0)) / (2.0 if water else 1.0)
        hazard = float((comp.fillna(comp.mean()) * shares).sum()) if comp.notna().any() else np.nan
        for y in years:
            window = lp[(lp.index >= y - 4) & (lp.index <= y - 1)]
            d = np.diff(window.to_numpy()) if len(window) >= 2 else np.array([])
            ev = restrictive[(restrictive["year"] >= y - 3) & (restrictive["year"] <= y - 1)]
            counts = ev["actor"].value_counts()
            rows.append(
                {
                    "material": m,
                    "year": y,
                    "price_momentum": _lagged(lp, y, 1) - _lagged(lp, y, 2),
                    "price_volatility": float(np.std(d, ddof=1)) if len(d) >= 2 else np.nan,
                    "concentration_rise": _lagged(h, y, 1) - _lagged(h, y, 4),
                    "governance_decline": _lagged(pv, y, 4) - _lagged(pv, y, 1),
                    "recent_restrictions": float(
                        sum(float(shares.get(a, 0.0)) * n for a, n in counts.items())
                    ),
                    "hazard_exposure": hazard,
                }
            )
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class Scaling:
    """Robust standardisation of each signal: z = (x - centre) / spread, clipped to +-3."""

    centre: dict[str, float]
    spread: dict[str, float]

    def apply(self, raw: pd.DataFrame) -> pd.DataFrame:
        z = raw[["material", "year"]].copy()
        for s in SIGNALS:
            v = (raw[s].astype(float) - self.centre[s]) / self.spread[s]
            z[s] = v.clip(-3.0, 3.0).fillna(0.0)
        return z


def fit_scaling(raw: pd.DataFrame) -> Scaling:
    """Median and 1.4826 x MAD of each signal over the panel (a unit spread if degenerate)."""
    centre, spread = {}, {}
    for s in SIGNALS:
        x = raw[s].astype(float).dropna().to_numpy()
        med = float(np.median(x)) if len(x) else 0.0
        mad = 1.4826 * float(np.median(np.abs(x - med))) if len(x) else 0.0
        if mad <= 1e-12:
            mad = float(np.std(x)) if len(x) > 1 and np.std(x) > 1e-12 else 1.0
        centre[s], spread[s] = med, mad
    return Scaling(centre, spread)


def warning_index(
    raw: pd.DataFrame,
    scaling: Scaling,
    weights: dict[str, float] | None = None,
    beta: float = DEFAULT_BETA,
) -> pd.DataFrame:
    """The standardised signals, the index and the event-rate multiplier per material-year."""
    w = {**DEFAULT_WEIGHTS, **(weights or {})}
    if any(v < 0 for v in w.values()) or beta < 0:
        raise ValueError("weights and beta must be >= 0 (the index must rise with each signal)")
    z = scaling.apply(raw)
    total = sum(w[s] for s in SIGNALS)
    z["index"] = sum(w[s] * z[s] for s in SIGNALS) / max(total, 1e-12)
    z["multiplier"] = multiplier(z["index"].to_numpy(float), beta)
    return z


def multiplier(index: F64, beta: float = DEFAULT_BETA) -> F64:
    """``clip(exp(beta * index), 0.5, 4)``: the factor on a material's disruption rates."""
    return np.clip(np.exp(beta * np.asarray(index, float)), *BOUNDS)


def onsets(events: pd.DataFrame, panel: pd.DataFrame) -> pd.Series:
    """1 where an event (any type) involving the material starts in that year."""
    hit = set()
    for _, e in events.iterrows():
        for m in e["materials"]:
            hit.add((m, int(e["year"])))
    return pd.Series(
        [int((m, int(y)) in hit) for m, y in zip(panel["material"], panel["year"], strict=True)],
        index=panel.index,
    )


def fit_weights(z: pd.DataFrame, y: pd.Series, penalty: float = 1.0) -> dict[str, float]:
    """Non-negative weights and beta by L2-penalised logistic regression of onsets ``y`` on the
    standardised signals (scipy L-BFGS-B). Returns the weights (summing to the signal count,
    like the defaults' scale), ``beta`` and ``intercept``."""
    from scipy.optimize import minimize

    x = z[list(SIGNALS)].to_numpy(float)
    t = y.to_numpy(float)

    def loss(theta: F64) -> tuple[float, F64]:
        eta = theta[0] + x @ theta[1:]
        p = 1.0 / (1.0 + np.exp(-eta))
        ll = -np.sum(t * eta - np.logaddexp(0.0, eta)) + 0.5 * penalty * np.sum(theta[1:] ** 2)
        grad = np.concatenate([[np.sum(p - t)], x.T @ (p - t) + penalty * theta[1:]])
        return float(ll), grad

    start = np.zeros(1 + len(SIGNALS))
    start[0] = np.log(max(t.mean(), 1e-3) / max(1 - t.mean(), 1e-3))
    res = minimize(
        loss,
        start,
        jac=True,
        method="L-BFGS-B",
        bounds=[(None, None)] + [(0.0, None)] * len(SIGNALS),
    )
    coef = res.x[1:]
    total = float(coef.sum())
    out = {
        s: (float(c) * len(SIGNALS) / total if total > 0 else 0.0)
        for s, c in zip(SIGNALS, coef, strict=True)
    }
    # with w proportional to the coefficients c, c . z = sum(c) * I: the log-odds slope on the
    # index (and, for rare events, the log rate multiplier) is sum(c)
    out["beta"] = total
    out["intercept"] = float(res.x[0])
    return out


def backtest_index(
    idx: pd.DataFrame,
    events: pd.DataFrame,
    *,
    threshold: float = 0.5,
    lead: int = 3,
    horizon: int = 2,
    known_until: int | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Did the index rise before each event, how early, and how many false alarms?

    Per event and material: the index in the event's start year (known at the start of that
    year), whether it was at or above ``threshold`` (a warning), the lead (consecutive years up
    to the start with a warning, at most ``lead``). Per material: warnings not followed by an
    event within ``horizon`` years (false alarms) out of all warnings; a warning whose window
    reaches past ``known_until`` (the last year the events table covers) is ``pending``, not
    false."""
    by = idx.set_index(["material", "year"])["index"]
    rows = []
    for _, e in events.iterrows():
        y0 = int(e["year"])
        for m in e["materials"]:
            if (m, y0) not in by.index:
                continue
            run = 0
            for k in range(lead):
                v = by.get((m, y0 - k), np.nan)
                if np.isfinite(v) and v >= threshold:
                    run += 1
                else:
                    break
            rows.append(
                {
                    "event_id": e["event_id"],
                    "material": m,
                    "start_year": y0,
                    "event_type": e["event_type"],
                    "actor": e["actor"],
                    "index_at_start": float(by[(m, y0)]),
                    "index_year_before": float(by.get((m, y0 - 1), np.nan)),
                    "warned": bool(by[(m, y0)] >= threshold),
                    "lead_years": run,
                }
            )
    per_event = pd.DataFrame(rows)
    starts = {(m, int(e["year"])) for _, e in events.iterrows() for m in e["materials"]}
    alarms = []
    end = known_until if known_until is not None else int(idx["year"].max())
    for m, g in idx.groupby("material"):
        warn = g[g["index"] >= threshold]
        hit = [y for y in warn["year"] if any((m, y + k) in starts for k in range(horizon + 1))]
        pending = [y for y in warn["year"] if y not in hit and y + horizon > end]
        false = [y for y in warn["year"] if y not in hit and y not in pending]
        alarms.append(
            {
                "material": m,
                "years": len(g),
                "warnings": len(warn),
                "false_alarms": len(false),
                "pending": len(pending),
                "false_alarm_years": ", ".join(str(int(y)) for y in false),
            }
        )
    return per_event, pd.DataFrame(alarms)
