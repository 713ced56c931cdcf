"""The registry: a kind -> its request model and its runner, by module path (imported when the
use case runs, so that this module imports no maths and ``critmat --help`` stays fast)."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from critmat.usecases.outcome import Outcome

if TYPE_CHECKING:
    from critmat.data.dataset import Dataset

__all__ = ["REGISTRY", "UseCase", "run_job"]

Progress = Callable[[int], None] | None


@dataclass(frozen=True)
class UseCase:
    """``request``: ``module:Class`` of the request's pydantic model; ``runner``:
    ``module:function`` taking ``(dataset, request, progress)`` and returning an
    :class:`~critmat.usecases.outcome.Outcome`; ``cli``: the command a user types; ``route``:
    the HTTP route (``POST``) that answers it: a job under ``/api/v1/jobs/``, or at once."""

    kind: str
    request: str
    runner: str
    cli: str
    doc: str
    route: str = ""
    #: ``module:function(dataset, request)`` raising CritmatError for what is refused before
    #: any work is queued ("" = the request model's own validation only)
    check: str = ""

    @property
    def is_job(self) -> bool:
        return self.route.startswith("/api/v1/jobs/")

    def request_model(self) -> type[BaseModel]:
        model = _load(self.request)
        assert isinstance(model, type) and issubclass(model, BaseModel)
        return model

    def check_now(self, ds: Dataset, request: BaseModel) -> None:
        """Refuse now what the use case would refuse later (before a job is queued)."""
        if self.check:
            _load(self.check)(ds, request)

    def run(self, ds: Dataset, request: Mapping[str, Any] | BaseModel, progress: Progress = None
            ) -> Outcome:  # fmt: skip
        """Validate ``request`` and run the use case."""
        model = self.request_model()
        req = request if isinstance(request, model) else model.model_validate(request)
        out = _load(self.runner)(ds, req, progress)
        assert isinstance(out, Outcome)
        return out


def _load(path: str) -> Any:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def _entry(kind: str, module: str, request: str, cli: str, doc: str, route: str = "") -> UseCase:
    """A use case named by convention: runner ``<module>:<kind>_outcome``; a job (no
    ``route`` given) also has its check ``<module>:check_<kind>_request``."""
    return UseCase(kind, f"critmat.usecases.requests:{request}", f"{module}:{kind}_outcome",
                   cli, doc, route or f"/api/v1/jobs/{kind}",
                   "" if route else f"{module}:check_{kind}_request")  # fmt: skip


_S = "critmat.services."
#: Every use case that runs as a CLI command with ``--format json`` and over HTTP.
REGISTRY: dict[str, UseCase] = {
    u.kind: u
    for u in (
        _entry("supply", _S + "data", "SupplyRequest", "critmat data show",
               "supply of a material by country at a stage, with its HHI", "/api/v1/supply"),
        _entry("assess", _S + "assess", "AssessRequest", "critmat assess",
               "criticality by the published methods", "/api/v1/assessments"),
        _entry("loss", _S + "loss", "LossRequest", "critmat loss",
               "the loss of a tonne short, or the industries using each material",
               "/api/v1/loss"),
        _entry("simulate", _S + "simulate", "SimulateRequest", "critmat simulate",
               "Monte Carlo disruptions of a scenario for a holder"),
        _entry("plan", _S + "plan", "PlanRequest", "critmat plan",
               "the stockpile a budget buys, against practice"),
        _entry("policy", _S + "policy", "PolicyRequest", "critmat optimize policy",
               "the optimal build/draw policy of a Markov-regime problem"),
        _entry("schedule", _S + "acquisition", "ScheduleRequest", "critmat optimize schedule",
               "a multi-year acquisition schedule under a budget and a market-impact cap"),
        _entry("coalition", _S + "coalition", "CoalitionRequest", "critmat optimize coalition",
               "a coalition's pooled stock against each member alone"),
        _entry("options", _S + "options", "OptionsRequest", "critmat optimize options",
               "mitigation options beyond stock, each portfolio with the stock it still needs"),
        _entry("release", _S + "policy", "ReleaseRequest", "critmat optimize release",
               "a solved release policy against the simple triggers, on common runs"),
        _entry("calibrate", _S + "calibrate", "CalibrateRequest", "critmat calibrate",
               "the price law fitted to the record, leave-one-event-out"),
        _entry("demand", _S + "forecast", "DemandRequest", "critmat forecast demand",
               "world and holder demand to 2040 from drivers x intensities, with a backtest"),
        _entry("prices", _S + "forecast", "PricesRequest", "critmat forecast prices",
               "price forecasts with intervals, each model backtested against naive"),
        _entry("warning", _S + "warning", "WarningRequest", "critmat forecast warning",
               "the early-warning index, its rate multiplier and its backtest on the events"),
    )
}  # fmt: skip


def run_job(kind: str, ds: Dataset, request: Mapping[str, Any], progress: Progress = None
            ) -> dict[str, Any]:  # fmt: skip
    """An HTTP job's result: the use case's JSON."""
    return REGISTRY[kind].run(ds, request, progress).to_json()
