"""What every inventory input passes: exact quantities, texts, codes and dates, and the one error
an inventory refusal raises (nothing was written when it is raised)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from critmat.data.units import convert_mass
from critmat.errors import CritmatError
from critmat.inventory.models import MAX_QTY

__all__ = [
    "FIRST_DAY",
    "LAST_DAY",
    "PLAIN_DECIMAL",
    "Q6",
    "InventoryError",
    "Number",
    "check_code",
    "check_text",
    "exact",
    "parse_day",
    "positive",
    "to_tonnes",
]

Q6 = Decimal("0.000001")

#: quantities and amounts as given: exact text or Decimal preferred (a float is taken as printed)
Number = Decimal | float | str

#: dates the inventory accepts (acquisitions, services, policies, plans)
FIRST_DAY, LAST_DAY = dt.date(1950, 1, 1), dt.date(2200, 12, 31)

#: a quantity typed by a person or sent over HTTP: plain ASCII decimal digits, an optional minus
#: and decimal point; no spaces, plus sign, digit-group underscores, exponent or other scripts'
#: digits (Python's Decimal would accept all of those)
PLAIN_DECIMAL = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", re.ASCII)


class InventoryError(CritmatError):
    """A refused operation; nothing was written."""


def exact(x: Number, what: str = "quantity", limit: Decimal = MAX_QTY) -> Decimal:
    """An exact decimal with 6 places; text must be a plain ASCII decimal (:data:`PLAIN_DECIMAL`);
    NaN, infinities and values beyond ``limit`` refused."""
    if isinstance(x, str) and not PLAIN_DECIMAL.fullmatch(x):
        raise InventoryError(
            f"{what} {x!r} is not a plain decimal number (digits 0-9, an optional '-' and '.', "
            "e.g. 1000 or 12.5)"
        )
    try:
        d = Decimal(str(x))
    except (InvalidOperation, ValueError):
        raise InventoryError(f"{what} {x!r} is not a number") from None
    if not d.is_finite():
        raise InventoryError(f"{what} must be a finite number, not {x}")
    if abs(d) > limit:
        raise InventoryError(f"{what} {x} is out of range (at most {limit:,f} in absolute value)")
    return d.quantize(Q6)


def positive(x: Number) -> Decimal:
    """An exact quantity above zero (corrections in either direction are adjustments)."""
    q = exact(x)
    if q <= 0:
        raise InventoryError(f"quantity must be positive, not {x} (use adjust for corrections)")
    return q


def to_tonnes(quantity: Decimal | float, unit: str) -> float:
    """A quantity of a lot in tonnes (conversion by critmat.data.units)."""
    return float(convert_mass(float(quantity), unit, "t"))


def check_text(what: str, value: str, most: int) -> str:
    """A text field: at most ``most`` characters, no control characters."""
    if len(value) > most:
        raise InventoryError(f"{what} is {len(value):,} characters long; at most {most}")
    if any(ord(c) < 32 for c in value):
        raise InventoryError(f"{what} contains control characters")
    return value


def check_code(what: str, value: str, most: int) -> str:
    """A code: 1-``most`` characters, no spaces, slashes or control characters."""
    check_text(what, value, most)
    if not value or any(c.isspace() or c in "/#%" for c in value):
        raise InventoryError(
            f"{what} {value!r} must be 1-{most} characters without spaces, '/', '#' or '%'"
        )
    return value


def parse_day(value: str | dt.date, what: str) -> dt.date:
    """A date YYYY-MM-DD between 1950 and 2200, or a refusal naming the field."""
    if isinstance(value, dt.date):
        day = value
    else:
        try:
            day = dt.date.fromisoformat(str(value))
        except ValueError:
            raise InventoryError(f"{what} must be a date YYYY-MM-DD, not {value!r}") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise InventoryError(f"{what} {day} is outside {FIRST_DAY} to {LAST_DAY}")
    return day
