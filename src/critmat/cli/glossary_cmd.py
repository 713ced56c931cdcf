"""``critmat glossary``: what the abbreviations in critmat's tables mean."""

from __future__ import annotations

from typing import Annotated

import typer

from critmat.cli.output import Format, emit_frame, friendly


@friendly
def glossary(
    term: Annotated[str | None, typer.Argument(help="A term, e.g. IR, SR, CVaR95.")] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f")] = Format.table,
) -> None:
    """Definitions of the terms and abbreviations in critmat's tables and pages."""
    import pandas as pd

    from critmat.data.dataset import UnknownChoiceError
    from critmat.glossary import GLOSSARY, lookup

    found = GLOSSARY if term is None else lookup(term)
    if not found:
        raise UnknownChoiceError("glossary term", term, list(GLOSSARY))
    frame = pd.DataFrame({"term": list(found), "definition": list(found.values())})
    emit_frame(frame, fmt, title="Glossary (docs/methods.md has the equations)")
