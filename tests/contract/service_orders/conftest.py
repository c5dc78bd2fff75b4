"""The service-orders repositories' contract: one suite, run on the in-memory fakes and
PostgreSQL.

``backend`` opens units of work on a fresh, empty store of either kind; the ``add_*``
helpers store rows in a unit of their own, as a command would.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import asyncpg
import pytest
import pytest_asyncio
from rapport_events.clock import ManualClock
from rapport_events.directory import DIRECTORY_MIGRATIONS
from rapport_platform.db import migrate
from service_orders.adapters import MIGRATIONS
from service_orders.adapters.memory import SOURCE, in_memory_database, unit_of_work_factory
from service_orders.adapters.postgres import PostgresServiceOrdersUnitOfWork
from service_orders.application.ports import ServiceOrdersUnitOfWork
from service_orders.domain import ids
from service_orders.domain.appointment import Appointment
from service_orders.domain.purchase import Purchase
from service_orders.settings import SERVICE_NAME

NOW = datetime(2026, 3, 1, 10, 30, tzinfo=UTC)
HOUR = timedelta(hours=1)
BRAND = "brd_" + "a" * 32
OTHER_BRAND = "brd_" + "b" * 32
STORE = "sto_" + "1" * 32
OTHER_STORE = "sto_" + "2" * 32
MEMBER = "mbr_" + "1" * 32
OTHER_MEMBER = "mbr_" + "2" * 32
STAFF = "stf_" + "1" * 32

LOCK_WAITS = (
    "SELECT count(*) FROM pg_stat_activity"
    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
)


def known_id(prefix: str, hex_digit: str) -> str:
    """Ids whose order is known: a prefix and 32 times one hex digit."""
    return f"{prefix}_{hex_digit * 32}"


def appointment(
    hex_digit: str,
    *,
    scheduled_at: datetime = NOW + HOUR,
    brand_id: str = BRAND,
    store_id: str = STORE,
    member_id: str = MEMBER,
) -> Appointment:
    booked, _ = Appointment.book(
        appointment_id=known_id(ids.APPOINTMENT, hex_digit),
        brand_id=brand_id,
        store_id=store_id,
        member_id=member_id,
        service_code="gel-manicure",
        scheduled_at=scheduled_at,
        booked_by=STAFF,
        now=NOW,
    )
    return booked


def purchase(
    hex_digit: str,
    *,
    purchased_at: datetime = NOW,
    brand_id: str = BRAND,
    store_id: str = STORE,
    member_id: str = MEMBER,
) -> Purchase:
    recorded, _ = Purchase.record(
        purchase_id=known_id(ids.PURCHASE, hex_digit),
        brand_id=brand_id,
        store_id=store_id,
        member_id=member_id,
        amount=Decimal("580.00"),
        description="hand-care set",
        recorded_by=STAFF,
        now=purchased_at,
    )
    return recorded


@dataclass
class Backend:
    unit_of_work: Callable[[], ServiceOrdersUnitOfWork]
    waits_for_a_lock: Callable[[], Awaitable[bool]]
    """Whether some unit of work is waiting for a row another one holds."""

    async def add_appointments(self, *appointments: Appointment) -> None:
        async with self.unit_of_work() as uow:
            for each in appointments:
                await uow.appointments.add(each)

    async def add_purchases(self, *purchases: Purchase) -> None:
        async with self.unit_of_work() as uow:
            for each in purchases:
                await uow.purchases.add(each)


async def _serialised() -> bool:
    # In memory, units of work run one at a time: a second one waits at its start.
    return True


@pytest_asyncio.fixture
async def service_orders_pool(pool: asyncpg.Pool) -> asyncpg.Pool:
    """A fresh database with the service-orders tables and the directory replica's, migrated
    as the service migrates them."""
    await migrate(pool, MIGRATIONS, DIRECTORY_MIGRATIONS, component=SERVICE_NAME)
    return pool


@pytest.fixture(params=["memory", "postgres"])
def backend(request: pytest.FixtureRequest) -> Backend:
    clock = ManualClock(NOW)
    if request.param == "memory":
        return Backend(unit_of_work_factory(in_memory_database(), clock), _serialised)
    pool: asyncpg.Pool = request.getfixturevalue("service_orders_pool")

    def unit_of_work() -> PostgresServiceOrdersUnitOfWork:
        return PostgresServiceOrdersUnitOfWork(pool, source=SOURCE, clock=clock)

    async def waits_for_a_lock() -> bool:
        return bool(await pool.fetchval(LOCK_WAITS))

    return Backend(unit_of_work, waits_for_a_lock)
