"""Schema of the world market's per-material parameters (:mod:`critmat.sim.market`): market
stocks, the supply response outside a restricting country, leakage of a restriction, and the
restricting country's share of the market where trade data do not give it (docs/data.md,
docs/methods.md 6.3)."""

from __future__ import annotations

from critmat.data.schemas_base import TableSpec
from critmat.data.schemas_basis import _SOURCE, _c

__all__ = ["MARKET_PARAMETERS", "MARKET_SPECS"]

#: parameter -> (lowest, highest) admissible value
MARKET_PARAMETERS: dict[str, tuple[float, float]] = {
    "stock_months": (0.0, 120.0),
    "leakage": (0.0, 1.0),
    "restrictor_export_share": (0.0, 1.0),
    "response_share": (0.0, 1.0),
    "response_lead_months": (0.0, 120.0),
    "response_ramp_months": (1.0, 120.0),
}

MARKET_SPECS: tuple[TableSpec, ...] = (
    TableSpec(
        name="market_response",
        description="World-market parameters per material (`default`: every material without "
        "its own row): market stocks, leakage of a restriction, the supply response outside "
        "the restricting country, and the restricting country's share of the market; each "
        "with its range (carried as parameter uncertainty) and source.",
        key=("material", "parameter"),
        columns=(
            _c("material"),
            _c("parameter", choices=frozenset(MARKET_PARAMETERS)),
            # the restricting country a restrictor_export_share is of (ISO3)
            _c("country", required=False),
            _c("value", "float", minimum=0.0, maximum=120.0),
            _c("low", "float", minimum=0.0, maximum=120.0),
            _c("high", "float", minimum=0.0, maximum=120.0),
            _c("unit"),
            *_SOURCE,
        ),
    ),
    TableSpec(
        name="event_prices",
        description="Price points reported around recorded disruptions (snapshots, not "
        "series): material, form, market, date, the printed value or range, unit and source; "
        "the record the calibration's price targets are read from.",
        key=("material", "form", "market", "date"),
        columns=(
            _c("material"),
            _c("form"),
            _c("market"),
            _c("date"),
            _c("value_low", "float", required=False, minimum=0.0),
            _c("value_high", "float", required=False, minimum=0.0),
            _c("unit", required=False),
            _c("change_note", required=False),
            _c("event", required=False),
            *_SOURCE,
        ),
    ),
)
