"""Acquisition schedule: multi-year buying of one material under a yearly budget and a
market-impact cap, from origins with their own price premium, footprint and ESG standing, with
an explicit rule for rebuilding after a release; against buying evenly.

A linear program (HiGHS through SciPy): ``q[y, o] >= 0`` tonnes bought in year ``y`` from origin
``o``; stock ``s_y = s_0 + sum_{t<=y} (sum_o q[t, o] - release_t)``;

    min  sum_y d^y [ sum_o (p_y (1 + prem_o) + c co2_o) q[y, o] + h s_y ]
    s.t. sum_o p_y (1 + prem_o) q[y, o] <= budget_y           (yearly budget)
         sum_o q[y, o] <= cap_y = impact x world supply_y      (market impact)
         q[y, o] <= share_o x cap_y,  q[y, o] = 0 if excluded  (origin limits, ESG floor)
         s_y >= requirement_y >= 0                             (target by the deadline; after a
                                                                release in year r, the target
                                                                again by the end of r + k - 1)
         sum_{y,o} co2_o q[y, o] <= co2 cap                    (optional)

with ``d = 1 / (1 + discount rate)``, ``c`` the carbon price, ``h`` the holding cost per tonne
and year. Buying evenly: the same requirements met by equal yearly tonnes up to the deadline and
equal tonnes over the ``k`` years after a release, each year from the cheapest allowed origins
first; its budget or cap breaches are reported, not hidden.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = ["AcquisitionProblem", "Schedule", "even_schedule", "requirements", "solve_schedule"]

Arr = npt.NDArray[np.float64]


@dataclass
class AcquisitionProblem:
    """Arrays of one material's schedule (Y years, O origins; tonnes of the basis, USD)."""

    prices: Arr  # [Y] USD per t of the basis, the market price each year
    budget: Arr  # [Y] USD
    cap_t: Arr  # [Y] t: market-impact cap (share of world supply)
    releases_t: Arr  # [Y] t released at the start of the year
    origins: list[str]
    premium: Arr  # [O] price premium over the market (fraction)
    co2: Arr  # [O] t CO2e per t of the basis
    share: Arr  # [O] share of the yearly cap an origin can supply
    allowed: npt.NDArray[np.bool_]  # [O] meets the ESG floor
    start_t: float
    target_t: float
    deadline: int  # year index by which the target is reached
    rebuild_years: int  # k: back at target by the end of year r + k - 1 after a release in r
    holding_usd_per_t_year: float
    discount_rate: float
    carbon_price: float  # USD per t CO2e
    co2_cap_t: float | None

    @property
    def years(self) -> int:
        return int(self.prices.size)


@dataclass
class Schedule:
    """Tonnes per year and origin, and what they cost."""

    name: str
    q: Arr  # [Y, O]
    stock: Arr  # [Y] end-of-year stock
    feasible: bool
    breaches: list[str]

    def frame(self, p: AcquisitionProblem) -> pd.DataFrame:
        """Tidy: year, origin, tonnes, purchase USD, carbon t CO2e."""
        y, o = np.nonzero(self.q > 1e-9)
        return pd.DataFrame(
            {
                "plan": self.name,
                "year": y + 1,
                "origin": [p.origins[i] for i in o],
                "bought_t": self.q[y, o],
                "price_usd_per_t": p.prices[y] * (1 + p.premium[o]),
                "purchase_usd": self.q[y, o] * p.prices[y] * (1 + p.premium[o]),
                "co2e_t": self.q[y, o] * p.co2[o],
            }
        )

    def costs(self, p: AcquisitionProblem) -> dict[str, float]:
        """Purchase, carbon and holding costs (discounted, USD) and the footprint (t CO2e)."""
        d = (1 + p.discount_rate) ** -np.arange(p.years)
        unit = p.prices[:, None] * (1 + p.premium[None, :])
        purchase = float((d[:, None] * unit * self.q).sum())
        carbon = float((d[:, None] * p.carbon_price * p.co2[None, :] * self.q).sum())
        holding = float((d * p.holding_usd_per_t_year * self.stock).sum())
        return {
            "purchase_usd": purchase,
            "carbon_usd": carbon,
            "holding_usd": holding,
            "total_usd": purchase + carbon + holding,
            "footprint_co2e_t": float((p.co2[None, :] * self.q).sum()),
            "bought_t": float(self.q.sum()),
        }


def requirements(p: AcquisitionProblem) -> Arr:
    """The stock each year must reach: the target from the deadline on, waived for the
    ``rebuild_years`` years that start with a release (the rebuild rule)."""
    req = np.where(np.arange(p.years) >= p.deadline, p.target_t, 0.0)
    for r in np.flatnonzero(p.releases_t > 0):
        req[r : r + p.rebuild_years] = 0.0
    return req


def _stock(p: AcquisitionProblem, q: Arr) -> Arr:
    out: Arr = p.start_t + np.cumsum(q.sum(axis=1) - p.releases_t)
    return out


