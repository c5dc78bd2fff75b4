"""The events journey listens to: every member event a map may name, the notifier's
outcomes of the touchpoints journey asked for, and the templates brands save there.

One brand rule for every event journey consumes: an event naming a member that journey knows
under another brand is dead-lettered with the reason "member ... belongs to another brand than
the event's brand_id ...", and changes nothing. Journey knows a member's brand from two places,
and each refuses in those words: the replica of identity's directory (the guard
``with_directory`` puts before every handler, in ``bootstrap.py``) and her journey (a journey is
its brand's: :class:`~journey.domain.errors.MemberOfAnotherBrand`), which covers members whose
registration has not reached the replica yet. A member known to neither starts a journey of the
event's brand: the producer checked her.

The handlers collect; the placement of a whole transaction's events happens in the consumer's
finish step (``JourneyHandlers.place``), where a refusal dead-letters only the event that
caused it (the batch is retried record by record).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rapport_events.consumer import Handler, RejectEvent, Subscription
from rapport_events.contracts.identity import (
    MemberBoundToAssociate,
    MemberRegistered,
    ReferralMade,
)
from rapport_events.contracts.loyalty import TierChanged
from rapport_events.contracts.notifier import (
    MessageCapped,
    MessageDelivered,
    MessageDeliveryFailed,
    MessageHeld,
    TemplateSaved,
)
from rapport_events.contracts.service_orders import (
    AppointmentBooked,
    AppointmentCancelled,
    AppointmentMissed,
    PurchaseRecorded,
    ReviewSubmitted,
    VisitCompleted,
)
from rapport_events.envelope import DomainEvent, EventEnvelope
from rapport_events.topics import (
    IDENTITY_MEMBERS,
    LOYALTY_POINTS,
    NOTIFIER_DELIVERIES,
    NOTIFIER_TEMPLATES,
    SERVICE_ORDERS,
)

from journey.application.handlers import JourneyHandlers
from journey.domain.errors import MemberOfAnotherBrand


def subscriptions(handlers: JourneyHandlers) -> list[Subscription]:
    """Journey's own handlers; ``bootstrap.py`` adds the directory replica's feed and guard."""
    kept = handlers.on_member_event
    return [
        _subscribed(
            IDENTITY_MEMBERS,
            {
                MemberRegistered: kept,
                MemberBoundToAssociate: handlers.on_member_bound,
                ReferralMade: kept,
            },
        ),
        _subscribed(
            SERVICE_ORDERS,
            {
                VisitCompleted: kept,
                PurchaseRecorded: kept,
                AppointmentBooked: kept,
                AppointmentCancelled: kept,
                AppointmentMissed: kept,
                ReviewSubmitted: kept,
            },
        ),
        _subscribed(LOYALTY_POINTS, {TierChanged: kept}),
        _subscribed(NOTIFIER_TEMPLATES, {TemplateSaved: handlers.on_template_saved}),
        _subscribed(
            NOTIFIER_DELIVERIES,
            {
                MessageDelivered: handlers.on_delivery_result,
                MessageDeliveryFailed: handlers.on_delivery_result,
                MessageCapped: handlers.on_delivery_result,
                MessageHeld: handlers.on_delivery_result,
            },
        ),
    ]


def _subscribed(topic: str, handlers: Mapping[type[DomainEvent], Handler]) -> Subscription:
    """A subscription whose handlers dead-letter the events journey refuses."""
    return Subscription(
        topic=topic, handlers={k: _dead_lettering_refusals(h) for k, h in handlers.items()}
    )


def _dead_lettering_refusals(handler: Handler) -> Handler:
    async def handle(event: Any, envelope: EventEnvelope, uow: Any) -> None:
        try:
            await handler(event, envelope, uow)
        except MemberOfAnotherBrand as refusal:
            # No retry can make another brand's event acceptable.
            raise RejectEvent(refusal.message) from refusal

    return handle
