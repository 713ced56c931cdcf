"""Coalitions: members pooling one material's stockpile against each holding alone.

Arrays only. Each member ``i`` has a shortfall ``u[i, w]`` (t of the basis) in scenario ``w``
(scenarios aligned: the same ``w`` is the same world event for every member), a loss per tonne
short ``loss[i]`` (USD/t) and a cost per tonne held over the horizon ``cost[i]`` (USD/t:
purchase, holding, less what the tonne is worth at the end).

- **Alone**: ``min_S cost_i S + E[loss_i (u_i - S)^+]``; the optimum is the quantile of ``u_i``
  at the critical fractile ``1 - cost_i / loss_i`` (newsvendor; exact on the sample).
- **Pooled**, stock ``S`` split in a disruption by a sharing rule:
  - ``need`` (as in the IEA's coordinated releases, by share of the shortfall): member ``i``
    receives ``u_i min(1, S / U_w)`` with ``U_w = sum_i u[i, w]``;
  - ``contribution``: each member first draws up to its contribution ``c_i S``, then the unused
    rest of the pool is lent to members still short, in proportion to what they still need.
  The pooled stock is chosen to minimise the coalition's total cost (exact for ``need``: its
  expected loss is piecewise linear in ``S`` with kinks at the ``U_w``; the same candidates and
  a fine grid for ``contribution``).
- **Joint procurement**: a volume discount by tier on the tonnes bought together.
- **Cost allocation**: each member pays for its contribution share ``c_i`` of the pooled stock
  (``c_i`` proportional to its expected need) and bears its own expected loss; individual
  rationality: no member pays more than alone; the core: no sub-coalition could do better on
  its own (checked for every subset, up to 12 members).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = [
    "CoalitionProblem",
    "allocate",
    "alone_optimum",
    "core_check",
    "discounted_price_factor",
    "pooled_loss",
    "pooled_optimum",
    "received",
]

Arr = npt.NDArray[np.float64]
MAX_CORE_MEMBERS = 12


@dataclass
class CoalitionProblem:
    """N members, W scenarios (equally likely)."""

    members: list[str]
    need: Arr  # [N, W] t short without any stock
    loss: Arr  # [N] USD per t short
    cost: Arr  # [N] USD per t held over the horizon
    rule: str  # "need" | "contribution"
    tiers: list[tuple[float, float]]  # (from t, discount fraction), ascending

    @property
    def share(self) -> Arr:
        """Contribution shares: proportional to expected need (equal if nobody needs)."""
        return _shares(self.need)


def _shares(need: Arr) -> Arr:
    """Shares proportional to each row's expected need (equal if nobody needs)."""
    m = need.mean(axis=1)
    out: Arr = m / m.sum() if m.sum() > 0 else np.full(m.size, 1.0 / m.size)
    return out


def discounted_price_factor(tonnes: float, tiers: list[tuple[float, float]]) -> float:
    """The price multiplier ``1 - discount`` of the highest tier reached by ``tonnes``."""
    d = 0.0
    for start, disc in tiers:
        if tonnes >= start:
            d = disc
    return 1.0 - d


def alone_optimum(need: Arr, loss: float, cost: float) -> float:
    """The newsvendor stock: the smallest ``S`` with ``P(u <= S) >= 1 - cost / loss``."""
    if loss <= cost or not np.any(need > 0):
        return 0.0
    q = 1.0 - cost / loss
    s = np.sort(need)
    k = int(np.ceil(q * s.size)) - 1
    return float(s[min(max(k, 0), s.size - 1)])


def _alone_cost(need: Arr, loss: float, cost: float, tiers: list[tuple[float, float]]) -> float:
    s = alone_optimum(need, loss, cost)
    return float(
        cost * discounted_price_factor(s, tiers) * s + loss * np.maximum(need - s, 0).mean()
    )


