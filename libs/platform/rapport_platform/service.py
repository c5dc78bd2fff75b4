"""Composition of a running service: its runtime, its HTTP app and its background workers.

A service describes itself with a :class:`ServiceDefinition` (routers, subscriptions,
workers, migrations); this module turns it into a FastAPI app whose lifespan creates the
database (if missing), migrates it, creates the topics, and runs the outbox relay, the
consumer and the workers under supervision until shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import uvicorn
from fastapi import APIRouter, FastAPI
from rapport_events.clock import AdjustableClock, Clock, SystemClock, follow_shared_offset
from rapport_events.consumer import EventConsumer, RecordProcessor, Subscription
from rapport_events.outbox import OutboxRelay
from rapport_events.publisher import KafkaPublisher
from rapport_events.schema import PLUMBING_MIGRATIONS
from rapport_events.topics import all_topics, ensure_topics
from rapport_events.tracing import configure_tracing, shutdown_tracing
from rapport_events.uow import UnitOfWork
from redis.asyncio import Redis

from rapport_platform.app import create_app
from rapport_platform.audit import AuditTrail
from rapport_platform.db import create_pool, ensure_database, migrate
from rapport_platform.logs import configure_logging
from rapport_platform.settings import ServiceSettings

log = logging.getLogger(__name__)

Worker = Callable[[], Awaitable[None]]


class NotStarted(RuntimeError):
    pass


class Runtime:
    """The live resources of a service; filled in when the app starts."""

    def __init__(self, settings: ServiceSettings, clock: Clock | None = None) -> None:
        self.settings = settings
        self._clock = clock
        self._pool: asyncpg.Pool | None = None
        self._redis: Redis | None = None
        self._publisher: KafkaPublisher | None = None
        self.consumer: EventConsumer | None = None

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

    @property
    def clock(self) -> Clock:
        return _started(self._clock, "clock")

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self.pool, source=self.source, clock=self.clock)


T = TypeVar("T")


def _started(value: T | None, what: str) -> T:
    if value is None:
        raise NotStarted(f"the {what} is not available before the service has started")
    return value


def _no_subscriptions(_: Runtime) -> list[Subscription]:
    return []


def _no_workers(_: Runtime) -> list[Worker]:
    return []


@dataclass
class ServiceDefinition:
    name: str
    title: str
    description: str
    settings: ServiceSettings
    routers: Callable[[Runtime], list[APIRouter]]
    migrations: Path | None = None
    subscriptions: Callable[[Runtime], list[Subscription]] = _no_subscriptions
    workers: Callable[[Runtime], list[Worker]] = _no_workers
    version: str = "0.1.0"
    clock: Clock | None = None
    openapi_tags: list[dict[str, Any]] = field(default_factory=list)


AUDIT_MIGRATIONS = Path(__file__).parent / "migrations"


def build_app(definition: ServiceDefinition) -> FastAPI:
    settings = definition.settings
    configure_logging(definition.name, settings.log_level)
    configure_tracing(definition.name)
    runtime = Runtime(settings, definition.clock)
    audit = AuditTrail(lambda: runtime.pool)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with _running(definition, runtime, audit):
            yield

    app = _create(definition, runtime, lifespan=lifespan, audit=audit)
    app.state.audit = audit
    _instrument(app)
    return app


def openapi_document(definition: ServiceDefinition) -> dict[str, Any]:
    """The service's OpenAPI document, without starting anything."""
    return _create(definition, Runtime(definition.settings)).openapi()


def _create(
    definition: ServiceDefinition,
    runtime: Runtime,
    *,
    lifespan: Callable[[FastAPI], contextlib.AbstractAsyncContextManager[None]] | None = None,
    audit: AuditTrail | None = None,
) -> FastAPI:
    app = create_app(
        title=definition.title,
        description=definition.description,
        version=definition.version,
        routers=definition.routers(runtime),
        readiness_checks=_readiness_checks(runtime),
        lifespan=lifespan,
        audit=audit,
        openapi_tags=definition.openapi_tags or None,
    )
    app.state.runtime = runtime
    app.state.auth_secret = definition.settings.auth_secret.get_secret_value()
    return app


def _instrument(app: FastAPI) -> None:
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz,readyz")


@contextlib.asynccontextmanager
async def _running(
    definition: ServiceDefinition, runtime: Runtime, audit: AuditTrail
) -> AsyncIterator[None]:
    settings = definition.settings
    await ensure_database(settings.database_url)
    runtime._pool = await create_pool(settings.database_url)
    directories = [PLUMBING_MIGRATIONS, AUDIT_MIGRATIONS]
    if definition.migrations is not None:
        directories.append(definition.migrations)
    await migrate(runtime.pool, *directories, component=definition.name)
    runtime._redis = Redis.from_url(settings.redis_url)
    background: list[Worker] = []
    if runtime._clock is None:
        runtime._clock = _clock_for(settings, runtime.redis, background)
    await ensure_topics(
        settings.kafka_bootstrap, all_topics(settings.topic_prefix), settings.kafka_partitions
    )
    runtime._publisher = KafkaPublisher(settings.kafka_bootstrap, client_id=definition.name)
    await runtime.publisher.start()
    relay = OutboxRelay(
        runtime.pool,
        runtime.publisher,
        topic_prefix=settings.topic_prefix,
        poll_interval=settings.relay_poll_interval,
    )
    background.append(relay.run)
    subscriptions = definition.subscriptions(runtime)
    if subscriptions:
        processor = RecordProcessor(
            service=definition.name,
            subscriptions=subscriptions,
            pool=runtime.pool,
            dead_letters=runtime.publisher,
            clock=runtime.clock,
            topic_prefix=settings.topic_prefix,
        )
        runtime.consumer = EventConsumer(
            processor,
            bootstrap_servers=settings.kafka_bootstrap,
            group_id=settings.topic_prefix + definition.name,
        )
        background.append(runtime.consumer.run)
    background.extend(definition.workers(runtime))
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
        await runtime.publisher.stop()
        await runtime.redis.aclose()
        await runtime.pool.close()
        shutdown_tracing()


def _clock_for(settings: ServiceSettings, redis: Redis, background: list[Worker]) -> Clock:
    if settings.clock == "shared":
        clock = AdjustableClock()
        background.append(lambda: follow_shared_offset(clock, redis))
        return clock
    return SystemClock()


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
