"""Routes: the dataset (materials, production, trade, prices; filters and pages), a material's
supply, prices, past events and risk terms, assessments, the scenario library and the HTML
reports. Handlers authorise and call :mod:`critmat.services`."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as ApiPath
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from critmat.api.auth import Principal
from critmat.api.deps import analyst, dataset, records, viewer
from critmat.errors import CritmatError
from critmat.services.assess import risk_terms, run_assess
from critmat.services.data import (
    material_events,
    page_of,
    price_series,
    supply_stages,
    supply_table,
)
from critmat.services.report_pages import assessment_html, data_html
from critmat.services.simulate import library, scenario_from_text, scenario_summary, scenario_yaml
from critmat.usecases.registry import REGISTRY
from critmat.usecases.requests import AssessRequest, LossRequest, SupplyRequest

__all__ = ["router"]

router = APIRouter(prefix="/api/v1")

Viewer = Annotated[Principal, Depends(viewer)]
Analyst = Annotated[Principal, Depends(analyst)]
Material = Annotated[str, ApiPath(max_length=40)]
Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]
Text = Annotated[str | None, Query(max_length=40)]
Year = Annotated[int | None, Query(ge=1900, le=2100)]
HTML: dict[int | str, dict[str, Any]] = {200: {"content": {"text/html": {}}}}


class ScenarioText(BaseModel):
    """Scenario YAML to validate."""

    model_config = ConfigDict(extra="forbid")

    yaml: str = Field(max_length=200_000)


@router.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/materials")
def materials(
    request: Request, _: Viewer, limit: Limit = 100, offset: Offset = 0
) -> dict[str, Any]:
    """The material catalogue."""
    m = dataset(request).materials
    cols = ["material", "name", "group", "reference_basis", "eol_rir"]
    return {"total": len(m), "items": records(m.iloc[offset : offset + limit][cols])}


def _page(request: Request, table: str, filters: dict[str, Any], limit: int, offset: int) -> Any:

    total, page = page_of(dataset(request), table, filters, limit, offset)
    return {"total": total, "limit": limit, "offset": offset, "items": records(page)}


@router.get("/production")
def production(
    request: Request,
    _: Viewer,
    material: Text = None,
    stage: Annotated[str | None, Query(pattern="^(mining|refining)$")] = None,
    country: Text = None,
    year: Year = None,
    source: Text = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Production by country (each row names its unit, basis, source and status)."""
    f = {"material": material, "stage": stage, "country": country, "year": year,
         "dataset": source}  # fmt: skip
    return _page(request, "production", f, limit, offset)  # type: ignore[no-any-return]


