"""Sample events for the plumbing tests: points earned by a member."""

from __future__ import annotations

from datetime import UTC, datetime

from rapport_events.contracts.loyalty import PointsEarned
from rapport_events.envelope import EventEnvelope

AT = datetime(2026, 5, 1, tzinfo=UTC)
BRAND = "brd_1"


def points_earned(member: str, points: int) -> PointsEarned:
    return PointsEarned(
        member_id=member,
        brand_id=BRAND,
        points=points,
        balance=points,
        reason="purchase",
        source_id=f"pur_{member}_{points}",
        earned_at=AT,
    )


def points_envelope(member: str, points: int) -> EventEnvelope:
    return EventEnvelope.wrap(
        points_earned(member, points), source="/rapport/loyalty", brand_id=BRAND, time=AT
    )
