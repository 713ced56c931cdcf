"""Reading user YAML files into pydantic models, with file, key path and reason on every error."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from critmat.data.loader import DatasetError
from critmat.data.schemas import Issue

__all__ = ["YamlLimitError", "load_yaml_model", "load_yaml_text"]

M = TypeVar("M", bound=BaseModel)


#: The largest YAML file critmat reads (a scenario or plan file is a few kB).
MAX_BYTES = 1_000_000
#: The most alias references a file may use.
MAX_ALIASES = 200
#: The deepest nesting of lists and mappings a file may use (critmat's deepest file needs 6;
#: PyYAML builds nested values recursively, so a deeper file would exhaust Python's stack).
MAX_DEPTH = 40


class YamlLimitError(DatasetError):
    """A YAML text beyond critmat's limits (size, aliases, nesting depth): refused before it is
    built (the HTTP API answers 422)."""

    code = "yaml_limit"
    http_status = 422


def _unique_key_loader() -> type:
    """A SafeLoader that refuses a key given twice in one mapping (YAML would keep the last)."""
    import yaml

    class UniqueKeyLoader(yaml.SafeLoader):
        pass

    def mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict:  # type: ignore[type-arg]
        seen: set[object] = set()
        for key_node, _ in node.value:
            key = loader.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} is given twice", key_node.start_mark
                )
            seen.add(key)
        return loader.construct_mapping(node, deep)

    UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    return UniqueKeyLoader


def _decode(data: bytes, p: Path, what: str) -> str:
    """UTF-8 (with or without a byte-order mark) or UTF-16 with its mark; anything else is
    refused with the reason."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DatasetError(
            f"{what} file {p} is not UTF-8 text (byte {exc.start}): save it as UTF-8"
        ) from None


def _check_depth(text: str, name: str) -> None:
    """Refuse nesting deeper than :data:`MAX_DEPTH`, found on PyYAML's event stream (its parser
    is iterative; only building the values recurses)."""
    import yaml

    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                mark = event.start_mark
                at = f" (at line {mark.line + 1}, column {mark.column + 1})" if mark else ""
                raise YamlLimitError(
                    f"{name} nests lists and mappings more than {MAX_DEPTH} levels deep{at}; "
                    "critmat's files need a few"
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def load_yaml_model(path: str | Path, model: type[M], what: str, *, empty_ok: bool = False) -> M:
    """Validate a YAML mapping file as ``model``.

    Raises
    ------
    DatasetError
        When the file is missing, is not YAML, is not a mapping, or fails validation (one issue
        per invalid entry: file, key path such as ``events.0.duration.sigma``, reason).
    """
    p = Path(path)
    if not p.is_file():
        raise DatasetError(f"{what} file {p} does not exist")
    data = p.read_bytes()
    if len(data) > MAX_BYTES:
        raise DatasetError(
            f"{what} file {p} is {len(data):,} bytes; the limit is {MAX_BYTES:,} (is it the "
            "right file?)"
        )
    text = _decode(data, p, what)
    return load_yaml_text(text, model, what, f"{what} file {p}", empty_ok=empty_ok, file=str(p))


def load_yaml_text(
    text: str,
    model: type[M],
    what: str,
    name: str,
    *,
    empty_ok: bool = False,
    file: str | None = None,
) -> M:
    """Validate YAML text (e.g. a request body) as ``model``; ``name`` says where it came from
    in the messages ("scenario file x.yaml", "the request's scenario YAML").

    Raises
    ------
    DatasetError
        As :func:`load_yaml_model`, naming ``name`` instead of a file.
    """
    import yaml

    if len(text.encode()) > MAX_BYTES:
        raise YamlLimitError(f"{name} is {len(text.encode()):,} bytes; the limit is {MAX_BYTES:,}")
    if text.count("*") > MAX_ALIASES and "&" in text:  # alias bombs ("billion laughs")
        raise YamlLimitError(f"{name} uses more than {MAX_ALIASES} YAML aliases")
    try:
        _check_depth(text, name)
        raw = yaml.load(text, Loader=_unique_key_loader())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise DatasetError(f"{name} is not valid YAML{where}: {problem}") from None
    if raw is None and empty_ok:
        raw = {}
    if not isinstance(raw, dict):
        raise DatasetError(f"{name} must hold a mapping of keys to values")
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        issues = [
            Issue(
                check=what,
                table=what,
                file=file or name,
                column=".".join(str(x) for x in err["loc"]),
                message=err["msg"],
            )
            for err in exc.errors()
        ]
        raise DatasetError(f"{name} was refused", issues) from None
