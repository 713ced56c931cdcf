"""JSON-safe values: the one conversion the CLI's JSON output and the HTTP API share."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

__all__ = ["jsonable"]


def jsonable(obj: Any) -> Any:
    """NaN and infinities become null (JSON has neither), Decimals strings, NumPy scalars Python
    numbers, mappings and sequences recursively; any other object its text."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, Decimal):
        return str(obj) if obj.is_finite() else None
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [jsonable(v) for v in obj]
    if hasattr(obj, "item"):  # numpy scalar
        return jsonable(obj.item())
    if obj is None or isinstance(obj, str | int | bool):
        return obj
    return str(obj)
