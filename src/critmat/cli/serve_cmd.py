"""``critmat serve`` and ``critmat users``: the HTTP API and its users."""

from __future__ import annotations

from typing import Annotated

import typer

from critmat.cli.output import friendly

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
) -> None:
    """Serve the HTTP API (OpenAPI at /openapi.json, docs at /docs, routes under /api/v1)."""

    import uvicorn

    from critmat.api.bootstrap import build_app, prepare_processes, settle

    if processes == 1:
        app = settle(build_app(database, workers=workers))
        uvicorn.run(app, host=host, port=port, log_level="info", access_log=access_log)
        return
    from critmat.api.launcher import serve_processes

    url = prepare_processes(database)
    raise typer.Exit(serve_processes(url, workers, processes, host, port, access_log))
