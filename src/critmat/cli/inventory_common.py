"""What the inventory's command modules share: the database option, the idempotency key, the
refusal wrapper and opening the ledger."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

if TYPE_CHECKING:
    from critmat.services.inventory import Ledger

F = TypeVar("F", bound=Callable[..., Any])

DbOpt = Annotated[
    str | None,
    typer.Option("--db", help="Database URL (default: $CRITMAT_DATABASE_URL or SQLite file)."),
]
KeyOpt = Annotated[
    str | None, typer.Option("--key", help="Idempotency key: a retry never books twice.")
]


def refused(func: F) -> F:
    """Refused operations print the reason and exit 2 (nothing was written)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from sqlalchemy.exc import OperationalError, ProgrammingError

        from critmat.errors import CritmatError, one_line
        from critmat.services.inventory import InventoryError

        try:
            return func(*args, **kwargs)
        except InventoryError as exc:
            typer.secho(f"refused: {one_line(exc)}", err=True, fg=typer.colors.RED)
            raise typer.Exit(2) from None
        except CritmatError as exc:
            typer.secho(f"error: {one_line(exc)}", err=True, fg=typer.colors.RED)
            raise typer.Exit(2) from None
        except (OperationalError, ProgrammingError) as exc:
            typer.secho(
                f"database error (run `critmat inventory init`?): {exc.orig}",
                err=True,
                fg=typer.colors.RED,
            )
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def open_ledger(db: str | None, *, create: bool = False) -> Ledger:
    from critmat.services.inventory import open_ledger

    return open_ledger(db, create=create)
