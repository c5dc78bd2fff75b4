"""Service orders earn points.

The handlers run inside the consumer's unit of work, after its inbox has filtered
redeliveries. A concurrent append to the same account surfaces as ``ConcurrencyError``; it is
left to the consumer, which rolls back and processes the record again on fresh history.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from rapport_events.consumer import Handler, RejectEvent, Subscription
from rapport_events.contracts.service_orders import PurchaseRecorded, VisitCompleted
from rapport_events.envelope import EventEnvelope
from rapport_events.topics import SERVICE_ORDERS

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
    return [
        Subscription(
            topic=SERVICE_ORDERS,
            handlers={
                PurchaseRecorded: dead_lettering(handlers.on_purchase_recorded),
                VisitCompleted: dead_lettering(handlers.on_visit_completed),
            },
        )
    ]
