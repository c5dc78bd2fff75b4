"""Service orders earn points.

The handlers run inside the consumer's unit of work, after its inbox has filtered
redeliveries. A concurrent append to the same account surfaces as ``ConcurrencyError``; it is
left to the consumer, which rolls back and processes the record again on fresh history.

One brand rule for every event loyalty consumes: an event naming a member that loyalty knows
under another brand is dead-lettered with the reason "member ... belongs to another brand than
the event's brand_id ...", and changes nothing. Loyalty knows a member's brand from two places,
and each refuses in those words: the replica of identity's directory (the guard
``with_directory`` puts before every handler, in ``bootstrap.py``) and her points account (an
account belongs to one brand: :class:`~loyalty.domain.errors.MemberOfAnotherBrand`), which
covers members whose registration has not reached the replica yet (identity's events about a
member are checked against her account too, before the replica learns her). A member known to
neither earns: the producer checked her.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from rapport_events.consumer import Handler, RejectEvent, Subscription
from rapport_events.contracts.identity import MemberBoundToAssociate, MemberRegistered
from rapport_events.contracts.service_orders import PurchaseRecorded, VisitCompleted
from rapport_events.envelope import EventEnvelope
from rapport_events.topics import IDENTITY_MEMBERS, SERVICE_ORDERS

from loyalty.application.handlers import LoyaltyHandlers
from loyalty.application.ports import LoyaltyUnitOfWork
from loyalty.domain.errors import LoyaltyError

EventMethod = Callable[[Any, EventEnvelope, LoyaltyUnitOfWork], Awaitable[None]]


def dead_lettering(method: EventMethod) -> Handler:
    """``method``, with the events the loyalty rules refuse parked for a person."""

    async def handler(event: Any, envelope: EventEnvelope, uow: LoyaltyUnitOfWork) -> None:
        try:
            await method(event, envelope, uow)
        except LoyaltyError as exc:
            # Retrying cannot make a refused event acceptable.
            raise RejectEvent(str(exc)) from exc

    return handler


def subscriptions(handlers: LoyaltyHandlers) -> list[Subscription]:
    """Loyalty's own handlers; ``bootstrap.py`` adds the directory replica's feed and guard."""
    return [
        Subscription(
            topic=SERVICE_ORDERS,
            handlers={
                PurchaseRecorded: dead_lettering(handlers.on_purchase_recorded),
                VisitCompleted: dead_lettering(handlers.on_visit_completed),
            },
        ),
        Subscription(
            topic=IDENTITY_MEMBERS,
            handlers={
                MemberRegistered: dead_lettering(handlers.on_member_identified),
                MemberBoundToAssociate: dead_lettering(handlers.on_member_identified),
            },
        ),
    ]
