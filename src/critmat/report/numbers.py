"""Numbers as people read them: significant figures, grouped digits, no exponent, and a value
that is not zero never printed as 0."""

from __future__ import annotations

import math

__all__ = ["sig"]


def sig(x: float, digits: int = 2) -> str:
    """``x`` to at least ``digits`` significant figures (all of its integer digits), with
    thousands separators and no exponent: 0.5 -> "0.5", 0.0123 -> "0.012", 1234.5 -> "1,234"."""
    if not math.isfinite(x) or x == 0:
        return f"{x:g}"
    mag = math.floor(math.log10(abs(x)))
    decimals = max(digits - 1 - mag, 0)
    text = f"{x:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if decimals else text
