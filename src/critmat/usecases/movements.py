"""Every kind of stock movement, declared once as data.

A declaration says what a movement is called in the ledger, on the command line and in the HTTP
API, what it needs (its parameters, in the order the command line takes them), where its legs
book quantity (into or out of a zone, into or out of transit), whether it needs a reason and who
may book it. The ledger books every kind through one path
(:meth:`critmat.inventory.ledger.Ledger.book`), and the ``critmat inventory`` commands and the
``/api/v1/inventory`` routes are generated from these declarations: a new kind is one
:func:`register` call (docs/architecture.md, "to add a movement kind").
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "MOVEMENTS",
    "TRANSIT",
    "Leg",
    "MovementKind",
    "Param",
    "get",
    "kinds",
    "register",
]

#: a leg's location for goods in transit (every other location is a zone parameter's value)
TRANSIT = "transit"


@dataclass(frozen=True)
class Param:
    """One input of a movement: its name (CLI argument, JSON field, :meth:`Ledger.book`
    keyword), a help text, its longest length and the shortest (1: must not be blank)."""

    name: str
    help: str
    max_length: int
    min_length: int = 0
    #: an option with this default instead of a required argument
    default: str | None = None
    #: a signed quantity (negative allowed; only where the kind's leg is signed)
    signed: bool = False


@dataclass(frozen=True)
class Leg:
    """Where a leg books: a zone parameter's name or :data:`TRANSIT`, and the sign of the
    quantity there (+1 in, -1 out, 0 as given: a signed correction)."""

    at: str
    sign: int


@dataclass(frozen=True)
class MovementKind:
    """A kind of movement, declared once.

    ``quantity`` is either given (the ``quantity`` and ``unit`` parameters) or, for a kind that
    closes a transfer (``closes_transfer``), the transfer's whole quantity in transit. A kind
    that ``opens_transfer`` needs a transfer id not used before. The legs of one movement are
    booked in one transaction: a kind whose legs' signs sum to zero conserves stock.
    """

    name: str  # stored in the ledger's ``kind`` column (at most 20 characters)
    command: str  # ``critmat inventory COMMAND``
    route: str  # ``POST /api/v1/inventory/ROUTE``
    help: str
    params: tuple[Param, ...]
    legs: tuple[Leg, ...]
    reason: bool = False
    role: str = "operator"
    opens_transfer: bool = False
    closes_transfer: bool = False

    @property
    def names(self) -> tuple[str, ...]:
        """The parameter names, in command-line order."""
        return tuple(p.name for p in self.params)


LOT = Param("lot", "Lot code.", 60, 1)
ZONE = Param("zone", "FACILITY/ZONE.", 81, 1)
QUANTITY = Param("quantity", "Exact decimal in UNIT, e.g. 12.5.", 40, 1)
SIGNED = Param("quantity", "Exact signed decimal in UNIT, e.g. -2.5.", 40, 1, signed=True)
UNIT = Param("unit", "Mass unit of the quantity (t or kg).", 10, 1, default="t")
REASON = Param("reason", "Why (kept in the ledger).", 300, 1)
TRANSFER = Param("transfer", "Transfer id.", 60, 1)
CARRIER = Param("carrier", "Carrier.", 120)
ROUTE = Param("route", "Route.", 200)
SEAL = Param("seal", "Seal number.", 60)

_IN, _OUT = (Leg("zone", +1),), (Leg("zone", -1),)

#: the shipped movement kinds, in the order the CLI lists them
MOVEMENTS: dict[str, MovementKind] = {}


def register(kind: MovementKind) -> MovementKind:
    """Declare a movement kind (a name, command or route used already is refused)."""
    for other in MOVEMENTS.values():
        for attr in ("name", "command", "route"):
            if getattr(other, attr) == getattr(kind, attr):
                raise ValueError(f"movement {attr} {getattr(kind, attr)!r} is declared already")
    if len(kind.name) > 20:
        raise ValueError(f"movement kind {kind.name!r} is longer than 20 characters")
    zones = {p.name for p in kind.params}
    for leg in kind.legs:
        if leg.at != TRANSIT and leg.at not in zones:
            raise ValueError(f"movement {kind.name}: leg at {leg.at!r} is no parameter")
    MOVEMENTS[kind.name] = kind
    return kind


def get(name: str) -> MovementKind:
    """The kind booked as ``name``; KeyError names the known kinds."""
    try:
        return MOVEMENTS[name]
    except KeyError:
        raise KeyError(f"unknown movement kind {name!r}; known: {', '.join(MOVEMENTS)}") from None


def kinds() -> list[MovementKind]:
    """Every declared kind."""
    return list(MOVEMENTS.values())


register(MovementKind("receipt", "receive", "receipts", "Book a receipt into FACILITY/ZONE.",
                      (LOT, ZONE, QUANTITY, UNIT), _IN))  # fmt: skip
register(
    MovementKind(
        "dispatch",
        "transfer",
        "dispatches",
        "Dispatch a transfer: out of a zone into transit (sealed, with carrier and route).",
        (LOT, ZONE, QUANTITY, TRANSFER, CARRIER, ROUTE, SEAL, UNIT),
        (Leg("zone", -1), Leg(TRANSIT, +1)),
        opens_transfer=True,
    )
)
register(
    MovementKind(
        "arrive",
        "arrive",
        "arrivals",
        "A transfer arrives in a zone (its whole in-transit quantity, exactly once).",
        (TRANSFER, ZONE),
        (Leg(TRANSIT, -1), Leg("zone", +1)),
        closes_transfer=True,
    )
)
register(
    MovementKind(
        "lost",
        "lost",
        "losses",
        "A transfer is reported lost in transit (exactly once).",
        (TRANSFER, REASON),
        (Leg(TRANSIT, -1),),
        reason=True,
        closes_transfer=True,
    )
)
register(MovementKind("release", "release", "releases",
                      "Release material from a zone (a reason is required).",
                      (LOT, ZONE, QUANTITY, REASON, UNIT), _OUT, reason=True))  # fmt: skip
register(MovementKind("rotation_sale", "sell", "sales",
                      "A rotation sale out of a zone (a reason is required).",
                      (LOT, ZONE, QUANTITY, REASON, UNIT), _OUT, reason=True))  # fmt: skip
register(MovementKind("adjustment", "adjust", "adjustments",
                      "Adjust a balance up or down (signed quantity; a reason is required).",
                      (LOT, ZONE, SIGNED, REASON, UNIT), (Leg("zone", 0),),
                      reason=True))  # fmt: skip
