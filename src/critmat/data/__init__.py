"""Know: the sourced reference dataset (schemas, loader, checks, unit conversions).

>>> import critmat.data as cd
>>> ds = cd.load()
>>> ds.resolve_material("Co")
'cobalt'

The names below are imported on first use, so ``import critmat.data.units`` stays cheap (no
pandas).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from critmat.data.dataset import Dataset, UnknownChoiceError, load
    from critmat.data.loader import DatasetError

__all__ = ["Dataset", "DatasetError", "UnknownChoiceError", "load"]


def __getattr__(name: str) -> Any:
    if name in ("Dataset", "UnknownChoiceError", "load"):
        from critmat.data import dataset

        return getattr(dataset, name)
    if name == "DatasetError":
        from critmat.data.loader import DatasetError

        return DatasetError
    raise AttributeError(f"module 'critmat.data' has no attribute {name!r}")
