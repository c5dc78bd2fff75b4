"""The backends every journey contract runs on: the in-memory fakes and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest
import pytest_asyncio
from journey.adapters import MIGRATIONS
from journey.adapters.memory import InMemoryJourneyUnitOfWork, journey_database
from journey.adapters.postgres import PostgresJourneyUnitOfWork
from rapport_events.clock import ManualClock
from rapport_events.directory import DIRECTORY_MIGRATIONS
from rapport_platform.db import migrate

from tests.contract.journey.backends import NOW, SOURCE, Backend, at_once, waiting_on_a_lock


@pytest_asyncio.fixture
async def journey_pool(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Pool]:
    await migrate(pool, MIGRATIONS, DIRECTORY_MIGRATIONS, component="journey")
    yield pool


@pytest.fixture(params=["memory", "postgres"])
def backend(request: pytest.FixtureRequest) -> Backend:
    clock = ManualClock(NOW)
    if request.param == "memory":
        database = journey_database()
        return Backend(
            name="memory",
            begin=lambda: InMemoryJourneyUnitOfWork(database, source=SOURCE, clock=clock),
            someone_waits=at_once,
            serialised=True,
        )
    pool: asyncpg.Pool = request.getfixturevalue("journey_pool")
    return Backend(
        name="postgres",
        begin=lambda: PostgresJourneyUnitOfWork(pool, source=SOURCE, clock=clock),
        someone_waits=waiting_on_a_lock(pool),
        serialised=False,
    )
