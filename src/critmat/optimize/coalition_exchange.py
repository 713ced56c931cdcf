"""The coalition exchange file: what each member shares (needs per scenario, loss and cost per
tonne), validated on read. Its JSON schema is ``critmat optimize coalition --schema``."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["ExchangeFile", "Member", "Tier"]

NonNeg = Annotated[float, Field(ge=0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class Tier(_Strict):
    """A volume-discount tier of joint procurement: from this many tonnes, this discount."""

    from_t: NonNeg
    discount: Annotated[float, Field(ge=0, lt=1)]


class Member(_Strict):
    """One member's figures, on the file's scenario set."""

    name: str = Field(min_length=1, max_length=60)
    loss_usd_per_t: NonNeg = Field(description="loss per tonne short (USD per t of the basis)")
    cost_usd_per_t: NonNeg = Field(
        description="cost of holding a tonne over the horizon: purchase + holding - end value"
    )
    need_t: list[NonNeg] = Field(
        min_length=1, max_length=1_000_000, description="shortfall per scenario without stock"
    )
    holding_t: NonNeg = Field(0.0, description="tonnes held today (for the record)")
    source: str = Field("", max_length=500, description="how the needs were computed")


class ExchangeFile(_Strict):
    """Members' holdings and needs for one material on one scenario set (equally likely
    scenarios; scenario w is the same world event for every member)."""

    format: Literal["critmat-coalition-exchange/1"]
    material: str = Field(max_length=40)
    basis: str = Field(max_length=20, description="chemical basis of every tonne, e.g. Ga")
    scenario_set: str = Field(min_length=1, max_length=200)
    sharing_rule: Literal["need", "contribution"] = "need"
    volume_discount: list[Tier] = Field(default_factory=list)
    members: list[Member] = Field(min_length=2, max_length=50)

    @model_validator(mode="after")
    def _consistent(self) -> ExchangeFile:
        names = [m.name for m in self.members]
        if len(set(names)) != len(names):
            raise ValueError(
                f"members named twice: {sorted({n for n in names if names.count(n) > 1})}"
            )
        sizes = {m.name: len(m.need_t) for m in self.members}
        if len(set(sizes.values())) > 1:
            raise ValueError(f"members' need_t lists differ in length (scenarios): {sizes}")
        starts = [t.from_t for t in self.volume_discount]
        if starts != sorted(starts):
            raise ValueError("volume_discount tiers must be in ascending from_t")
        return self
