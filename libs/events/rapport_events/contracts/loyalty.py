"""Events published by the loyalty service on ``rapport.loyalty.points``."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field

from rapport_events.envelope import DomainEvent
from rapport_events.registry import registry
from rapport_events.topics import LOYALTY_POINTS


@registry.contract
class PointsEarned(DomainEvent):
    event_type = "rapport.loyalty.points.earned"
    topic = LOYALTY_POINTS

    member_id: str
    brand_id: str
    points: int = Field(gt=0)
    balance: int = Field(ge=0)
    reason: Literal["purchase", "visit", "referral", "adjustment"]
    source_id: str = Field(description="the purchase, visit or referral that earned them")
    earned_at: AwareDatetime


@registry.contract
class TierChanged(DomainEvent):
    """A member moved to another membership tier; ``from_tier`` is None when she had none."""

    event_type = "rapport.loyalty.tier.changed"
    topic = LOYALTY_POINTS

    member_id: str
    brand_id: str
    from_tier: str | None = Field(examples=["member"])
    to_tier: str = Field(examples=["silver"])
    reason: str = Field(max_length=200, examples=["cumulative spend 2,000.00 yuan"])
    changed_at: AwareDatetime
