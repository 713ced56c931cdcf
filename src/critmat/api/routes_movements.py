"""Routes: one ``POST /api/v1/inventory/<route>`` per declared movement kind
(critmat.usecases.movements), generated from its declaration: the request model from its
parameters, the role that may book it, the help text. Each books through the one path,
:meth:`critmat.inventory.ledger.Ledger.book`, as the token's user, awaited on the server's group
committer (critmat.inventory.group_commit) rather than in a thread.

No ``from __future__ import annotations`` here: the handlers' annotations name request models
made at run time, which FastAPI must see as classes."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field, create_model

from critmat.api.auth import Principal
from critmat.api.deps import ledger, require
from critmat.usecases.movements import MovementKind, kinds

__all__ = ["Booked", "movement_router", "request_model"]


class Booked(BaseModel):
    """The ledger entries a write booked (or, for a retried idempotency key, had booked)."""

    entries: list[int] = Field(description="sequence numbers of the entries, in order")


def request_model(kind: MovementKind) -> type[BaseModel]:
    """The JSON body a movement kind takes: its parameters (text; quantities as exact decimal
    text) and an optional idempotency key; unknown fields refused."""
    fields: dict[str, Any] = {}
    for p in kind.params:
        text = Annotated[str, Field(min_length=p.min_length, max_length=p.max_length,
                                    description=p.help)]  # fmt: skip
        fields[p.name] = (text, ... if p.default is None else p.default)
    fields["key"] = (
        str | None,
        Field(None, max_length=100, description="idempotency key: a retry never books twice"),
    )
    name = "".join(w.title() for w in kind.name.split("_")) + "In"
    model: type[BaseModel] = create_model(
        name, __config__=ConfigDict(extra="forbid"), __doc__=kind.help, **fields
    )
    return model


def _add_route(router: APIRouter, kind: MovementKind) -> None:
    body_model = request_model(kind)
    who = require(kind.role)

    async def book(
        request: Request,
        body: body_model,  # type: ignore[valid-type]
        p: Annotated[Principal, Depends(who)],
    ) -> Booked:
        values = body.model_dump()  # type: ignore[attr-defined]
        key = values.pop("key")
        seqs = await ledger(request, p.name).submit(
            lambda led: led.book(kind.name, key=key, **values)
        )
        return Booked(entries=seqs)

    book.__name__ = f"book_{kind.name}"
    router.add_api_route(
        f"/{kind.route}",
        book,
        methods=["POST"],
        status_code=201,
        response_model=Booked,
        summary=kind.help.split(":")[0].rstrip("."),
        description=f"{kind.help} Needs the {kind.role} role.",
    )


def movement_router() -> APIRouter:
    """The routes of every movement kind declared now."""
    router = APIRouter(prefix="/api/v1/inventory")
    for kind in kinds():
        _add_route(router, kind)
    return router
