"""``critmat serve`` and ``critmat users``: the HTTP API and its users."""

from __future__ import annotations

from typing import Annotated

import typer

from critmat.cli.output import ListFormat, ListFormatOpt, emit_frame, friendly

users_app = typer.Typer(
    rich_markup_mode=None, help="Users of the HTTP API (bearer tokens with roles)."
)


@users_app.command("add")
@friendly
def users_add(
    name: Annotated[str, typer.Argument(help="User name (no spaces).")],
    role: Annotated[str, typer.Option(help="viewer, analyst, operator or admin.")] = "viewer",
    db: Annotated[str | None, typer.Option(help="Database URL (default: the settings').")] = None,
) -> None:
    """Create a user and print the token once (only a salted hash is stored)."""
    from critmat.api.bootstrap import add_user

    token = add_user(db, name, role)
    typer.echo(token)
    typer.echo(f"user {name} ({role}) created; the token above is shown only once", err=True)


@users_app.command("list")
@friendly
def users_list(
    db: Annotated[str | None, typer.Option(help="Database URL (default: the settings').")] = None,
    fmt: ListFormatOpt = ListFormat.table,
) -> None:
    """The users: name, role, created, disabled, the token's public id (never the secret)."""
    import pandas as pd

    from critmat.api.bootstrap import users

    emit_frame(pd.DataFrame(users(db)), fmt, title="Users of the HTTP API")


@users_app.command("disable")
@friendly
def users_disable(
    name: Annotated[str, typer.Argument(help="User name.")],
    db: Annotated[str | None, typer.Option(help="Database URL (default: the settings').")] = None,
) -> None:
    """Disable a user: its token is refused within 30 s by every server process."""
    from critmat.api.bootstrap import disable_user

    disable_user(db, name, True)
    typer.echo(f"user {name} disabled (refused within 30 s by running servers)")


@users_app.command("enable")
@friendly
def users_enable(
    name: Annotated[str, typer.Argument(help="User name.")],
    db: Annotated[str | None, typer.Option(help="Database URL (default: the settings').")] = None,
) -> None:
    """Enable a disabled user again (the same token)."""
    from critmat.api.bootstrap import disable_user

    disable_user(db, name, False)
    typer.echo(f"user {name} enabled")


@users_app.command("rotate-token")
@friendly
def users_rotate(
    name: Annotated[str, typer.Argument(help="User name.")],
    db: Annotated[str | None, typer.Option(help="Database URL (default: the settings').")] = None,
) -> None:
    """A new token for a user, printed once; the old one is refused within 30 s."""
    from critmat.api.bootstrap import new_token

    typer.echo(new_token(db, name))
    typer.echo(f"new token for {name}; the old one is refused within 30 s", err=True)


@friendly
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    database: Annotated[str | None, typer.Option(help="Database URL.")] = None,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="Job worker processes (per server process).")
    ] = 1,
    processes: Annotated[
        int,
        typer.Option(
            min=1, max=64, help="Server processes sharing the port (use the machine's cores)."
        ),
    ] = 1,
    access_log: Annotated[
        bool, typer.Option(help="Log every request to stderr (the audit table keeps every write).")
    ] = True,
    mqtt: Annotated[
        str | None,
        typer.Option(
            help="Also listen to sensor readings from this MQTT broker "
            "(mqtt://HOST:PORT; topic critmat/#; docs/inventory.md)."
        ),
    ] = None,
) -> None:
    """Serve the HTTP API (OpenAPI at /openapi.json, docs at /docs, routes under /api/v1)."""

    import uvicorn

    from critmat.api.bootstrap import build_app, prepare_processes, settle
    from critmat.services.telemetry import beside

    listener = beside(database, mqtt) if mqtt else None  # one, in this process
    try:
        if processes == 1:
            app = settle(build_app(database, workers=workers))
            uvicorn.run(app, host=host, port=port, log_level="info", access_log=access_log)
            return
        from critmat.api.launcher import serve_processes

        url = prepare_processes(database)
        raise typer.Exit(serve_processes(url, workers, processes, host, port, access_log))
    finally:
        if listener is not None:
            listener[0].set()
            listener[1].join(30)