def solve_schedule(p: AcquisitionProblem, name: str = "optimal") -> Schedule:
    """The cheapest schedule (HiGHS); infeasible requirements raise with the binding reason."""
    from scipy.optimize import linprog

    y_n, o_n = p.years, len(p.origins)
    d = (1 + p.discount_rate) ** -np.arange(y_n)
    unit = p.prices[:, None] * (1 + p.premium[None, :])  # [Y, O]
    # holding: a tonne bought in year y is held at the end of years y..Y-1
    hold_from = np.cumsum((d * p.holding_usd_per_t_year)[::-1])[::-1]
    cost = d[:, None] * (unit + p.carbon_price * p.co2[None, :]) + hold_from[:, None]
    n = y_n * o_n
    idx = np.arange(n).reshape(y_n, o_n)
    rows, cols, vals, ub = [], [], [], []
    r = 0
    for y in range(y_n):  # a few rows per year: the LP is small (Y x O columns)
        rows += [r] * o_n
        cols += list(idx[y])
        vals += list(unit[y])
        ub.append(p.budget[y])
        r += 1
        rows += [r] * o_n
        cols += list(idx[y])
        vals += [1.0] * o_n
        ub.append(p.cap_t[y])
        r += 1
    cum_rel = np.cumsum(p.releases_t)
    req = requirements(p)
    for y in range(y_n):  # -s_y <= -max(req_y, 0)  <=>  -sum_{t<=y} q <= s0 - cum_rel_y - req_y
        k = idx[: y + 1].ravel()
        rows += [r] * k.size
        cols += list(k)
        vals += [-1.0] * k.size
        ub.append(p.start_t - cum_rel[y] - req[y])
        r += 1
    if p.co2_cap_t is not None:
        rows += [r] * n
        cols += list(range(n))
        vals += list(np.tile(p.co2, y_n))
        ub.append(p.co2_cap_t)
        r += 1
    import scipy.sparse as sp

    a = sp.csr_matrix((vals, (rows, cols)), shape=(r, n))
    upper = (p.share[None, :] * p.cap_t[:, None]) * p.allowed[None, :]
    bounds = list(zip(np.zeros(n), upper.ravel(), strict=True))
    res = linprog(cost.ravel(), A_ub=a, b_ub=np.array(ub), bounds=bounds, method="highs")
    if res.status != 0:
        raise ValueError(_why_infeasible(p))
    q = np.maximum(res.x.reshape(y_n, o_n), 0.0)
    return Schedule(name, q, _stock(p, q), True, [])


def _why_infeasible(p: AcquisitionProblem) -> str:
    """Name what cannot be met: tonnes the caps and budgets allow by each required year."""
    req = requirements(p)
    cheapest = np.where(p.allowed, p.premium, np.inf).min()
    per_year = np.minimum(
        p.cap_t * np.where(p.allowed, p.share, 0.0).sum().clip(max=1.0),
        p.budget / (p.prices * (1 + cheapest)) if np.isfinite(cheapest) else 0.0,
    )
    reach = p.start_t + np.cumsum(per_year - p.releases_t)
    short = np.flatnonzero(reach + 1e-9 < req)
    if not p.allowed.any():
        return "no origin meets the ESG floor: lower min_esg_score or add origins"
    if short.size:
        y = int(short[0])
        return (
            f"the target {p.target_t:,.0f} t cannot be reached by year {y + 1}: the yearly "
            f"budget and the market-impact cap allow at most {reach[y]:,.0f} t by then "
            "(raise the budget or the cap, extend the deadline or lower the target)"
        )
    if p.co2_cap_t is not None:
        return f"the carbon cap of {p.co2_cap_t:,.0f} t CO2e is too tight for the target"
    return "the schedule's constraints cannot all be met"


def even_schedule(p: AcquisitionProblem) -> Schedule:
    """Buying evenly: equal tonnes each year up to the deadline, equal tonnes over the rebuild
    window after a release; each year's tonnes from the cheapest allowed origins (price and
    carbon) within their shares of the cap. Budget and cap breaches are listed."""
    y_n = p.years
    tonnes = np.zeros(y_n)
    first = max(p.target_t - p.start_t, 0.0)
    tonnes[: p.deadline + 1] += first / (p.deadline + 1)
    for r in np.flatnonzero(p.releases_t > 0):
        r0, r1 = int(r), min(int(r) + p.rebuild_years, y_n)
        tonnes[r0:r1] += p.releases_t[r0] / (r1 - r0)
    order = np.argsort(p.premium * p.prices.mean() + p.carbon_price * p.co2)
    q = np.zeros((y_n, len(p.origins)))
    breaches = []
    for y in range(y_n):  # allocation per year (greedy by effective price)
        left = tonnes[y]
        for o in order:
            if not p.allowed[o] or left <= 0:
                continue
            take = min(left, p.share[o] * p.cap_t[y])
            q[y, o], left = take, left - take
        if left > 1e-6:
            breaches.append(f"year {y + 1}: {left:,.0f} t above the origins' share of the cap")
        spend = float((p.prices[y] * (1 + p.premium) * q[y]).sum())
        if spend > p.budget[y] * (1 + 1e-9):
            breaches.append(f"year {y + 1}: spends {spend:,.0f} USD, budget {p.budget[y]:,.0f}")
    stock = _stock(p, q)
    short = np.flatnonzero(stock + 1e-6 < requirements(p))
    breaches += [f"year {y + 1}: stock {stock[y]:,.0f} t below the requirement" for y in short]
    return Schedule("even", q, stock, not breaches, breaches)
