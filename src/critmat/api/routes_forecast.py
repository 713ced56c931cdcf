"""Routes: demand projections, price forecasts and the early-warning index (what
``critmat forecast`` prints). Handlers authorise and call :mod:`critmat.services`; results are
computed once per server and request (the dataset does not change while it runs)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from critmat.api.auth import Principal
from critmat.api.deps import analyst, dataset, records, viewer
from critmat.api.routes_data import _cached
from critmat.services.forecast import (
    demand_result,
    prices_result,
    run_demand,
    run_demand_text,
    run_prices,
    scenario_list,
)
from critmat.services.warning import run_warning, warning_result
from critmat.usecases.outcome import Outcome
from critmat.usecases.requests import DemandRequest, PricesRequest, WarningRequest

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/forecast")

Viewer = Annotated[Principal, Depends(viewer)]
Analyst = Annotated[Principal, Depends(analyst)]
Materials = Annotated[list[str] | None, Query(max_length=20)]
Holder = Annotated[str | None, Query(max_length=20)]


def _json(outcome: Outcome) -> str:
    """The use case's JSON (critmat.usecases.Outcome): the same as its job's and the CLI's."""
    return json.dumps(outcome.to_json(), allow_nan=False)


def _respond(text: str) -> Response:
    return Response(text, media_type="application/json")


@router.get("/scenarios")
def scenarios(_: Viewer) -> dict[str, Any]:
    """The shipped demand scenarios."""

    return {"items": records(scenario_list())}


@router.get("/demand")
def demand(
    request: Request,
    _: Viewer,
    scenario: Annotated[str, Query(pattern="^[a-z0-9_]+$", max_length=40)] = "stated_policies",
    holder: Holder = None,
    material: Materials = None,
) -> Response:
    """A shipped scenario's projection (world, holder, drivers, substitution, IEA, backtest,
    assumptions): the tables of ``critmat forecast demand``."""

    ds = dataset(request)
    req = DemandRequest(scenario=scenario, holder=holder, materials=material or [])
    key = ("forecast-demand", scenario, holder, tuple(material or ()))
    return _respond(_cached(request, key, lambda: _json(demand_result(run_demand(ds, req)))))


class ScenarioBody(BaseModel):
    """A demand scenario's YAML (docs/forecast.md) and what to project."""

    model_config = ConfigDict(extra="forbid")

    yaml: str = Field(max_length=200_000)
    holder: str | None = Field(None, max_length=20)
    materials: list[str] = Field(default_factory=list, max_length=40)


@router.post("/demand")
def demand_from_yaml(request: Request, _: Analyst, body: ScenarioBody) -> Response:
    """Project an edited scenario (400 naming the key path when the YAML is wrong)."""

    req = DemandRequest(holder=body.holder, materials=body.materials)
    res = run_demand_text(dataset(request), req, body.yaml)
    return _respond(_json(demand_result(res)))


@router.get("/prices")
def prices(
    request: Request,
    _: Viewer,
    material: Annotated[list[str], Query(min_length=1, max_length=5)],
    consumption: bool = False,
    horizon: Annotated[int | None, Query(ge=1, le=120)] = None,
) -> Response:
    """Naive, ETS and ARIMA forecasts with intervals and their rolling-origin backtest, for
    one to five materials (every series at once: ``critmat forecast prices``)."""

    ds = dataset(request)
    req = PricesRequest(
        materials=material, horizon=horizon, kind="consumption" if consumption else "price"
    )
    key = ("forecast-prices", tuple(material), consumption, horizon)
    return _respond(_cached(request, key, lambda: _json(prices_result(run_prices(ds, req)))))


@router.get("/warning")
def warning(
    request: Request,
    _: Viewer,
    material: Materials = None,
    fitted: bool = False,
) -> Response:
    """The early-warning index, its multipliers and its backtest against the events
    (warning threshold 0.5; other thresholds: ``critmat forecast warning --threshold``)."""

    ds = dataset(request)
    req = WarningRequest(materials=material or [], fitted=fitted)
    key = ("forecast-warning", tuple(material or ()), fitted)
    return _respond(_cached(request, key, lambda: _json(warning_result(run_warning(ds, req)))))
