"""Fixtures shared by the whole suite.

Unit tests need none of these. Integration, contract and end-to-end tests get real
PostgreSQL, Redis and Kafka endpoints (see ``tests/support/infrastructure.py`` for the order
in which they are found) and isolate themselves with a fresh database and a fresh topic prefix
per test, so they can share one broker and one server.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio
from rapport_events.schema import PLUMBING_MIGRATIONS
from rapport_events.topics import all_topics, ensure_topics
from rapport_platform.db import create_pool, migrate
from redis.asyncio import Redis

from tests.support.infrastructure import Endpoints, resolve_endpoints

TESTS = Path(__file__).parent
REAL_COMPONENT_DIRS = ("integration", "contract", "e2e")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        parts = Path(str(item.path)).relative_to(TESTS).parts
        if parts and parts[0] in REAL_COMPONENT_DIRS:
            item.add_marker(pytest.mark.integration)
        if parts and parts[0] == "e2e":
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def endpoints() -> Endpoints:
    return resolve_endpoints()


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def dsn_for(server_dsn: str, database: str) -> str:
    base, _, _ = server_dsn.rpartition("/")
    return f"{base}/{database}"


@pytest_asyncio.fixture
async def database(endpoints: Endpoints) -> AsyncIterator[str]:
    """A fresh, empty database; its DSN."""
    name = unique("t_")
    admin = await asyncpg.connect(endpoints.pg_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield dsn_for(endpoints.pg_dsn, name)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest_asyncio.fixture
async def pool(database: str) -> AsyncIterator[asyncpg.Pool]:
    """A pool on a fresh database with the event plumbing tables."""
    created = await create_pool(database, max_size=20)
    await migrate(created, PLUMBING_MIGRATIONS, component="tests")
    try:
        yield created
    finally:
        await created.close()


@pytest_asyncio.fixture
async def topic_prefix(endpoints: Endpoints) -> str:
    """A prefix under which this test's topics exist on the shared broker."""
    prefix = unique("t") + "."
    await ensure_topics(endpoints.kafka, all_topics(prefix), partitions=3)
    return prefix


@pytest_asyncio.fixture
async def redis(endpoints: Endpoints) -> AsyncIterator[Redis]:
    client = Redis.from_url(endpoints.redis_url)
    try:
        yield client
    finally:
        await client.aclose()
