"""The risk register of the reserve (likelihood and impact on 1-5 scales; score = product)."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from critmat.inventory.checks import InventoryError, check_text
from critmat.inventory.ledger import Ledger
from critmat.inventory.models import Facility, Risk
from critmat.inventory.registers import facility_id

__all__ = ["CATEGORIES", "add_risk", "risk_register"]

CATEGORIES = ("theft", "espionage", "accident", "natural_hazard", "cyber", "logistics", "other")


def add_risk(
    led: Ledger,
    category: str,
    description: str,
    likelihood: int,
    impact: int,
    mitigation: str,
    owner: str,
    facility: str | None = None,
) -> None:
    """Add a risk (facility ``None`` = the whole reserve)."""
    if category not in CATEGORIES:
        raise InventoryError(f"unknown risk category {category!r}; known: {', '.join(CATEGORIES)}")
    for name, v in (("likelihood", likelihood), ("impact", impact)):
        if not 1 <= v <= 5:
            raise InventoryError(f"{name} must be 1..5, not {v}")
    if not owner:
        raise InventoryError("a risk needs an owner")

    check_text("description", description, 300)
    check_text("mitigation", mitigation, 300)
    check_text("owner", owner, 120)
    with Session(led.engine) as s, s.begin():
        fid = None if facility is None else facility_id(s, facility)
        s.add(
            Risk(
                facility_id=fid,
                category=category,
                description=description,
                likelihood=likelihood,
                impact=impact,
                mitigation=mitigation,
                owner=owner,
            )
        )


def risk_register(led: Ledger) -> pd.DataFrame:
    """Risks by score (likelihood x impact), highest first."""
    with Session(led.engine) as s:
        rows = s.execute(
            select(
                Risk.id,
                Facility.code,
                Risk.category,
                Risk.description,
                Risk.likelihood,
                Risk.impact,
                Risk.mitigation,
                Risk.owner,
            ).outerjoin(Facility, Facility.id == Risk.facility_id)
        ).all()
    df = pd.DataFrame(
        rows,
        columns=[
            "id",
            "facility",
            "category",
            "description",
            "likelihood",
            "impact",
            "mitigation",
            "owner",
        ],
    )
    df["facility"] = df["facility"].fillna("all")
    df["score"] = df["likelihood"] * df["impact"]
    return df.sort_values("score", ascending=False).reset_index(drop=True)