@router.get("/trade")
def trade(
    request: Request,
    _: Viewer,
    material: Text = None,
    exporter: Text = None,
    importer: Text = None,
    year: Year = None,
    hs6: Text = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Bilateral trade (CEPII BACI; value in thousand USD, quantity in t of the traded form)."""
    f = {"material": material, "exporter": exporter, "importer": importer, "year": year,
         "hs6": hs6}  # fmt: skip
    return _page(request, "trade", f, limit, offset)  # type: ignore[no-any-return]


@router.get("/prices")
def prices_table(
    request: Request,
    _: Viewer,
    material: Text = None,
    form: Annotated[str | None, Query(max_length=120)] = None,
    year: Year = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Price rows as published (each row names its unit, basis and currency basis)."""
    f = {"material": material, "form": form, "year": year}
    return _page(request, "prices", f, limit, offset)  # type: ignore[no-any-return]


@router.get("/materials/{material}/supply")
def supply(
    request: Request,
    material: Material,
    _: Viewer,
    stage: Annotated[str | None, Query(pattern="^(mining|refining)$")] = None,
    year: Year = None,
) -> dict[str, Any]:
    """Supply by country at a stage, with the HHI (fraction, lower bound)."""

    ds = dataset(request)
    t, hhi = supply_table(ds, material, stage=stage, year=year)
    return {"material": t.material, "stage": t.stage, "year": t.year, "unit": t.unit,
            "basis": t.basis, "hhi": hhi, "split": t.split,
            "stages": supply_stages(ds, t.material), "rows": records(t.rows)}  # fmt: skip


@router.get("/materials/{material}/prices")
def prices(request: Request, material: Material, _: Viewer) -> dict[str, Any]:
    """Every price series of a material in USD per t of the quoted form."""

    series, skipped = price_series(dataset(request), material)
    return {"unit": "USD per t of the quoted form", "rows": records(series),
            "not_converted": skipped}  # fmt: skip


@router.get("/materials/{material}/events")
def events(request: Request, material: Material, _: Viewer) -> dict[str, Any]:
    """Recorded disruptions that touched the material, with their sources."""

    return {"items": records(material_events(dataset(request), material))}


@router.get("/materials/{material}/risk")
def risk(
    request: Request,
    material: Material,
    _: Viewer,
    holder: Annotated[str, Query(max_length=20)] = "EU27",
    year: Annotated[int, Query(ge=2015, le=2024)] = 2023,
) -> dict[str, Any]:
    """The terms behind the material's scores for a holder, each with its source."""

    ds = dataset(request)
    mat = ds.resolve_material(material)
    res = run_assess(ds, AssessRequest(holder=holder, year=year, materials=[mat]))
    return {"material": mat, "holder": res.holder, "year": res.year,
            "items": records(risk_terms(res, mat))}  # fmt: skip


@router.post("/assessments")
def assessments(request: Request, body: AssessRequest, _: Analyst) -> dict[str, Any]:
    """Criticality by the published methods (body: holder, year, methods, materials): the same
    JSON as ``critmat assess --format json`` (the table under ``assessment``)."""

    if body.inputs is not None:
        raise CritmatError("input files are not taken over HTTP (they are paths on the server)")
    return REGISTRY["assess"].run(dataset(request), body).to_json()


@router.post("/supply")
def supply_view(request: Request, body: SupplyRequest, _: Viewer) -> dict[str, Any]:
    """Supply of a material by country (body: material, stage, year, source): the same JSON as
    ``critmat data show --format json``."""
    return REGISTRY["supply"].run(dataset(request), body).to_json()


@router.post("/loss")
def loss(request: Request, body: LossRequest, _: Viewer) -> dict[str, Any]:
    """The loss of a tonne short per material, or the industries using each material: the
    same JSON as ``critmat loss --format json``."""

    return REGISTRY["loss"].run(dataset(request), body).to_json()


@router.get("/scenarios")
def scenarios(
    request: Request, _: Viewer, holder: Annotated[str | None, Query(max_length=20)] = None
) -> dict[str, Any]:
    """The historical scenario library (with a holder: which events touch its market)."""

    return {"items": records(library(dataset(request), holder, 2023))}


@router.get("/scenarios/{ref}/yaml")
def scenario(request: Request, ref: Annotated[str, ApiPath(max_length=40)], _: Viewer) -> Any:
    """A library scenario (or ``stochastic``) as YAML text to edit, and its events."""

    text = scenario_yaml(dataset(request), ref)
    return {"id": ref, "yaml": text, "events": records(scenario_summary(scenario_from_text(text)))}


@router.post("/scenarios/validate")
def validate(body: ScenarioText, _: Viewer) -> dict[str, Any]:
    """Validate scenario YAML: its events, or a 400 naming the key path and the reason."""

    sc = scenario_from_text(body.yaml)
    return {"name": sc.name, "horizon_months": sc.horizon_months,
            "stochastic": sc.stochastic is not None,
            "events": records(scenario_summary(sc))}  # fmt: skip


@router.get("/reports/assessment", responses=HTML)
def assessment_report(
    request: Request,
    _: Viewer,
    holder: Annotated[str, Query(max_length=20)] = "EU27",
    year: Annotated[int, Query(ge=2015, le=2024)] = 2023,
) -> Response:
    """The assessment page (the HTML the CLI writes), computed now."""

    ds = dataset(request)
    h = ds.resolve_holder(holder)
    return HTMLResponse(
        _cached(request, ("assessment", h, year), lambda: assessment_html(ds, h, year))
    )


@router.get("/reports/data", responses=HTML)
def data_report(
    request: Request,
    _: Viewer,
    material: Annotated[str, Query(max_length=40)] = "cobalt",
) -> Response:
    """The data report (coverage, concentration, cross-source spread, one material's detail)."""

    ds = dataset(request)
    mat = ds.resolve_material(material)
    return HTMLResponse(_cached(request, ("data", mat), lambda: data_html(ds, mat)))


def _cached(request: Request, key: tuple[Any, ...], make: Callable[[], str]) -> str:
    """A report page computed once per server (the dataset does not change while it runs);
    the 16 newest pages are kept."""
    cache: OrderedDict[tuple[Any, ...], str] = request.app.state.pages
    with request.app.state.pages_lock:
        if key in cache:
            cache.move_to_end(key)
            return cache[key]
    page = make()  # outside the lock: two first requests may both compute it
    with request.app.state.pages_lock:
        cache[key] = page
        while len(cache) > 16:
            cache.popitem(last=False)
    return page
