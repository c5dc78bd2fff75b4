"""Service-orders applies what a brand's POS publishes on the brand's ingestion topic, on real
Kafka (SASL, the integration's own user and ACLs) and PostgreSQL: the visit is recorded and
announced on the platform's topic like one made through the API; what must not be applied
lands on the dead-letter topic with the reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import asyncpg
import pytest_asyncio
from rapport_events.contracts.identity import StoreOpened
from rapport_events.contracts.service_orders import VisitCompleted
from rapport_events.directory import PostgresDirectory, known_member, known_store
from rapport_events.envelope import EventEnvelope
from rapport_events.ingestion import IngestionAccess, provision_ingestion
from rapport_events.publisher import OutgoingRecord
from rapport_events.registry import registry
from rapport_events.topics import SERVICE_ORDERS, dead_letter_topic
from service_orders.settings import SERVICE_NAME

from tests.conftest import unique
from tests.integration.services.test_service_orders_directory import (
    publish_as_identity,
    registration,
    service_orders,
)
from tests.support.apps import RunningService
from tests.support.infrastructure import Endpoints, authenticating_kafka
from tests.support.kafka import header, publishing, read_topic
from tests.support.polling import eventually

__all__ = ["service_orders"]  # the fixture: the service on a fresh database and prefix

STORE_A = "sto_" + "a" * 32
MEMBER_A, STRANGER = "mbr_" + "a" * 32, "mbr_" + "0" * 32


@pytest_asyncio.fixture
async def brand_a(endpoints: Endpoints, topic_prefix: str) -> IngestionAccess:
    """Brand A's ingestion topic and its integration's user, allowed to write there only."""
    return await provision_ingestion(
        authenticating_kafka(endpoints), unique("brd_"), partitions=3, topic_prefix=topic_prefix
    )


def walk_in_visit(brand_id: str, member_id: str = MEMBER_A) -> VisitCompleted:
    return VisitCompleted(
        visit_id=unique("vis_"),
        member_id=member_id,
        brand_id=brand_id,
        store_id=STORE_A,
        service_code="gel-manicure",
        amount=Decimal("268.00"),
        completed_at=datetime.now(UTC) - timedelta(minutes=10),
    )


def from_the_till(event: VisitCompleted) -> EventEnvelope:
    return EventEnvelope.wrap(
        event, source="/pos/sh-001/till-1", brand_id=event.brand_id, time=event.completed_at
    )


async def publish_as(access: IngestionAccess, *envelopes: EventEnvelope) -> None:
    """Logged in as the brand's integration, on its brand's ingestion topic."""
    async with publishing(access.connection) as publisher:
        await publisher.publish([OutgoingRecord.of(access.topic, e) for e in envelopes])


async def replica_knows_her(pool: asyncpg.Pool, brand_id: str) -> bool:
    async with pool.acquire() as connection:
        directory = PostgresDirectory(connection)
        member = await known_member(directory, MEMBER_A, brand_id=brand_id)
        store = await known_store(directory, STORE_A, brand_id=brand_id)
        return member is not None and store is not None


async def test_an_ingested_visit_is_recorded_and_announced_for_the_topics_brand_only(
    service_orders: RunningService,
    endpoints: Endpoints,
    topic_prefix: str,
    brand_a: IngestionAccess,
) -> None:
    a = brand_a.brand_id
    opened = StoreOpened(store_id=STORE_A, brand_id=a, opened_at=datetime.now(UTC))
    await publish_as_identity(endpoints, topic_prefix, opened, registration(MEMBER_A, a, STORE_A))
    pool = service_orders.runtime.pool
    await eventually(lambda: replica_knows_her(pool, a), what="the replica to know her")
    visit = from_the_till(walk_in_visit(a))
    posing_as_b = from_the_till(walk_in_visit(unique("brd_")))
    stranger = from_the_till(walk_in_visit(a, member_id=STRANGER))

    await publish_as(brand_a, posing_as_b, stranger, visit)

    announced = await read_topic(endpoints.kafka, topic_prefix + SERVICE_ORDERS, expected=2)
    dead = await read_topic(
        endpoints.kafka, topic_prefix + dead_letter_topic(SERVICE_NAME), expected=2
    )
    assert {header(record, "ce_brandid") for record in announced} == {a}
    [visited] = [r for r in announced if header(r, "ce_type") == VisitCompleted.event_type]
    envelope = EventEnvelope.from_kafka(visited.headers, visited.value)
    republished = registry.decode(envelope)
    assert isinstance(republished, VisitCompleted)
    assert republished.model_copy(update={"appointment_id": None}) == registry.decode(visit)
    assert (envelope.causationid, envelope.correlationid) == (visit.id, visit.correlationid)
    reasons = {header(record, "ce_id"): header(record, "dlq_reason") or "" for record in dead}
    assert reasons.keys() == {posing_as_b.id, stranger.id}
    assert f"the ingestion topic {brand_a.topic!r} is brand {a!r}'s" in reasons[posing_as_b.id]
    assert "a member registered a moment ago" in reasons[stranger.id]
