"""Schemas of the tables behind the predictive layer (:mod:`critmat.forecast`): price series,
demand drivers, the IEA's mineral demand projections, battery chemistry shares and country
hazard indicators (docs/data.md; ../shared/data/PROVENANCE.md section 18 for the raw files)."""

from __future__ import annotations

from critmat.data.schemas_base import TableSpec
from critmat.data.schemas_basis import _SOURCE, _c

__all__ = ["FORECAST_SPECS"]

_YEAR = _c("year", "int", minimum=1900.0, maximum=2100.0)

FORECAST_SPECS: tuple[TableSpec, ...] = (
    TableSpec(
        name="price_series",
        description="Long price histories for statistical forecasts: World Bank monthly metal "
        "prices since 1960 (nickel, copper, aluminium, tin, platinum) and the USGS DS140 annual "
        "lithium unit value since 1900.",
        key=("series", "period"),
        columns=(
            _c("material"),
            _c("series"),
            _c("frequency", choices=frozenset({"M", "A"})),
            _c("period"),
            _YEAR,
            _c("value", "float", minimum=0.0),
            _c("unit"),
            _c("basis"),
            _c("currency_basis", choices=frozenset({"nominal", "real"})),
            *_SOURCE,
        ),
    ),
    TableSpec(
        name="consumption_series",
        description="Long annual quantity histories for statistical forecasts of consumption: "
        "USGS DS140 lithium world production (the consumption proxy) and US estimated "
        "consumption, 1900-2021.",
        key=("series", "year"),
        columns=(
            _c("material"),
            _c("series"),
            _c("region"),
            _YEAR,
            _c("value", "float", minimum=0.0),
            _c("unit"),
            _c("basis"),
            *_SOURCE,
        ),
    ),
    TableSpec(
        name="demand_drivers",
        description="Sector drivers of demand by region (WLD, holders) and scenario: EV sales "
        "and EV battery demand (IEA Global EV Outlook, history and STEPS/APS), installed and "
        "added solar and wind capacity (IRENA).",
        key=("driver", "region", "scenario", "edition", "year"),
        columns=(
            _c(
                "driver",
                choices=frozenset(
                    {
                        "ev_sales",
                        "ev_battery_demand",
                        "solar_capacity",
                        "solar_added",
                        "wind_capacity",
                        "wind_added",
                    }
                ),
            ),
            _c("region"),
            _c("scenario"),
            _YEAR,
            _c("value", "float", minimum=0.0),
            _c("unit"),
            _c("edition"),
            *_SOURCE,
        ),
    ),
    TableSpec(
        name="demand_projections",
        description="IEA Critical Minerals Data Explorer (2025): world demand by mineral, use and "
        "scenario (historical 2024; STEPS, APS, NZE to 2050), in t of the stated basis.",
        key=("material", "iea_mineral", "table", "use", "scenario", "year"),
        columns=(
            _c("material"),
            _c("iea_mineral"),
            _c("table"),
            _c("use"),
            _c("scenario"),
            _YEAR,
            _c("value", "float", minimum=0.0),
            _c("unit"),
            _c("basis"),
            _c("edition"),
            *_SOURCE,
        ),
    ),
    TableSpec(
        name="chemistry_shares",
        description="Reported market shares of EV battery chemistries (LFP, high-nickel), points "
        "from several analysts; not a consistent series.",
        key=("chemistry", "metric", "period", "original_publisher"),
        columns=(
            _c("chemistry"),
            _c("scope"),
            _c("metric"),
            _c("period"),
            _c("share", "float", minimum=0.0, maximum=1.0),
            _c("original_publisher"),
            *_SOURCE,
        ),
    ),
    TableSpec(
        name="hazards",
        description="Country hazard and climate-vulnerability indicators: INFORM Risk 2025 "
        "(drought, floods, cyclones, conflict), WRI Aqueduct 4.0 categories (water stress, "
        "drought, riverine flood), ND-GAIN 1995-2020 (index, vulnerability, water).",
        key=("country", "indicator", "year"),
        columns=(
            _c("country"),
            _c("indicator"),
            _YEAR,
            _c("value", "float", minimum=0.0, maximum=100.0),
            _c("scale"),
            *_SOURCE,
        ),
    ),
)
