"""Test data and the loyalty service assembled on its in-memory adapters."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

from loyalty.adapters.memory import InMemoryLoyaltyUnitOfWork
from loyalty.application.commands import EarnPoints
from loyalty.application.handlers import LoyaltyHandlers
from loyalty.application.queries import LoyaltyQueries
from loyalty.domain.account import stream_id_for
from loyalty.entrypoints.consumers import subscriptions
from rapport_events.clock import ManualClock
from rapport_events.consumer import Handler
from rapport_events.contracts.loyalty import PointsEarned
from rapport_events.directory import with_directory
from rapport_events.envelope import DomainEvent, EventEnvelope
from rapport_events.registry import registry
from rapport_events.uow import InMemoryDatabase

SOURCE = "/rapport/loyalty"
AT = datetime(2026, 3, 1, 10, 30, tzinfo=UTC)


def earning(
    amount: str,
    source_id: str,
    *,
    member_id: str = "mbr_1",
    brand_id: str = "brd_1",
    reason: str = "purchase",
    at: datetime = AT,
) -> EarnPoints:
    return EarnPoints(
        member_id=member_id,
        brand_id=brand_id,
        amount=Decimal(amount),
        reason=reason,  # type: ignore[arg-type]
        source_id=source_id,
        at=at,
    )


def units_of_work(database: InMemoryDatabase) -> Callable[[], InMemoryLoyaltyUnitOfWork]:
    clock = ManualClock(AT)
    return lambda: InMemoryLoyaltyUnitOfWork(database, source=SOURCE, clock=clock)


def handlers_on(database: InMemoryDatabase) -> LoyaltyHandlers:
    return LoyaltyHandlers(units_of_work(database), ManualClock(AT))


def queries_on(database: InMemoryDatabase) -> LoyaltyQueries:
    return LoyaltyQueries(units_of_work(database))


async def stream_events(database: InMemoryDatabase, member_id: str = "mbr_1") -> list[PointsEarned]:
    """The committed events of a member's account, oldest first."""
    stored = await database.streams.load(stream_id_for(member_id))
    events = [registry.decode(item.envelope) for item in stored]
    assert all(isinstance(event, PointsEarned) for event in events)
    return events  # type: ignore[return-value]


def consumer_handlers(database: InMemoryDatabase) -> dict[type[DomainEvent], Handler]:
    """Every handler of the consumer, by event type, as ``bootstrap.py`` wires them: loyalty's
    own and the directory replica's feed, all behind the replica's guard."""
    wired = with_directory(subscriptions(handlers_on(database)))
    return {kind: handler for each in wired for kind, handler in each.handlers.items()}


def envelope_of(event: DomainEvent, brand_id: str | None = None) -> EventEnvelope:
    """``event`` as a producer sends it; ``brand_id`` (the data's by default) in the header."""
    brand = brand_id or str(event.model_dump()["brand_id"])
    return EventEnvelope.wrap(event, source="/rapport/tests", brand_id=brand, time=AT)


async def consume(
    database: InMemoryDatabase, event: DomainEvent, envelope: EventEnvelope | None = None
) -> None:
    """What the consumer does: the subscribed handler in a unit of work it opened."""
    async with units_of_work(database)() as uow:
        handler = consumer_handlers(database)[type(event)]
        await handler(event, envelope or envelope_of(event), uow)
