"""The idempotent consumer on a real broker: duplicates apply once, bad records dead-letter."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest_asyncio
from rapport_events.clock import ManualClock
from rapport_events.consumer import EventConsumer, RecordProcessor, RejectEvent, Subscription
from rapport_events.contracts.loyalty import PointsEarned
from rapport_events.envelope import EventEnvelope
from rapport_events.publisher import KafkaPublisher, OutgoingRecord
from rapport_events.topics import LOYALTY_POINTS, dead_letter_topic
from rapport_events.uow import UnitOfWork

from tests.support.events import AT, points_envelope
from tests.support.infrastructure import Endpoints
from tests.support.kafka import consuming, header, publishing, read_topic
from tests.support.polling import eventually


async def record_points(event: PointsEarned, envelope: EventEnvelope, uow: UnitOfWork) -> None:
    if event.points == 13:
        raise RejectEvent("13 points are never awarded")
    await uow.connection.execute(
        "INSERT INTO applied (event_id, member, points) VALUES ($1, $2, $3)",
        envelope.id,
        event.member_id,
        event.points,
    )


@pytest_asyncio.fixture
async def publisher(endpoints: Endpoints) -> AsyncIterator[KafkaPublisher]:
    async with publishing(endpoints.kafka) as kafka:
        yield kafka


@pytest_asyncio.fixture
async def running_consumer(
    pool: asyncpg.Pool, endpoints: Endpoints, topic_prefix: str, publisher: KafkaPublisher
) -> AsyncIterator[EventConsumer]:
    await pool.execute("CREATE TABLE applied (event_id text, member text, points int)")
    processor = RecordProcessor(
        service="loyalty",
        subscriptions=[Subscription(topic=LOYALTY_POINTS, handlers={PointsEarned: record_points})],
        pool=pool,
        dead_letters=publisher,
        clock=ManualClock(AT),
        topic_prefix=topic_prefix,
    )
    consumer = EventConsumer(
        processor, connection=endpoints.kafka, group_id=topic_prefix + "loyalty"
    )
    async with consuming(consumer):
        yield consumer


async def applied(pool: asyncpg.Pool) -> list[tuple[str, int]]:
    rows = await pool.fetch("SELECT member, points FROM applied ORDER BY points")
    return [(row["member"], row["points"]) for row in rows]


async def test_a_duplicate_delivery_is_applied_once(
    pool: asyncpg.Pool,
    topic_prefix: str,
    publisher: KafkaPublisher,
    running_consumer: EventConsumer,
) -> None:
    topic = topic_prefix + LOYALTY_POINTS
    first, second = points_envelope("m1", 5), points_envelope("m1", 7)
    # One member's records share a partition, so once the last one is applied every
    # earlier record (the duplicates included) has been through the consumer.
    last = points_envelope("m1", 99)
    records = [first, first, second, first, last]
    await publisher.publish([OutgoingRecord.of(topic, e) for e in records])

    await eventually(lambda: _applied_event(pool, last.id), what="the last event applied")

    assert await applied(pool) == [("m1", 5), ("m1", 7), ("m1", 99)]
    assert await pool.fetchval("SELECT count(*) FROM processed_events") == 3


async def _has(pool: asyncpg.Pool, count: int) -> bool:
    return bool(await pool.fetchval("SELECT count(*) >= $1 FROM applied", count))


async def _applied_event(pool: asyncpg.Pool, event_id: str) -> bool:
    return bool(await pool.fetchval("SELECT count(*) FROM applied WHERE event_id = $1", event_id))


async def test_a_malformed_record_is_dead_lettered_and_the_next_one_processed(
    pool: asyncpg.Pool,
    endpoints: Endpoints,
    topic_prefix: str,
    publisher: KafkaPublisher,
    running_consumer: EventConsumer,
) -> None:
    topic = topic_prefix + LOYALTY_POINTS
    good = points_envelope("m1", 8)
    garbage = OutgoingRecord(
        topic=topic, key=b"m1", value=b"{not json", headers=good.kafka_headers()
    )
    unknown = EventEnvelope.model_validate({**good.model_dump(), "id": "x", "type": "rapport.x.y"})
    rejected = points_envelope("m1", 13)
    # Data of one brand under another brand's header: nobody may apply it.
    disguised = good.model_copy(update={"id": "disguised", "brandid": "brd_other"})
    # Valid JSON that PostgreSQL refuses: it would fail the handler on every retry.
    nul = good.model_copy(update={"id": "nul", "data": {**good.data, "source_id": "vis\u0000"}})
    await publisher.publish(
        [
            garbage,
            OutgoingRecord.of(topic, unknown),
            OutgoingRecord.of(topic, rejected),
            OutgoingRecord.of(topic, disguised),
            OutgoingRecord.of(topic, nul),
            OutgoingRecord.of(topic, good),
        ]
    )

    await eventually(lambda: _has(pool, 1), what="the good event applied")
    dead = await read_topic(
        endpoints.kafka, topic_prefix + dead_letter_topic("loyalty"), expected=5
    )

    assert await applied(pool) == [("m1", 8)]
    # Unreadable and untrustworthy records are refused before the batch is applied, so they
    # may reach the dead-letter topic before a rejection found while applying: look them up.
    reasons = {
        (header(record, "ce_id"), bytes(record.value)): header(record, "dlq_reason") or ""
        for record in dead
    }
    assert "value is not JSON" in reasons[(good.id, b"{not json")]
    assert "unknown event type 'rapport.x.y'" in reasons[("x", unknown.kafka_value())]
    assert "13 points are never awarded" in reasons[(rejected.id, rejected.kafka_value())]
    assert reasons[("disguised", disguised.kafka_value())] == (
        "the envelope's brandid 'brd_other' differs from the data's brand_id 'brd_1'"
    )
    assert reasons[("nul", nul.kafka_value())] == (
        "data.source_id must not contain the NUL character (U+0000)"
    )
    assert {header(record, "dlq_source_topic") for record in dead} == {topic}
    assert len(reasons) == 5
