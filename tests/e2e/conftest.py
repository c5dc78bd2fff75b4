"""The five services as real processes on real PostgreSQL, Redis and Kafka.

Each run gets its own databases, topic prefix and Redis database, a shared adjustable clock,
and an OTLP receiver so the test can follow one trace through every service.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
import pytest
import pytest_asyncio
from rapport_events.clock import CLOCK_OFFSET_KEY, advance_shared_clock
from rapport_events.topics import all_topics, ensure_topics
from rapport_platform.auth import Principal, Role, mint_token
from redis.asyncio import Redis

from deploy.local.services import (
    SERVICES,
    ServiceProcess,
    start_service,
    stop_all,
    wait_until_ready,
)
from tests.conftest import dsn_for
from tests.support.infrastructure import Endpoints
from tests.support.otlp import SpanCollector

AUTH_SECRET = "e2e-secret-" + uuid.uuid4().hex
E2E_REDIS_DB = 13


@dataclass
class RunningPlatform:
    services: dict[str, ServiceProcess]
    redis: Redis
    spans: SpanCollector
    databases: list[str]

    def url(self, service: str) -> str:
        return self.services[service].url

    def client(
        self, service: str, token: str | None = None, trace: str | None = None
    ) -> httpx.AsyncClient:
        headers = {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if trace:
            headers["traceparent"] = trace
        return httpx.AsyncClient(base_url=self.url(service), headers=headers, timeout=15)

    async def advance_clock(self, delta: timedelta) -> None:
        await advance_shared_clock(self.redis, delta)

    async def now(self) -> datetime:
        """The platform's time: the wall clock plus the shared offset every service follows."""
        offset = await self.redis.get(CLOCK_OFFSET_KEY)
        return datetime.now(UTC) + timedelta(seconds=float(offset or 0))


@pytest.fixture(scope="session")
def span_collector() -> Iterator[SpanCollector]:
    collector = SpanCollector().start()
    yield collector
    collector.stop()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def platform(
    endpoints: Endpoints, span_collector: SpanCollector, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[RunningPlatform]:
    run = uuid.uuid4().hex[:8]
    prefix = f"e2e{run}."
    await ensure_topics(endpoints.kafka, all_topics(prefix), partitions=3)
    redis_url = endpoints.redis_url.rsplit("/", 1)[0] + f"/{E2E_REDIS_DB}"
    redis = Redis.from_url(redis_url)
    await redis.delete(CLOCK_OFFSET_KEY)
    log_dir = tmp_path_factory.mktemp("service-logs")
    databases = [f"e2e_{run}_{spec.package}" for spec in SERVICES]
    common = {
        "RAPPORT_ENV": "test",
        **endpoints.kafka_environment(),
        "RAPPORT_REDIS_URL": redis_url,
        "RAPPORT_TOPIC_PREFIX": prefix,
        "RAPPORT_KAFKA_PARTITIONS": "3",
        "RAPPORT_AUTH_SECRET": AUTH_SECRET,
        "RAPPORT_CLOCK": "shared",
        "RAPPORT_TIMER_POLL_INTERVAL": "0.2",
        "OTEL_TRACES_EXPORTER": "otlp",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
        "OTEL_EXPORTER_OTLP_ENDPOINT": span_collector.endpoint,
        "OTEL_BSP_SCHEDULE_DELAY": "200",
    }
    processes = [
        start_service(
            spec,
            port=_free_port(),
            environment={**common, "RAPPORT_DATABASE_URL": dsn_for(endpoints.pg_dsn, database)},
            log_dir=Path(log_dir),
        )
        for spec, database in zip(SERVICES, databases, strict=True)
    ]
    try:
        wait_until_ready(processes, timeout=120)
        yield RunningPlatform({p.spec.name: p for p in processes}, redis, span_collector, databases)
    finally:
        stop_all(processes)
        await redis.delete(CLOCK_OFFSET_KEY)
        await redis.aclose()
        await _drop(endpoints.pg_dsn, databases)


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _drop(server_dsn: str, databases: list[str]) -> None:
    connection = await asyncpg.connect(server_dsn)
    try:
        for name in databases:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def admin_token() -> str:
    principal = Principal(
        subject="platform-operator", role=Role.PLATFORM_ADMIN, brand_id=None, store_id=None
    )
    return mint_token(AUTH_SECRET, principal, now=datetime.now(UTC))
