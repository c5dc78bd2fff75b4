"""Composition of a running service: its runtime, its HTTP app and its background workers.

A service's ``bootstrap.py`` builds its :class:`Runtime`, its adapters and its handlers, and
describes the result with a :class:`ServiceDefinition` (routers, error table, subscriptions,
workers, migrations); this module turns it into a FastAPI app whose lifespan opens the
runtime (database created if missing and migrated, topics created, Redis and Kafka
connected) and runs the outbox relay, the consumer and the workers under supervision until
shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import uvicorn
from fastapi import APIRouter, FastAPI
from rapport_events.clock import AdjustableClock, Clock, SystemClock, follow_shared_offset
from rapport_events.consumer import (
    MAX_POLL_RECORDS,
    EventConsumer,
    RecordProcessor,
    Subscription,
)
from rapport_events.outbox import OutboxRelay
from rapport_events.publisher import KafkaPublisher
from rapport_events.schema import PLUMBING_MIGRATIONS
from rapport_events.topics import all_topics, ensure_topics
from rapport_events.tracing import configure_tracing, shutdown_tracing
from rapport_events.uow import UnitOfWork
from rapport_events.watermarks import WATERMARK_GRACE
from redis.asyncio import Redis

from rapport_platform.app import create_app
from rapport_platform.audit import AuditTrail
from rapport_platform.db import create_pool, ensure_database, migrate
from rapport_platform.errors import ErrorTable
from rapport_platform.logs import configure_logging
from rapport_platform.settings import ServiceSettings

log = logging.getLogger(__name__)

Worker = Callable[[], Awaitable[None]]


class NotStarted(RuntimeError):
    pass


class Runtime:
    """The live resources of a service: opened when the app starts, closed when it stops.

    The clock exists from the start (bootstrap hands it to the handlers it builds); the pool,
    the Redis client and the publisher exist between :meth:`open` and :meth:`close`, so
    bootstrap reaches them through providers (``lambda: runtime.pool``).
    """

    def __init__(self, settings: ServiceSettings, clock: Clock | None = None) -> None:
        self.settings = settings
        self._follows_shared_clock = clock is None and settings.clock == "shared"
        self.clock: Clock = clock or (
            AdjustableClock() if self._follows_shared_clock else SystemClock()
        )
        self._pool: asyncpg.Pool | None = None
        self._redis: Redis | None = None
        self._publisher: KafkaPublisher | None = None

    @property
    def source(self) -> str:
        return f"/rapport/{self.settings.service_name}"

    @property
    def pool(self) -> asyncpg.Pool:
        return _started(self._pool, "database pool")

    @property
    def redis(self) -> Redis:
        return _started(self._redis, "Redis client")

    @property
    def publisher(self) -> KafkaPublisher:
        return _started(self._publisher, "Kafka publisher")

    async def open(self, migrations: Sequence[Path], component: str) -> None:
        """Create and migrate the database, connect to Redis and Kafka, create the topics."""
        settings = self.settings
        await ensure_database(settings.database_url)
        self._pool = await create_pool(settings.database_url)
        await migrate(self._pool, *migrations, component=component)
        self._redis = Redis.from_url(settings.redis_url)
        kafka = settings.kafka_connection()
        await ensure_topics(kafka, all_topics(settings.topic_prefix), settings.kafka_partitions)
        self._publisher = KafkaPublisher(kafka, client_id=component)
        await self._publisher.start()

    async def close(self) -> None:
        if self._publisher is not None:
            await self._publisher.stop()
        if self._redis is not None:
            await self._redis.aclose()
        if self._pool is not None:
            await self._pool.close()
        self._pool = self._redis = self._publisher = None

    def background(self) -> list[Worker]:
        """Workers the runtime itself needs: following the platform's shared clock."""
        clock = self.clock
        if self._follows_shared_clock and isinstance(clock, AdjustableClock):
            return [lambda: follow_shared_offset(clock, self.redis)]
        return []

    def unit_of_work(self) -> UnitOfWork:
        """A plain unit of work (no repositories) on the service's database."""
        return UnitOfWork(self.pool, source=self.source, clock=self.clock)


T = TypeVar("T")


def _started(value: T | None, what: str) -> T:
    if value is None:
        raise NotStarted(f"the {what} is not available before the service has started")
    return value


@dataclass
class ServiceDefinition:
    """Everything bootstrap wires for one service; :func:`build_app` runs it."""

    name: str
    title: str
    description: str
    runtime: Runtime
    routers: list[APIRouter]
    errors: ErrorTable
    migrations: Path | Sequence[Path] = ()
    """The service's migration folders (a replica's, such as ``DIRECTORY_MIGRATIONS``, too)."""
    subscriptions: list[Subscription] = field(default_factory=list)
    consumer_unit_of_work: Callable[[], UnitOfWork] | None = None
    """The service's unit of work, opened by the consumer around each record's inbox row."""
    event_time_watermarks: bool = False
    """Whether the consumer keeps its event-time watermark (``rapport_events.watermarks``),
    for a service whose timers must wait until everything before their due time is consumed."""
    event_time_watermark_grace: timedelta = WATERMARK_GRACE
    """How far behind the clock a caught-up partition's watermark is kept."""
    consumer_batch: int = MAX_POLL_RECORDS
    """Records per fetch round (over all partitions); a service that works a batch in bulk
    takes more at once."""
    finish_consumed: Callable[[Any], Awaitable[None]] | None = None
    """Run once per consumer transaction after its handlers, with the unit of work: where a
    service whose handlers only collect does the batch's work in bulk."""
    workers: list[Worker] = field(default_factory=list)
    version: str = "0.1.0"
    openapi_tags: list[dict[str, Any]] = field(default_factory=list)

    @property
    def settings(self) -> ServiceSettings:
        return self.runtime.settings


