"""Numbers as people read them: significant figures, grouped digits, no exponent, and a value
that is not zero never printed as 0."""

from __future__ import annotations

import math

__all__ = ["sig", "usd"]


def sig(x: float, digits: int = 2) -> str:
    """``x`` to at least ``digits`` significant figures (all of its integer digits), with
    thousands separators and no exponent: 0.5 -> "0.5", 0.0123 -> "0.012", 1234.5 -> "1,234"."""
    if not math.isfinite(x) or x == 0:
        return f"{x:g}"
    mag = math.floor(math.log10(abs(x)))
    decimals = max(digits - 1 - mag, 0)
    text = f"{x:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if decimals else text


def usd(x: float) -> str:
    """An amount of money as people say it: 582 m USD, 1.9 bn USD, 740 USD (significant
    figures by :func:`sig`, never an exponent)."""
    if not math.isfinite(x):
        return f"{x:g} USD"
    a = abs(x)
    if a >= 1e9:
        return f"{sig(x / 1e9)} bn USD"
    if a >= 1e6:
        return f"{sig(x / 1e6)} m USD"
    return f"{sig(x)} USD"
