"""Which touchpoints a rule asks for (pure)."""

from __future__ import annotations

from datetime import datetime

from rapport_events.contracts.journey import TouchpointRequested

from journey.domain.journey import MemberJourney, title_for, touchpoint_id

WELCOME_BACK = "welcome_back"
WELCOME_BACK_OFFER = "回归礼券"


def welcome_back(journey: MemberJourney, occasion: str, now: datetime) -> TouchpointRequested:
    """A marketing message inviting a dormant member back, with a voucher."""
    return TouchpointRequested(
        touchpoint_id=touchpoint_id(journey.member_id, WELCOME_BACK, occasion),
        member_id=journey.member_id,
        brand_id=journey.brand_id,
        store_id=journey.store_id,
        template=WELCOME_BACK,
        audience="member",
        channel=journey.preferred_channel,
        recipient_id=journey.member_id,
        marketing=True,
        variables={
            "surname": journey.surname or "",
            "title": title_for(journey.gender),
            "offer": WELCOME_BACK_OFFER,
        },
        requested_at=now,
    )
