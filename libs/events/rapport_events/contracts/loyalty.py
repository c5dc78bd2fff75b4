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
