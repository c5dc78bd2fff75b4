"""The notifier, running on PostgreSQL and Kafka, dead-letters events that cross a brand.

Each refused event lands on ``rapport.dlq.notifier`` with its reason in the ``dlq_reason``
header, and nothing of it is applied: no delivery, no result event, no replica row.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import asyncpg
from notifier.bootstrap import NotifierSettings, definition
from rapport_events.catalogue import example_event
from rapport_events.clock import ManualClock
from rapport_events.contracts.identity import MemberRegistered
from rapport_events.contracts.journey import TouchpointRequested
from rapport_events.envelope import DomainEvent, EventEnvelope
from rapport_events.topics import dead_letter_topic
from rapport_platform.service import ServiceDefinition

from tests.support.apps import running
from tests.support.infrastructure import Endpoints
from tests.support.kafka import header, read_topic
from tests.support.polling import eventually
from tests.support.services import publish_wrapped, service_settings

START = datetime(2026, 6, 1, 9, tzinfo=UTC)
BRAND_A, BRAND_B = "brd_" + "a" * 32, "brd_" + "b" * 32
MEMBER_A = "mbr_" + "a" * 32
STORE_A = "sto_" + "a" * 32


def notifier(endpoints: Endpoints, database: str, prefix: str) -> ServiceDefinition:
    settings = service_settings(NotifierSettings, endpoints, database, prefix)
    return definition(settings, clock=ManualClock(START))


async def publish(endpoints: Endpoints, prefix: str, *sent: tuple[DomainEvent, str]) -> None:
    """Publish each event under an envelope naming the brand paired with it."""
    await publish_wrapped(
        endpoints,
        prefix,
        *(
            (event, EventEnvelope.wrap(event, source="/tests", brand_id=brand_id, time=START))
            for event, brand_id in sent
        ),
    )


async def dead_letters(endpoints: Endpoints, prefix: str, expected: int) -> list[Any]:
    return await read_topic(
        endpoints.kafka, prefix + dead_letter_topic("notifier"), expected=expected
    )


async def rows(pool: asyncpg.Pool, table: str) -> int:
    count: int = await pool.fetchval(f"SELECT count(*) FROM {table}")
    return count


def touchpoint_about(member_id: str, brand_id: str) -> TouchpointRequested:
    return TouchpointRequested(
        touchpoint_id="tpt_" + "1" * 32,
        member_id=member_id,
        brand_id=brand_id,
        template="care_guide_24h",
        recipient_id=member_id,
        marketing=False,
        variables={"surname": "梁", "title": "小姐"},
        requested_at=START,
    )


async def test_a_touchpoint_about_another_brands_member_is_dead_lettered_and_not_sent(
    endpoints: Endpoints, database: str, topic_prefix: str, pool: asyncpg.Pool
) -> None:
    registered = MemberRegistered(
        member_id=MEMBER_A, brand_id=BRAND_A, store_id=STORE_A, surname="梁", registered_at=START
    )

    async with running(notifier(endpoints, database, topic_prefix)):
        await publish(endpoints, topic_prefix, (registered, BRAND_A))
        await eventually(
            lambda: pool.fetchval(
                "SELECT brand_id FROM directory_members WHERE member_id = $1", MEMBER_A
            ),
            what="the replica knowing her in brand A",
        )
        await publish(endpoints, topic_prefix, (touchpoint_about(MEMBER_A, BRAND_B), BRAND_B))
        [record] = await dead_letters(endpoints, topic_prefix, expected=1)

    assert header(record, "dlq_reason") == (
        f"rejected by notifier: member {MEMBER_A!r} belongs to another brand than the event's "
        f"brand_id {BRAND_B!r}"
    )
    assert header(record, "ce_type") == TouchpointRequested.event_type
    assert await rows(pool, "deliveries") == 0
    assert await rows(pool, "outbox") == 0


async def test_every_event_it_consumes_under_another_brands_envelope_is_dead_lettered(
    endpoints: Endpoints, database: str, topic_prefix: str, pool: asyncpg.Pool
) -> None:
    service = notifier(endpoints, database, topic_prefix)
    examples: list[Any] = [
        example_event(kind)
        for subscription in service.subscriptions
        for kind in subscription.handlers
    ]

    async with running(service):
        await publish(endpoints, topic_prefix, *[(event, BRAND_B) for event in examples])
        records = await dead_letters(endpoints, topic_prefix, expected=len(examples))

    reasons = {header(record, "ce_type"): header(record, "dlq_reason") for record in records}
    assert reasons == {
        event.event_type: (
            f"the envelope's brandid {BRAND_B!r} differs from the data's brand_id "
            f"{event.brand_id!r}"
        )
        for event in examples
    }
    for table in (
        "deliveries",
        "outbox",
        "directory_members",
        "directory_stores",
        "directory_staff",
    ):
        assert await rows(pool, table) == 0, table
