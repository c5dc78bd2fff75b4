"""The loyalty unit of work, in memory and on PostgreSQL, for the contract suites."""

from __future__ import annotations

from collections.abc import Callable

import asyncpg
import pytest
import pytest_asyncio
from loyalty.adapters import MIGRATIONS
from loyalty.adapters.memory import InMemoryLoyaltyUnitOfWork, in_memory_database
from loyalty.adapters.postgres import PostgresLoyaltyUnitOfWork
from loyalty.application.ports import LoyaltyUnitOfWork
from rapport_events.clock import ManualClock
from rapport_events.directory import DIRECTORY_MIGRATIONS
from rapport_platform.db import migrate

SOURCE = "/rapport/loyalty"

UnitsOfWork = Callable[[], LoyaltyUnitOfWork]


@pytest_asyncio.fixture
async def loyalty_pool(pool: asyncpg.Pool) -> asyncpg.Pool:
    await migrate(pool, MIGRATIONS, DIRECTORY_MIGRATIONS, component="loyalty")
    return pool


@pytest.fixture(params=["memory", "postgres"])
def units(request: pytest.FixtureRequest) -> UnitsOfWork:
    """Opens units of work on one database, fresh for the test."""
    clock = ManualClock()
    if request.param == "memory":
        database = in_memory_database()
        return lambda: InMemoryLoyaltyUnitOfWork(database, source=SOURCE, clock=clock)
    pool: asyncpg.Pool = request.getfixturevalue("loyalty_pool")
    return lambda: PostgresLoyaltyUnitOfWork(pool, source=SOURCE, clock=clock)
