"""The stockpile-sizing problem (two-stage stochastic programme, sample-average approximation).

First stage: target stock ``x_m`` (t) per material. Second stage, per scenario s: the stock covers
the scenario's shortfall ``Q_sm`` (t over the horizon, from the simulator without a reserve); the
rest ``U_sm = max(0, Q_sm - x_m)`` is unmet and costs ``v_m`` per tonne (the simulator's loss
proxy); the stock left at the end, ``(x_m - Q_sm)^+``, is still worth ``e_sm`` per tonne (the
scenario's final price net of the sale spread and degradation; the full accounting). With
``e'_sm = min(e_sm, v_m)`` and the identity ``(x - Q)^+ = x - Q + (Q - x)^+``, a scenario costs::

    k_s(x) = sum_m (u_m - e'_sm) x_m + e'_sm Q_sm + (v_m - e'_sm) U_sm,
    u_m = c_m + t_m + h_m   (purchase, transaction, holding per tonne)

so the LP keeps its shape::

    min   sum_m (u_m - mean_s e'_sm) x_m + (1/S) sum_s sum_m (v_m - e'_sm) U_sm   (expectation)
       or sum_m u_m x_m + eta + 1/((1-alpha) S) sum_s z_s                  (CVaR of k_s,
          z_s >= sum_m [(v_m - e'_sm) U_sm - e'_sm x_m + e'_sm Q_sm] - eta   Rockafellar &
          z_s >= 0                                                          Uryasev 2000)
    s.t.  U_sm + x_m >= Q_sm,  U_sm >= 0
          sum_m p_m x_m <= budget                                            (acquisition budget)
          sum_{m in class k} x_m <= capacity_k                               (storage by class)
          floor_m <= x_m <= cap_m                                            (policy floors;
                                                                               market-impact cap)

``c_m = p_m`` (acquisition at the base price), ``t_m`` the purchase spread and market impact,
``h_m = p_m * (storage + insurance + financing) * years`` (holding over the horizon). Capping
``e`` at ``v`` keeps the problem convex (a tonne left over is never worth more than a tonne
short costs). With ``e = 0`` (no residual value) this is the earlier "stock as money spent"
model. Release timing is not in the LP; the chosen stock is then evaluated with the full monthly
simulator (critmat.optimize.evaluate).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from critmat.errors import InfeasibleRequestError

__all__ = ["InfeasibleError", "Problem", "check_feasible"]

F64 = npt.NDArray[np.float64]


class InfeasibleError(InfeasibleRequestError):
    """The constraints cannot all hold; the message names the binding ones."""


@dataclass
class Problem:
    """Data of one sizing problem (arrays over M materials and S scenarios)."""

    materials: list[str]
    shortfall: F64  # Q [S, M] t over the horizon
    price: F64  # p [M] USD/t
    value_lost: F64  # v [M] USD per t unmet
    holding: F64  # h [M] USD per t held over the horizon
    budget: float  # USD for acquisition
    floor: F64 = field(default_factory=lambda: np.zeros(0))  # [M] t
    cap: F64 = field(default_factory=lambda: np.zeros(0))  # [M] t (inf = none)
    storage_class: list[str] = field(default_factory=list)  # [M]
    capacity: dict[str, float] = field(default_factory=dict)  # class -> t
    risk: str = "expectation"  # or "cvar"
    alpha: float = 0.95
    end_value: F64 = field(default_factory=lambda: np.zeros(0))  # e [S, M] USD per t left
    transaction: F64 = field(default_factory=lambda: np.zeros(0))  # t [M] USD per t bought

    def __post_init__(self) -> None:
        m = len(self.materials)
        if self.end_value.size == 0:
            self.end_value = np.zeros_like(self.shortfall, dtype=np.float64)
        if self.transaction.size == 0:
            self.transaction = np.zeros(m)
        if self.end_value.shape != self.shortfall.shape or np.any(self.end_value < 0):
            raise ValueError("end_value must be [scenarios, materials] and non-negative")
        if self.floor.size == 0:
            self.floor = np.zeros(m)
        if self.cap.size == 0:
            self.cap = np.full(m, np.inf)
        if not self.storage_class:
            self.storage_class = ["all"] * m
        if self.shortfall.ndim != 2 or self.shortfall.shape[1] != m:
            raise ValueError("shortfall must be [scenarios, materials]")
        for name, arr in (
            ("price", self.price),
            ("value_lost", self.value_lost),
            ("holding", self.holding),
            ("transaction", self.transaction),
        ):
            if arr.shape != (m,) or np.any(arr < 0) or not np.all(np.isfinite(arr)):
                raise ValueError(f"{name} must be {m} finite non-negative numbers")
        if self.risk not in ("expectation", "cvar"):
            raise ValueError(f"risk must be 'expectation' or 'cvar', not {self.risk!r}")
        if not 0.0 <= self.alpha < 1.0:
            raise ValueError("alpha must lie in [0, 1)")

    @property
    def n_scenarios(self) -> int:
        return int(self.shortfall.shape[0])

    @property
    def n_materials(self) -> int:
        return len(self.materials)

    @property
    def unit_cost(self) -> F64:
        """u = purchase + transaction + holding, USD per t held over the horizon."""
        return self.price + self.transaction + self.holding

    @property
    def residual(self) -> F64:
        """e' = min(e, v): the worth of a tonne left at the end, capped for convexity [S, M]."""
        return np.minimum(self.end_value, self.value_lost[None, :])

    def scenario_costs(self, x: F64) -> dict[str, F64]:
        """Per-scenario terms of a stock ``x`` (USD, arrays over scenarios)."""
        unmet = np.maximum(self.shortfall - x[None, :], 0.0)
        left = np.maximum(x[None, :] - self.shortfall, 0.0)
        loss = unmet @ self.value_lost
        residual = np.sum(left * self.residual, axis=1)
        total = float(self.unit_cost @ x) - residual + loss
        return {"loss": loss, "residual": residual, "total": total}

    def objective(self, x: F64) -> dict[str, float]:
        """Cost terms of a stock ``x`` on this problem's scenarios (USD): the full accounting."""
        k = self.scenario_costs(x)
        return {
            "acquisition": float(self.price @ x),
            "transaction": float(self.transaction @ x),
            "holding": float(self.holding @ x),
            "expected_loss": float(k["loss"].mean()),
            "cvar_loss": _cvar(k["loss"], self.alpha),
            "residual_value": float(k["residual"].mean()),
            "total_cost": float(k["total"].mean()),
            "cvar_total_cost": _cvar(k["total"], self.alpha),
        }


