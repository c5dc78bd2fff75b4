"""The notifier repositories' contract: one suite, run on the in-memory fakes and PostgreSQL.

``backend`` opens units of work on a fresh, empty store of either kind; its helpers store
rows in a unit of their own, as a handler would.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

import asyncpg
import pytest
import pytest_asyncio
from notifier.adapters import MIGRATIONS
from notifier.adapters.memory import SOURCE, InMemoryNotifierUnitOfWork, in_memory_database
from notifier.adapters.postgres import PostgresNotifierUnitOfWork
from notifier.application.ports import DeliveryFilter, StoredTemplate
from notifier.domain.deliveries import Delivery, DeliveryStatus, Touchpoint
from notifier.domain.templates import ChannelName
from notifier.settings import SERVICE_NAME
from rapport_events.clock import ManualClock
from rapport_events.directory import DIRECTORY_MIGRATIONS
from rapport_platform.db import migrate

from tests.support.http import BRAND, NOW
from tests.support.polling import eventually
from tests.unit.notifier.builders import MEMBER, touchpoint_id

UnitOfWork = InMemoryNotifierUnitOfWork | PostgresNotifierUnitOfWork
"""Either unit of work: the port, and ``emitted`` to see what a unit queued."""

LOCK_WAITS = (
    "SELECT count(*) FROM pg_stat_activity"
    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
)


def delivery(
    number: int,
    *,
    at: datetime = NOW,
    status: DeliveryStatus = "delivered",
    channel: ChannelName = "sms",
    marketing: bool = True,
    brand_id: str = BRAND,
    member_id: str = MEMBER,
    template: str = "welcome_back",
    recipient_id: str | None = None,
) -> Delivery:
    """Delivery ``number`` of touchpoint ``number``; ids of known order (``dlv_0…01``)."""
    touchpoint = Touchpoint(
        touchpoint_id=touchpoint_id(number),
        brand_id=brand_id,
        member_id=member_id,
        recipient_id=recipient_id or member_id,
        template=template,
        channel=channel,
        marketing=marketing,
    )
    failed = status == "failed"
    return Delivery(
        delivery_id=f"dlv_{number:032x}",
        touchpoint=touchpoint,
        channel=channel,
        status=status,
        created_at=at,
        text=f"message {number}",
        reason="weekly marketing cap reached (2 per 7 days)" if failed else None,
        trace_id="4bf92f3577b34da6a3ce929d0e0e4736",
        correlation_id="corr-1",
    )


@dataclass
class Backend:
    unit_of_work: Callable[[], UnitOfWork]
    someone_waits: Callable[[], Awaitable[None]]
    """Returns once another unit of work waits for a lock one holds (PostgreSQL); at once in
    memory, where a second unit of work starts only after the open one ends."""
    clock: ManualClock
    is_postgres: bool = False

    async def record(self, *deliveries: Delivery) -> None:
        async with self.unit_of_work() as uow:
            for each in deliveries:
                await uow.deliveries.record(each)

    async def every_delivery(self, where: DeliveryFilter | None = None) -> list[Delivery]:
        async with self.unit_of_work() as uow:
            return await uow.deliveries.page(where or DeliveryFilter(BRAND), None, 1000)

    async def save_templates(self, brand_id: str, *templates: StoredTemplate) -> None:
        async with self.unit_of_work() as uow:
            for stored in templates:
                await uow.templates.save(brand_id, stored)


async def _at_once() -> None:
    return None


@pytest_asyncio.fixture
async def notifier_pool(pool: asyncpg.Pool) -> asyncpg.Pool:
    """A fresh database with the notifier's tables and its replica of identity's directory."""
    await migrate(pool, MIGRATIONS, DIRECTORY_MIGRATIONS, component=SERVICE_NAME)
    return pool


@pytest.fixture(params=["memory", "postgres"])
def backend(request: pytest.FixtureRequest) -> Backend:
    clock = ManualClock(NOW)
    if request.param == "memory":
        database = in_memory_database()
        return Backend(
            lambda: InMemoryNotifierUnitOfWork(database, source=SOURCE, clock=clock),
            _at_once,
            clock,
        )
    pool: asyncpg.Pool = request.getfixturevalue("notifier_pool")

    async def waiting() -> bool:
        return bool(await pool.fetchval(LOCK_WAITS))

    async def someone_waits() -> None:
        await eventually(waiting, timeout=10, what="a unit of work waiting on a lock")

    return Backend(
        lambda: PostgresNotifierUnitOfWork(pool, source=SOURCE, clock=clock),
        someone_waits,
        clock,
        is_postgres=True,
    )
