"""Running a service in-process on the test's infrastructure, and feeding it events."""

from __future__ import annotations

from typing import Any, TypeVar

from rapport_events.envelope import DomainEvent, EventEnvelope
from rapport_events.publisher import KafkaPublisher, OutgoingRecord
from rapport_platform.settings import ServiceSettings

from tests.support.infrastructure import Endpoints

S = TypeVar("S", bound=ServiceSettings)


def service_settings(
    kind: type[S], endpoints: Endpoints, database: str, prefix: str, **extra: Any
) -> S:
    """A service's settings on the test's database, broker and topics."""
    return kind(
        env="test",
        database_url=database,
        **endpoints.kafka_settings(),
        redis_url=endpoints.redis_url,
        topic_prefix=prefix,
        kafka_partitions=3,
        **extra,
    )


async def publish_wrapped(
    endpoints: Endpoints, prefix: str, *events: tuple[DomainEvent, EventEnvelope]
) -> None:
    """Publish each envelope on its event's topic, under ``prefix``, in order, as a producer
    (another service's relay, an outside system) would."""
    publisher = KafkaPublisher(endpoints.kafka)
    await publisher.start()
    try:
        await publisher.publish([OutgoingRecord.of(prefix + e.topic, env) for e, env in events])
    finally:
        await publisher.stop()
