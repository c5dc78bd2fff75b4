"""The notifier, running on PostgreSQL and Kafka, holds a member message that arrives in its
brand's quiet hours and its own release worker sends it when they end on the service's clock.

Both results go out on ``rapport.notifier.deliveries`` under one delivery id: ``MessageHeld``
first, ``MessageDelivered`` once the clock reaches 08:00 in Shanghai.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import asyncpg
from notifier.bootstrap import NotifierSettings, definition
from rapport_events.clock import ManualClock
from rapport_events.contracts.journey import TouchpointRequested
from rapport_events.contracts.notifier import MessageDelivered, MessageHeld
from rapport_events.envelope import EventEnvelope
from rapport_events.topics import NOTIFIER_DELIVERIES

from tests.support.apps import running
from tests.support.infrastructure import Endpoints
from tests.support.kafka import header, read_topic
from tests.support.polling import eventually
from tests.support.services import publish_wrapped, service_settings

NIGHT = datetime(2026, 6, 1, 14, 30, tzinfo=UTC)  # 22:30 in Shanghai
MORNING = datetime(2026, 6, 2, 0, 0, tzinfo=UTC)  # 08:00 the next day
BRAND = "brd_" + "a" * 32
MEMBER = "mbr_" + "a" * 32


def care_guide() -> TouchpointRequested:
    return TouchpointRequested(
        touchpoint_id="tpt_" + "1" * 32,
        member_id=MEMBER,
        brand_id=BRAND,
        template="care_guide_24h",
        recipient_id=MEMBER,
        marketing=False,
        variables={"surname": "梁", "title": "小姐"},
        requested_at=NIGHT,
    )


async def test_a_message_held_at_night_is_sent_by_the_worker_in_the_morning(
    endpoints: Endpoints, database: str, topic_prefix: str, pool: asyncpg.Pool
) -> None:
    clock = ManualClock(NIGHT)
    settings = service_settings(
        NotifierSettings, endpoints, database, topic_prefix, timer_poll_interval=0.05
    )
    event = care_guide()
    envelope = EventEnvelope.wrap(event, source="/tests", brand_id=BRAND, time=NIGHT)

    async with running(definition(settings, clock=clock)):
        await publish_wrapped(endpoints, topic_prefix, (event, envelope))
        [held] = await read_topic(endpoints.kafka, topic_prefix + NOTIFIER_DELIVERIES, expected=1)
        status = await pool.fetchval("SELECT status FROM deliveries")
        clock.set(MORNING)
        records = await read_topic(endpoints.kafka, topic_prefix + NOTIFIER_DELIVERIES, expected=2)
        await eventually(
            lambda: pool.fetchval("SELECT status = 'delivered' FROM deliveries"),
            what="the delivery row sent",
        )

    assert status == "held"
    assert [header(record, "ce_type") for record in records] == [
        MessageHeld.event_type,
        MessageDelivered.event_type,
    ]
    first, second = (json.loads(record.value) for record in records)
    assert first["delivery_id"] == second["delivery_id"]
    assert first["held_until"] == second["delivered_at"] == "2026-06-02T00:00:00Z"
    assert held.key == MEMBER.encode()
    assert all(record.key == MEMBER.encode() for record in records)
    # Released the next morning, still in the flow of journey's request.
    assert {header(record, "ce_correlationid") for record in records} == {envelope.correlationid}
    assert header(records[0], "ce_causationid") == envelope.id
