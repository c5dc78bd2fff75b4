"""Test data, and the notifier assembled on its in-memory adapters.

Events reach the handlers as the consumer hands them over: through the service's real
subscriptions, with identity's directory feed and its guard (``with_directory``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from notifier.adapters.memory import SOURCE, InMemoryNotifierUnitOfWork, NotifierTables
from notifier.application.handlers import NotifierHandlers
from notifier.application.queries import NotifierQueries
from notifier.domain.deliveries import Delivery
from notifier.entrypoints.consumers import subscriptions
from rapport_events.clock import Clock, ManualClock
from rapport_events.consumer import Handler
from rapport_events.contracts.journey import TouchpointRequested
from rapport_events.directory import DirectoryTables, with_directory
from rapport_events.envelope import DomainEvent, EventEnvelope
from rapport_events.uow import InMemoryDatabase

from tests.support.http import BRAND, NOW, STORE

MEMBER = "mbr_" + "1" * 32
OTHER_MEMBER = "mbr_" + "2" * 32
STAFF = "stf_" + "7" * 32
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"
CORRELATION_ID = "corr-1"
LIANG = {"surname": "梁", "title": "小姐", "offer": "50元护理券"}
WELCOME_BACK_TEXT = "梁小姐，好久不见！50元护理券已放入您的账户，期待您再次光临。"


def touchpoint_id(number: int) -> str:
    return f"tpt_{number:032x}"


def touchpoint_requested(number: int, at: Any = NOW, **changes: Any) -> TouchpointRequested:
    """Journey's request number ``number``: a marketing welcome-back SMS to ``MEMBER``."""
    fields: dict[str, Any] = {
        "touchpoint_id": touchpoint_id(number),
        "member_id": MEMBER,
        "brand_id": BRAND,
        "store_id": STORE,
        "template": "welcome_back",
        "channel": "sms",
        "recipient_id": MEMBER,
        "marketing": True,
        "variables": LIANG,
        "requested_at": at,
    }
    return TouchpointRequested(**{**fields, **changes})


def envelope_of(event: TouchpointRequested, clock: Clock, brand_id: str = BRAND) -> EventEnvelope:
    """``event`` as the consumer hands it over: from journey, in a trace."""
    return EventEnvelope.wrap(
        event,
        source="/rapport/journey",
        brand_id=brand_id,
        time=clock.now(),
        correlation_id=CORRELATION_ID,
        traceparent=TRACEPARENT,
    )


def units_of_work(
    database: InMemoryDatabase, clock: Clock
) -> Callable[[], InMemoryNotifierUnitOfWork]:
    return lambda: InMemoryNotifierUnitOfWork(database, source=SOURCE, clock=clock)


def handlers_on(database: InMemoryDatabase, clock: Clock | None = None) -> NotifierHandlers:
    clock = clock or ManualClock(NOW)
    return NotifierHandlers(units_of_work(database, clock), clock)


def queries_on(database: InMemoryDatabase) -> NotifierQueries:
    return NotifierQueries(units_of_work(database, ManualClock(NOW)))


def consumed(handlers: NotifierHandlers) -> dict[type[DomainEvent], Handler]:
    """Every event type the notifier consumes, and the handler its consumer runs for it."""
    return {
        kind: handler
        for subscription in with_directory(subscriptions(handlers))
        for kind, handler in subscription.handlers.items()
    }


async def consume(
    database: InMemoryDatabase,
    clock: Clock,
    event: DomainEvent,
    envelope: EventEnvelope,
    uow: InMemoryNotifierUnitOfWork | None = None,
) -> InMemoryNotifierUnitOfWork:
    """Run the consumer's handler of ``event`` in a unit of work of its own (``uow`` if given,
    so that a test can see what a refused handler had written in it); returns the unit."""
    handler = consumed(handlers_on(database, clock))[type(event)]
    uow = uow or units_of_work(database, clock)()
    async with uow:
        await handler(event, envelope, uow)
    return uow


async def deliver(
    database: InMemoryDatabase, clock: Clock, event: TouchpointRequested, *, brand_id: str = BRAND
) -> tuple[EventEnvelope, list[EventEnvelope]]:
    """Hand ``event`` over as the consumer would; returns the envelope handed over and what
    the unit of work emitted."""
    envelope = envelope_of(event, clock, brand_id)
    uow = await consume(database, clock, event, envelope)
    return envelope, uow.emitted


def replica(database: InMemoryDatabase) -> DirectoryTables:
    """The committed replica of identity's directory, to seed members, stores and staff."""
    tables: NotifierTables = database.tables
    return tables.directory


def recorded(database: InMemoryDatabase) -> list[Delivery]:
    """The committed deliveries, in the order they were recorded."""
    tables: NotifierTables = database.tables
    return list(tables.deliveries.values())