def received(p: CoalitionProblem, stock: float, members: npt.NDArray[np.int64] | None = None
             ) -> Arr:  # fmt: skip
    """Tonnes each member receives from a pooled ``stock`` per scenario ``[n, W]`` under the
    sharing rule (never more than its need; in total ``min(stock, total need)``)."""
    idx = np.arange(len(p.members)) if members is None else members
    u = p.need[idx]
    if p.rule == "need":
        total = u.sum(axis=0)
        frac = np.where(total > 0, np.minimum(1.0, stock / np.where(total > 0, total, 1.0)), 1.0)
        out: Arr = u * frac[None, :]
        return out
    share = _shares(u)
    first = np.minimum(u, (share * stock)[:, None])  # own contribution first
    left = stock - first.sum(axis=0)  # the unused rest of the pool, per scenario
    still = u - first
    want = still.sum(axis=0)
    lend = np.where(want > 0, np.minimum(1.0, left / np.where(want > 0, want, 1.0)), 0.0)
    out = first + still * lend[None, :]
    return out


def pooled_loss(p: CoalitionProblem, stock: float, members: npt.NDArray[np.int64] | None = None
                ) -> Arr:  # fmt: skip
    """Expected loss per member (USD) with a pooled ``stock`` among ``members`` (default all)."""
    idx = np.arange(len(p.members)) if members is None else members
    unmet = p.need[idx] - received(p, stock, idx)
    out: Arr = p.loss[idx] * unmet.mean(axis=1)
    return out


def pooled_optimum(p: CoalitionProblem, members: npt.NDArray[np.int64] | None = None
                   ) -> tuple[float, float]:  # fmt: skip
    """(stock, total cost) of the best pooled stock for ``members``: candidates at the
    scenarios' total needs (the kinks) and 0, plus a grid of 200 for the contribution rule."""
    idx = np.arange(len(p.members)) if members is None else members
    share = _shares(p.need[idx])
    unit = float((share * p.cost[idx]).sum())  # cost per pooled tonne (contribution-weighted)
    totals = p.need[idx].sum(axis=0)
    cand = np.unique(np.concatenate([[0.0], totals]))
    if p.rule != "need":
        cand = np.unique(np.concatenate([cand, np.linspace(0.0, totals.max(initial=0.0), 200)]))
    best = (0.0, np.inf)
    for s in cand:  # candidates of one scalar (at most W + 201), each vectorised over scenarios
        c = unit * discounted_price_factor(float(s), p.tiers) * s + float(
            pooled_loss(p, s, idx).sum()
        )
        if c < best[1] - 1e-9 * max(1.0, abs(c)):
            best = (float(s), c)
    return best


def allocate(p: CoalitionProblem) -> pd.DataFrame:
    """Per member: stock and cost alone, contribution and cost in the grand coalition, the gain
    and whether it is individually rational."""
    stock, _ = pooled_optimum(p)
    share = p.share
    loss_pool = pooled_loss(p, stock)
    factor = discounted_price_factor(stock, p.tiers)
    rows = []
    for i, name in enumerate(p.members):
        s_alone = alone_optimum(p.need[i], float(p.loss[i]), float(p.cost[i]))
        alone = _alone_cost(p.need[i], float(p.loss[i]), float(p.cost[i]), p.tiers)
        contrib = share[i] * stock
        pool_cost = float(p.cost[i] * factor * contrib + loss_pool[i])
        rows.append({
            "member": name, "expected_need_t": float(p.need[i].mean()),
            "stock_alone_t": s_alone, "cost_alone_usd": alone,
            "contribution_t": contrib, "cost_in_coalition_usd": pool_cost,
            "gain_usd": alone - pool_cost, "individually_rational": pool_cost <= alone + 1e-6,
        })  # fmt: skip
    return pd.DataFrame(rows)


def core_check(p: CoalitionProblem, allocation: Arr) -> tuple[bool, list[str]]:
    """Is the cost allocation in the core? For every proper subset T, the members of T must not
    pay more together than T's own best pooled cost. Returns (in core, the blocking subsets)."""
    n = len(p.members)
    if n > MAX_CORE_MEMBERS:
        raise ValueError(f"the core check enumerates subsets: at most {MAX_CORE_MEMBERS} members")
    blocking = []
    for size in range(1, n):  # 2^n - 2 subsets
        for t in itertools.combinations(range(n), size):
            idx = np.array(t)
            _, v = pooled_optimum(p, idx)
            if allocation[idx].sum() > v + 1e-6 * max(1.0, abs(v)):
                blocking.append("+".join(p.members[i] for i in t))
    return not blocking, blocking
