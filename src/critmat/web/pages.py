"""Routes of the dashboard: the page, its script and style, and Plotly.js from the installed
plotly package (the page works offline)."""

from __future__ import annotations

import functools
from importlib import resources
from typing import TYPE_CHECKING

from critmat.glossary import GLOSSARY

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["mount"]

GLOSSARY_TERMS = ("SR", "EI", "HHI", "IR", "CVaR95", "P95", "loss per tonne", "total cost")


@functools.cache
def _asset(name: str) -> str:
    return (resources.files("critmat.web") / "static" / name).read_text(encoding="utf-8")


@functools.cache
def _plotly() -> str:
    import plotly.offline

    return str(plotly.offline.get_plotlyjs())


def _glossary_html() -> str:
    import html

    return "".join(
        f"<dt>{html.escape(k)}</dt><dd>{html.escape(GLOSSARY[k])}</dd>"
        for k in GLOSSARY_TERMS
        if k in GLOSSARY
    )


def mount(app: FastAPI) -> None:
    """Add the dashboard's routes to the API application."""
    from fastapi.responses import HTMLResponse, Response

    @app.get("/", include_in_schema=False)
    def index() -> HTMLResponse:
        page = _asset("index.html").replace("<!--GLOSSARY-->", _glossary_html())
        return HTMLResponse(page, headers={"Cache-Control": "no-store"})

    @app.get("/static/plotly.js", include_in_schema=False)
    def plotly_js() -> Response:
        return Response(_plotly(), media_type="application/javascript",
                        headers={"Cache-Control": "max-age=86400"})  # fmt: skip

    @app.get("/static/world.json", include_in_schema=False)
    def world() -> Response:  # Natural Earth 1:110m outlines (public domain)
        return Response(_asset("world.json"), media_type="application/json",
                        headers={"Cache-Control": "max-age=86400"})  # fmt: skip

    @app.get("/static/app.js", include_in_schema=False)
    def app_js() -> Response:
        return Response(_asset("app.js"), media_type="application/javascript")

    @app.get("/static/app.css", include_in_schema=False)
    def app_css() -> Response:
        return Response(_asset("app.css"), media_type="text/css")
