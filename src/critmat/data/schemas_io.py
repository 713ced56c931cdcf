"""Schemas of the input-output tables (:mod:`critmat.sim.io`): the USA's BEA 2017 benchmark at the
detail level (402 industries) and the map from materials to the industries that use them
(docs/data.md; ../shared/data/PROVENANCE.md section 19 for the raw files)."""

from __future__ import annotations

from critmat.data.schemas_base import STATUSES, TableSpec
from critmat.data.schemas_basis import _SOURCE, _c, _frac

__all__ = ["IO_SPECS"]

_REGION = _c("region")
_YEAR = _c("year", "int", minimum=1900.0, maximum=2100.0)

IO_SPECS: tuple[TableSpec, ...] = (
    TableSpec(
        name="io_industries",
        description="Industries of an input-output table: total industry output and value "
        "added (USD million, producers' prices); the USA: BEA 2017 benchmark, 402 detail "
        "industries, value added summing to GDP.",
        key=("region", "year", "industry"),
        columns=(
            _REGION,
            _YEAR,
            _c("industry"),
            _c("name"),
            _c("output_musd", "float", minimum=0.0),
            _c("value_added_musd", "float"),
            _c("unit"),
            *_SOURCE,
        ),
    ),
    TableSpec(
        name="io_output_series",
        description="Gross output per input-output industry and year (USD million, current "
        "prices): brings a benchmark table's losses to a later base year.",
        key=("region", "industry", "year"),
        columns=(
            _REGION,
            _c("industry"),
            _YEAR,
            _c("output_musd", "float", minimum=0.0),
            _c("unit"),
            *_SOURCE,
        ),
    ),
    TableSpec(
        name="io_requirements",
        description="Total requirements (the Leontief inverse (I - A)^-1), industry by "
        "industry: output of `industry` per dollar of final demand for `using_industry`; zero "
        "cells left out.",
        key=("region", "year", "industry", "using_industry"),
        columns=(
            _REGION,
            _YEAR,
            _c("industry"),
            _c("using_industry"),
            _c("value", "float"),
            _c("source"),
            _c("status", choices=STATUSES),
        ),
    ),
    TableSpec(
        name="material_industries",
        description="Which input-output industries carry a material: the commodity it is "
        "produced in and the industries of its end uses, with the end-use share where "
        "published (USGS).",
        key=("material", "role", "end_use", "industry"),
        columns=(
            _c("material"),
            _c("role", choices=frozenset({"producing_commodity", "end_use"})),
            _c("end_use"),
            _c("industry"),
            _c("industry_name"),
            _frac("share", required=False),
            _c("share_scope", required=False),
            _c("share_source", required=False),
            _c("share_status", required=False),
            _c("mapping_confidence", choices=frozenset({"high", "medium", "low"})),
            *_SOURCE,
        ),
    ),
)
