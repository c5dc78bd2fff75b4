"""Loyalty, running on Kafka and PostgreSQL, dead-letters what crosses a brand."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import asyncpg
from loyalty.bootstrap import LoyaltySettings, definition
from rapport_events.clock import ManualClock
from rapport_events.contracts.identity import MemberRegistered
from rapport_events.contracts.service_orders import PurchaseRecorded
from rapport_events.topics import dead_letter_topic

from tests.integration.services.test_journey_timers import (
    publish_wrapped,
    service_settings,
    wrapped,
)
from tests.support.apps import running
from tests.support.infrastructure import Endpoints
from tests.support.kafka import header, read_topic
from tests.support.polling import eventually

START = datetime(2026, 6, 1, 9, tzinfo=UTC)
MEMBER = "mbr_" + "1" * 32
BRAND_A, BRAND_B = "brd_" + "a" * 32, "brd_" + "b" * 32


def purchase(purchase_id: str, brand_id: str) -> PurchaseRecorded:
    return PurchaseRecorded(
        purchase_id=purchase_id,
        member_id=MEMBER,
        brand_id=brand_id,
        store_id="sto_1",
        amount=Decimal("580.00"),
        purchased_at=START,
    )


async def test_purchases_crossing_a_brand_are_dead_lettered_and_earn_nothing(
    endpoints: Endpoints, database: str, topic_prefix: str, pool: asyncpg.Pool
) -> None:
    registered = MemberRegistered(
        member_id=MEMBER, brand_id=BRAND_A, store_id="sto_1", surname="梁", registered_at=START
    )
    config = service_settings(LoyaltySettings, endpoints, database, topic_prefix)
    loyalty = definition(config, clock=ManualClock(START))

    async with running(loyalty):
        await publish_wrapped(endpoints, topic_prefix, wrapped(registered, BRAND_A))
        await eventually(
            lambda: pool.fetchval("SELECT brand_id FROM directory_members"),
            what="her registration in loyalty's replica of the directory",
        )
        await publish_wrapped(
            endpoints,
            topic_prefix,
            wrapped(purchase("pur_1", BRAND_B), BRAND_B),  # brand A's member, in brand B
            wrapped(purchase("pur_2", BRAND_A), BRAND_B),  # the header says another brand
        )
        records = await read_topic(
            endpoints.kafka_bootstrap, topic_prefix + dead_letter_topic("loyalty"), expected=2
        )

    # A record refused on reading is dead-lettered before its batch is applied: in any order.
    assert {header(record, "dlq_reason") for record in records} == {
        f"rejected by loyalty: member '{MEMBER}' belongs to another brand than the event's "
        f"brand_id '{BRAND_B}'",
        f"the envelope's brandid '{BRAND_B}' differs from the data's brand_id '{BRAND_A}'",
    }
    # Dead-lettered after their transactions rolled back: nothing of them stayed.
    assert await pool.fetchval("SELECT count(*) FROM points_balances") == 0
    assert await pool.fetchval("SELECT count(*) FROM event_store") == 0
