"""Know: the sourced reference dataset (schemas, loader, checks, unit conversions).

>>> import critmat.data as cd
>>> ds = cd.load()
>>> ds.resolve_material("Co")
'cobalt'
"""

from __future__ import annotations

from critmat.data.dataset import Dataset, UnknownChoiceError, load
from critmat.data.loader import DatasetError

__all__ = ["Dataset", "DatasetError", "UnknownChoiceError", "load"]