AUDIT_MIGRATIONS = Path(__file__).parent / "migrations"


def build_app(definition: ServiceDefinition) -> FastAPI:
    settings = definition.settings
    configure_logging(definition.name, settings.log_level)
    configure_tracing(definition.name)
    runtime = definition.runtime
    audit = AuditTrail(lambda: runtime.pool)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with _running(definition, audit):
            yield

    app = _create(definition, lifespan=lifespan, audit=audit)
    app.state.audit = audit
    _instrument(app)
    return app


def openapi_document(definition: ServiceDefinition) -> dict[str, Any]:
    """The service's OpenAPI document, without starting anything."""
    return _create(definition).openapi()


def _create(
    definition: ServiceDefinition,
    *,
    lifespan: Callable[[FastAPI], contextlib.AbstractAsyncContextManager[None]] | None = None,
    audit: AuditTrail | None = None,
) -> FastAPI:
    app = create_app(
        title=definition.title,
        description=definition.description,
        version=definition.version,
        routers=definition.routers,
        readiness_checks=_readiness_checks(definition.runtime),
        lifespan=lifespan,
        audit=audit,
        openapi_tags=definition.openapi_tags or None,
        errors=definition.errors,
    )
    app.state.runtime = definition.runtime
    app.state.auth_secret = definition.settings.auth_secret.get_secret_value()
    return app


def _instrument(app: FastAPI) -> None:
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz,readyz")


@contextlib.asynccontextmanager
async def _running(definition: ServiceDefinition, audit: AuditTrail) -> AsyncIterator[None]:
    runtime = definition.runtime
    own = definition.migrations
    migrations = [PLUMBING_MIGRATIONS, AUDIT_MIGRATIONS]
    migrations.extend([own] if isinstance(own, Path) else own)
    await runtime.open(migrations, definition.name)
    background = [*runtime.background(), _relay(runtime).run]
    consumer = _consumer(definition)
    if consumer is not None:
        background.append(consumer.run)
    background.extend(definition.workers)
    await audit.start()
    tasks = [asyncio.create_task(_supervise(worker), name=_name(worker)) for worker in background]
    log.info("%s started with %d background workers", definition.name, len(tasks))
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await audit.close()
        await runtime.close()
        shutdown_tracing()


def _relay(runtime: Runtime) -> OutboxRelay:
    settings = runtime.settings
    return OutboxRelay(
        runtime.pool,
        runtime.publisher,
        topic_prefix=settings.topic_prefix,
        poll_interval=settings.relay_poll_interval,
    )


def _consumer(definition: ServiceDefinition) -> EventConsumer | None:
    if not definition.subscriptions:
        return None
    runtime, settings = definition.runtime, definition.settings
    processor = RecordProcessor(
        service=definition.name,
        subscriptions=definition.subscriptions,
        pool=runtime.pool,
        dead_letters=runtime.publisher,
        clock=runtime.clock,
        topic_prefix=settings.topic_prefix,
        unit_of_work=definition.consumer_unit_of_work,
        track_watermarks=definition.event_time_watermarks,
        finish=definition.finish_consumed,
    )
    return EventConsumer(
        processor,
        connection=settings.kafka_connection(),
        group_id=settings.topic_prefix + definition.name,
        watermark_grace=definition.event_time_watermark_grace,
        max_poll_records=definition.consumer_batch,
    )


def _name(worker: Worker) -> str:
    return getattr(worker, "__qualname__", repr(worker))


async def _supervise(worker: Worker) -> None:
    """Keep a background worker alive: a crash is logged and the worker restarted."""
    delay = 0.5
    while True:
        try:
            await worker()
            return
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("background worker %s crashed; restarting in %.1fs", _name(worker), delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)


def _readiness_checks(runtime: Runtime) -> dict[str, Callable[[], Awaitable[None]]]:
    async def postgres() -> None:
        await runtime.pool.fetchval("SELECT 1")

    async def redis() -> None:
        await runtime.redis.ping()

    async def kafka() -> None:
        await runtime.publisher.ping()

    return {"postgres": postgres, "redis": redis, "kafka": kafka}


def run(definition: ServiceDefinition) -> None:
    """Serve until SIGINT/SIGTERM; uvicorn runs the lifespan's shutdown on either."""
    settings = definition.settings
    app = build_app(definition)
    config = uvicorn.Config(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
    )
    uvicorn.Server(config).run()
