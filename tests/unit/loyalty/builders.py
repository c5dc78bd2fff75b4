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
from rapport_events.clock import ManualClock
from rapport_events.contracts.loyalty import PointsEarned
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
