"""The publisher contract, run against the in-memory double and a real Kafka broker."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import pytest_asyncio
from rapport_events.envelope import EventEnvelope
from rapport_events.publisher import InMemoryPublisher, KafkaPublisher, OutgoingRecord, Publisher
from rapport_events.topics import LOYALTY_POINTS

from tests.support.events import points_envelope
from tests.support.infrastructure import Endpoints
from tests.support.kafka import read_topic

Received = tuple[bytes, bytes, list[tuple[str, bytes]]]
ReadBack = Callable[[str, int], Awaitable[list[Received]]]


@pytest_asyncio.fixture
async def kafka_publisher(endpoints: Endpoints) -> AsyncIterator[KafkaPublisher]:
    kafka = KafkaPublisher(endpoints.kafka)
    await kafka.start()
    try:
        yield kafka
    finally:
        await kafka.stop()


@pytest.fixture(params=["memory", "kafka"])
def publisher_and_reader(request: pytest.FixtureRequest) -> tuple[Publisher, ReadBack, str]:
    if request.param == "memory":
        memory = InMemoryPublisher()

        async def read_memory(topic: str, expected: int) -> list[Received]:
            return [(r.key, r.value, r.headers) for r in memory.on(topic)]

        return memory, read_memory, ""
    endpoints: Endpoints = request.getfixturevalue("endpoints")
    prefix: str = request.getfixturevalue("topic_prefix")
    kafka: KafkaPublisher = request.getfixturevalue("kafka_publisher")

    async def read_kafka(topic: str, expected: int) -> list[Received]:
        records = await read_topic(endpoints.kafka, topic, expected=expected)
        return [(r.key, r.value, [(k, bytes(v)) for k, v in r.headers]) for r in records]

    return kafka, read_kafka, prefix


async def test_published_records_arrive_keyed_and_in_order_per_key(
    publisher_and_reader: tuple[Publisher, ReadBack, str],
) -> None:
    publisher, read_back, prefix = publisher_and_reader
    topic = prefix + LOYALTY_POINTS
    envelopes = [
        points_envelope("m1", 1),
        points_envelope("m2", 2),
        points_envelope("m1", 3),
        points_envelope("m1", 4),
    ]

    await publisher.publish([OutgoingRecord.of(topic, e) for e in envelopes])

    received = await read_back(topic, len(envelopes))
    decoded = [EventEnvelope.from_kafka(headers, value) for _, value, headers in received]
    assert sorted(e.id for e in decoded) == sorted(e.id for e in envelopes)
    assert all(key == e.subject.encode() for (key, _, _), e in zip(received, decoded, strict=True))
    m1_in_arrival_order = [e.data["points"] for e in decoded if e.subject == "m1"]
    assert m1_in_arrival_order == [1, 3, 4]
