"""A consumer of the ingestion topics applies what an integration writes for its own brand
and dead-letters anything that names another, though Kafka let the integration write it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal

import asyncpg
import pytest_asyncio
from rapport_events.clock import ManualClock
from rapport_events.consumer import EventConsumer, RecordProcessor, Subscription
from rapport_events.contracts.service_orders import PurchaseRecorded
from rapport_events.envelope import EventEnvelope
from rapport_events.ingestion import IngestionAccess
from rapport_events.kafka_security import KafkaConnection
from rapport_events.publisher import KafkaPublisher, OutgoingRecord
from rapport_events.topics import INGESTION_TOPICS, dead_letter_topic
from rapport_events.uow import UnitOfWork

from tests.support.kafka import consuming, header, publishing, read_topic
from tests.support.polling import eventually

AT = datetime(2026, 5, 1, 12, tzinfo=UTC)


def purchase(purchase_id: str, *, data_brand: str, header_brand: str) -> EventEnvelope:
    event = PurchaseRecorded(
        purchase_id=purchase_id,
        member_id="mbr_1",
        brand_id=data_brand,
        store_id="sto_1",
        amount=Decimal("580.00"),
        purchased_at=AT,
    )
    return EventEnvelope.wrap(event, source="/pos/till-3", brand_id=header_brand, time=AT)


async def record_purchase(event: PurchaseRecorded, _: EventEnvelope, uow: UnitOfWork) -> None:
    await uow.connection.execute(
        "INSERT INTO purchases (purchase_id, brand_id) VALUES ($1, $2)",
        event.purchase_id,
        event.brand_id,
    )


@pytest_asyncio.fixture
async def dead_letters(platform: KafkaConnection) -> AsyncIterator[KafkaPublisher]:
    async with publishing(platform) as publisher:
        yield publisher


@pytest_asyncio.fixture
async def ingesting(
    pool: asyncpg.Pool,
    platform: KafkaConnection,
    topic_prefix: str,
    dead_letters: KafkaPublisher,
    brand_a: IngestionAccess,
    brand_b: IngestionAccess,
) -> AsyncIterator[None]:
    """service-orders' consumer of every brand's ingestion topic (both exist before it starts)."""
    await pool.execute("CREATE TABLE purchases (purchase_id text, brand_id text)")
    processor = RecordProcessor(
        service="service-orders",
        subscriptions=[Subscription(INGESTION_TOPICS, {PurchaseRecorded: record_purchase})],
        pool=pool,
        dead_letters=dead_letters,
        clock=ManualClock(AT),
        topic_prefix=topic_prefix,
    )
    consumer = EventConsumer(
        processor, connection=platform, group_id=topic_prefix + "service-orders"
    )
    async with consuming(consumer):
        yield


async def publish_as(access: IngestionAccess, *envelopes: EventEnvelope) -> None:
    """Through the platform's own idempotent producer: a Java-like client needs no more than
    the WRITE it was granted."""
    async with publishing(access.connection) as publisher:
        await publisher.publish([OutgoingRecord.of(access.topic, e) for e in envelopes])


async def purchases(pool: asyncpg.Pool) -> list[tuple[str, str]]:
    rows = await pool.fetch("SELECT purchase_id, brand_id FROM purchases ORDER BY purchase_id")
    return [(row["purchase_id"], row["brand_id"]) for row in rows]


async def test_only_events_of_the_topics_brand_are_applied(
    pool: asyncpg.Pool,
    platform: KafkaConnection,
    topic_prefix: str,
    brand_a: IngestionAccess,
    brand_b: IngestionAccess,
    ingesting: None,
) -> None:
    a, b = brand_a.brand_id, brand_b.brand_id
    posing_as_b = purchase("pur_2", data_brand=b, header_brand=b)
    half_disguised = purchase("pur_3", data_brand=b, header_brand=a)
    await publish_as(
        brand_a, purchase("pur_1", data_brand=a, header_brand=a), posing_as_b, half_disguised
    )
    await publish_as(brand_b, purchase("pur_4", data_brand=b, header_brand=b))

    expected = [("pur_1", a), ("pur_4", b)]
    await eventually(lambda: _applied(pool, len(expected)), what="both brands' purchases")
    dead = await read_topic(
        platform, topic_prefix + dead_letter_topic("service-orders"), expected=2
    )

    assert await purchases(pool) == expected
    reasons = {header(record, "ce_id"): header(record, "dlq_reason") for record in dead}
    assert reasons == {
        posing_as_b.id: (
            f"the ingestion topic {brand_a.topic!r} is brand {a!r}'s; the event names brand {b!r}"
        ),
        half_disguised.id: (f"the envelope's brandid {a!r} differs from the data's brand_id {b!r}"),
    }


async def _applied(pool: asyncpg.Pool, count: int) -> bool:
    return bool(await pool.fetchval("SELECT count(*) >= $1 FROM purchases", count))
