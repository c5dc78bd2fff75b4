"""What service-orders consumes: the events a brand's outside systems publish on its
ingestion topic (``rapport.ingest.<brand id>``, every brand's, present and future).

``bootstrap.py`` adds the directory replica's feed and its guard, which dead-letters an event
naming a member or store known under another brand before any handler runs. A refusal of the
handlers (an unknown member, an amount over the limit, an id already used for something
else) is what the API would have answered; here it dead-letters the event with that reason,
and nothing of it is applied.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rapport_events.consumer import Handler, RejectEvent, Subscription
from rapport_events.contracts.service_orders import (
    AppointmentBooked,
    PurchaseRecorded,
    VisitCompleted,
)
from rapport_events.envelope import DomainEvent, EventEnvelope
from rapport_events.topics import INGESTION_TOPICS
from rapport_platform.input_guard import problem_with
from rapport_platform.refusals import Refusal

from service_orders.application.handlers import ServiceOrdersHandlers


def subscriptions(handlers: ServiceOrdersHandlers) -> list[Subscription]:
    """Service-orders' own handlers; ``bootstrap.py`` adds the directory replica's."""
    ingested: Mapping[type[DomainEvent], Handler] = {
        AppointmentBooked: handlers.on_ingested_booking,
        VisitCompleted: handlers.on_ingested_visit,
        PurchaseRecorded: handlers.on_ingested_purchase,
    }
    return [
        Subscription(
            INGESTION_TOPICS, {kind: _rejecting_refusals(h) for kind, h in ingested.items()}
        )
    ]


def _rejecting_refusals(handler: Handler) -> Handler:
    async def handle(event: Any, envelope: EventEnvelope, uow: Any) -> None:
        unstorable = _unstorable_text(event)
        if unstorable is not None:
            raise RejectEvent(f"{event.event_type} refused: {unstorable}")
        try:
            await handler(event, envelope, uow)
        except Refusal as refusal:
            raise RejectEvent(f"{event.event_type} refused: {refusal}") from refusal

    return handle


def _unstorable_text(event: DomainEvent) -> str | None:
    """Text the API would refuse in a request: over-long text above all (NUL and half a
    surrogate pair never get this far: every consumer dead-letters them)."""
    for name, value in event.model_dump().items():
        why = problem_with(value) if isinstance(value, str) else None
        if why is not None:
            return f"{name} {why}"
    return None
