"""Contracts in, member events out: what journey keeps of each event it consumes.

The engine and the dry run speak of member events by kind (``visit.completed``) with the
contract's fields as JSON values; this is the one place that knows which contract is which
kind and which of its fields says when the fact happened (its event time, which placement
follows, rather than the moment the record arrived).
"""

from __future__ import annotations

from typing import Final

from rapport_events.envelope import DomainEvent, EventEnvelope

from journey.domain.facts import MemberEvent
from journey.domain.maps.model import EVENT_KINDS

KIND_OF_EVENT_TYPE: Final = {kind.event_type: kind.name for kind in EVENT_KINDS.values()}

OCCURRED_AT: Final = {
    "member.registered": "registered_at",
    "member.bound": "bound_at",
    "referral.made": "referred_at",
    "visit.completed": "completed_at",
    "purchase.recorded": "purchased_at",
    "appointment.booked": "booked_at",
    "appointment.cancelled": "cancelled_at",
    "appointment.missed": "missed_at",
    "review.submitted": "submitted_at",
    "tier.changed": "changed_at",
    "message.delivered": "delivered_at",
    "message.failed": "failed_at",
}
"""The contract field holding each kind's event time."""

_NOT_DATA: Final = frozenset({"member_id", "brand_id"})


def kind_of(event: DomainEvent) -> str | None:
    """The member-event kind of a contract, or None for events journey does not keep."""
    return KIND_OF_EVENT_TYPE.get(type(event).event_type)


def member_event(event: DomainEvent, envelope: EventEnvelope) -> MemberEvent | None:
    """``event`` as journey keeps it, or None when it is not about a member's journey."""
    kind = kind_of(event)
    if kind is None:
        return None
    data = event.model_dump(mode="json")
    return MemberEvent(
        event_id=envelope.id,
        member_id=data["member_id"],
        brand_id=data["brand_id"],
        kind=kind,
        at=getattr(event, OCCURRED_AT[kind]),
        data={name: value for name, value in data.items() if name not in _NOT_DATA},
    )