def _cvar(values: F64, alpha: float) -> float:
    """Conditional value at risk of costs at level alpha (Rockafellar & Uryasev 2000)."""
    if values.size == 0:
        return 0.0
    q = float(np.quantile(values, alpha))
    return q + float(np.mean(np.maximum(values - q, 0.0))) / (1 - alpha)


def check_feasible(p: Problem) -> None:
    """Explain, before solving, which constraint makes the problem infeasible.

    Raises
    ------
    InfeasibleError
        Budget below the cost of the mandated floors; floors above market-impact caps; floors of
        a storage class above its capacity.
    """
    bad = [p.materials[i] for i in np.flatnonzero(p.floor > p.cap)]
    if bad:
        raise InfeasibleError(
            "policy floors exceed the market-impact caps for: "
            + ", ".join(bad)
            + " (lower the floors or raise cap_share)"
        )
    floor_cost = float(p.price @ p.floor)
    if floor_cost > p.budget * (1 + 1e-12):
        worst = np.argsort(-(p.price * p.floor))[:3]
        detail = ", ".join(
            f"{p.materials[i]} {p.price[i] * p.floor[i]:,.0f} USD" for i in worst if p.floor[i] > 0
        )
        raise InfeasibleError(
            f"the budget ({p.budget:,.0f} USD) is below the cost of the mandated floors "
            f"({floor_cost:,.0f} USD; largest: {detail}): raise the budget or lower the floors"
        )
    for cls, cap in p.capacity.items():
        idx = [i for i, c in enumerate(p.storage_class) if c == cls]
        need = float(p.floor[idx].sum()) if idx else 0.0
        if need > cap * (1 + 1e-12):
            raise InfeasibleError(
                f"storage class '{cls}' holds {cap:,.0f} t but its floors need {need:,.0f} t "
                f"({', '.join(p.materials[i] for i in idx if p.floor[i] > 0)})"
            )
