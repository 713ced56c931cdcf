"""Schemas of the tables that put quantities on one basis and feed the EU 2023 method.

Kept apart from :mod:`critmat.data.schemas` (which merges them into ``SPECS``) so that each module
stays small: content factors of traded forms, rare-earth element shares, and the European
Commission's 2023 criticality inputs.
"""

from __future__ import annotations

from critmat.data.schemas_base import STAGES, STATUSES, Column, Kind, TableSpec

__all__ = ["BASIS_SPECS"]


def _c(name: str, kind: Kind = "str", *, required: bool = True, **kw: object) -> Column:
    return Column(name=name, kind=kind, required=required, **kw)  # type: ignore[arg-type]


_SOURCE = (_c("source"), _c("status", choices=STATUSES), _c("notes", required=False))


def _frac(name: str, *, required: bool = True) -> Column:
    return Column(name=name, kind="float", required=required, minimum=0.0, maximum=1.0)


BASIS_SPECS: tuple[TableSpec, ...] = (
    TableSpec(
        name="elasticity_estimates",
        description="Literature price elasticities of metal demand and primary supply, one "
        "row per published estimate (flagged rows of the source left out).",
        key=("estimate",),
        columns=(
            _c("estimate"),
            _c("material"),
            _c("kind", choices=frozenset({"demand", "supply"})),
            _c("horizon", choices=frozenset({"short_run", "long_run", "static", "unspecified"})),
            _c("value", "float", minimum=-5.0, maximum=5.0),
            _c("study"),
            _c("method", required=False),
            _c("period", required=False),
            _c("region", required=False),
            *_SOURCE,
        ),
    ),
    TableSpec(
        name="content_factors",
        description="Tonnes of the material's basis per tonne of a traded form (HS heading), "
        "with a low-high range.",
        key=("hs6", "material"),
        columns=(
            _c("hs6"),
            _c("material"),
            _c("traded_form"),
            _c("basis"),
            _c("factor", "float", minimum=0.0, maximum=2.0),
            _c("factor_low", "float", minimum=0.0, maximum=2.0),
            _c("factor_high", "float", minimum=0.0, maximum=2.0),
            *_SOURCE,
        ),
    ),
    TableSpec(
        name="element_shares",
        description="Oxide mass share of an element in its group's oxide supply (REO), with "
        "a range.",
        key=("group", "material"),
        columns=(
            _c("group"),
            _c("material"),
            _c("basis"),
            _frac("share"),
            _frac("share_low"),
            _frac("share_high"),
            *_SOURCE,
        ),
    ),
    TableSpec(
        name="eu_crm_inputs",
        description="EC 2023 criticality inputs: substitution indices, EoL-RIR, EU import "
        "reliance by stage, the bottleneck stage.",
        key=("material",),
        columns=(
            _c("material"),
            _frac("si_ei", required=False),
            _frac("si_sr", required=False),
            _frac("eol_rir", required=False),
            _frac("ir_mining", required=False),
            _frac("ir_refining", required=False),
            _c("bottleneck_stage", required=False),
            *_SOURCE,
        ),
    ),
    TableSpec(
        name="eu_crm_shares",
        description="EC 2023 global supply and EU sourcing shares by country and stage, with the "
        "trade parameter t.",
        key=("material", "stage", "kind", "country"),
        columns=(
            _c("material"),
            _c("stage", choices=STAGES),
            _c("kind", choices=frozenset({"global", "eu_sourcing"})),
            _c("country"),
            _frac("share"),
            _c("trade_parameter", "float", minimum=0.0, maximum=3.0),
            *_SOURCE,
        ),
    ),
    TableSpec(
        name="eu_end_uses",
        description="EC 2023 end-use shares per material and application, with the NACE Rev. 2 "
        "division each maps to.",
        key=("material", "application", "nace"),
        columns=(
            _c("material"),
            _c("application"),
            _frac("share"),
            _c("nace", required=False, description="empty: 'other' uses the EC left unassigned"),
            *_SOURCE,
        ),
    ),
    TableSpec(
        name="sector_value_added",
        description="Value added per NACE Rev. 2 division and region (EU27 as used by the EC "
        "2023 study).",
        key=("region", "nace"),
        columns=(
            _c("region"),
            _c("nace"),
            _c("label"),
            _c("value", "float", minimum=0.0),
            _c("unit"),
            *_SOURCE,
        ),
    ),
)
