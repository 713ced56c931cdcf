"""``critmat glossary``: what the abbreviations in critmat's tables mean."""

from __future__ import annotations

from typing import Annotated

import typer

from critmat.cli.output import (
    Format,
    FormatOpt,
    OutOpt,
    check_out,
    emit_frame,
    emit_tables,
    friendly,
)


@friendly
def glossary(
    term: Annotated[str | None, typer.Argument(help="A term, e.g. IR, SR, CVaR95.")] = None,
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
) -> None:
    """Definitions of the terms and abbreviations in critmat's tables and pages."""
    import pandas as pd

    from critmat.data.dataset import UnknownChoiceError
    from critmat.glossary import GLOSSARY, lookup

    check_out(fmt, out)
    found = GLOSSARY if term is None else lookup(term)
    if not found:
        raise UnknownChoiceError("glossary term", term, list(GLOSSARY))
    frame = pd.DataFrame({"term": list(found), "definition": list(found.values())})
    if emit_tables({"glossary": frame}, fmt, out, {"command": "critmat glossary"}):
        return
    emit_frame(frame, fmt, title="Glossary (docs/methods.md has the equations)")
