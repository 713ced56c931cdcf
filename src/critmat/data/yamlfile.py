"""Reading user YAML files into pydantic models, with file, key path and reason on every error."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from critmat.data.loader import DatasetError
from critmat.data.schemas import Issue

__all__ = ["load_yaml_model"]

M = TypeVar("M", bound=BaseModel)


def load_yaml_model(path: str | Path, model: type[M], what: str, *, empty_ok: bool = False) -> M:
    """Validate a YAML mapping file as ``model``.

    Raises
    ------
    DatasetError
        When the file is missing, is not YAML, is not a mapping, or fails validation (one issue
        per invalid entry: file, key path such as ``events.0.duration.sigma``, reason).
    """
    import yaml

    p = Path(path)
    if not p.is_file():
        raise DatasetError(f"{what} file {p} does not exist")
    try:
        raw = yaml.safe_load(p.read_text())
    except yaml.YAMLError as exc:
        raise DatasetError(f"{what} file {p} is not valid YAML: {exc}") from None
    if raw is None and empty_ok:
        raw = {}
    if not isinstance(raw, dict):
        raise DatasetError(f"{what} file {p} must hold a mapping of keys to values")
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        issues = [
            Issue(
                check=what,
                table=what,
                file=str(p),
                column=".".join(str(x) for x in err["loc"]),
                message=err["msg"],
            )
            for err in exc.errors()
        ]
        raise DatasetError(f"{what} file {p} was refused", issues) from None
