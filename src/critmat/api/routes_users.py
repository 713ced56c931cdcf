"""Routes: the API's users, for admins (what ``critmat users`` does): list, create, disable,
enable, a new token. Tokens are shown once; only a salted hash is stored (critmat.api.auth)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi import Path as ApiPath
from pydantic import BaseModel, ConfigDict, Field

from critmat.api.auth import Principal, add_user, list_users, rotate_token, set_disabled
from critmat.api.deps import admin, engine

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/users")

Admin = Annotated[Principal, Depends(admin)]
Name = Annotated[str, ApiPath(min_length=1, max_length=60)]


class UserIn(BaseModel):
    """A new user."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=60)
    role: str = Field("viewer", pattern="^(viewer|analyst|operator|admin)$")


@router.get("")
def users(request: Request, _: Admin) -> dict[str, Any]:
    """Every user (name, role, created, disabled, the token's public id)."""
    return {"items": list_users(engine(request))}


@router.post("", status_code=201)
def create(request: Request, body: UserIn, _: Admin) -> dict[str, Any]:
    """Create a user; the token is in this answer only."""
    return {"name": body.name, "role": body.role,
            "token": add_user(engine(request), body.name, body.role)}  # fmt: skip


@router.post("/{name}/disable")
def disable(request: Request, name: Name, _: Admin) -> dict[str, Any]:
    """Disable a user: refused at once by this process, within 30 s by the others."""
    set_disabled(engine(request), name, True)
    return {"name": name, "disabled": True}


@router.post("/{name}/enable")
def enable(request: Request, name: Name, _: Admin) -> dict[str, Any]:
    """Enable a disabled user again."""
    set_disabled(engine(request), name, False)
    return {"name": name, "disabled": False}


@router.post("/{name}/token")
def token(request: Request, name: Name, _: Admin) -> dict[str, Any]:
    """A new token for a user (in this answer only); the old one is refused."""
    return {"name": name, "token": rotate_token(engine(request), name)}
