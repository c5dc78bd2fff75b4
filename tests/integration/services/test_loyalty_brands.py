"""Loyalty, running on Kafka and PostgreSQL, dead-letters what crosses a brand."""

from __future__ import annotations

import asyncpg
from loyalty.bootstrap import LoyaltySettings, definition
from rapport_events.catalogue import example_event
from rapport_events.clock import ManualClock
from rapport_events.contracts.service_orders import PurchaseRecorded
from rapport_events.envelope import DomainEvent

from tests.integration.services.test_journey_brands import (
    BRAND_A,
    brand_problems,
    crossing_dead_letters,
    registration,
)
from tests.integration.services.test_journey_timers import (
    START,
    wrapped,
)
from tests.support.apps import running
from tests.support.infrastructure import Endpoints
from tests.support.polling import eventually
from tests.support.services import publish_wrapped, service_settings

MEMBER = "mbr_" + "1" * 32


def purchase(purchase_id: str, brand_id: str) -> DomainEvent:
    """The catalogue's example purchase, one that earns, by ``MEMBER`` in ``brand_id``."""
    changes = {"purchase_id": purchase_id, "member_id": MEMBER, "brand_id": brand_id}
    return example_event(PurchaseRecorded).model_copy(update=changes)


async def test_purchases_crossing_a_brand_are_dead_lettered_and_earn_nothing(
    endpoints: Endpoints, database: str, topic_prefix: str, pool: asyncpg.Pool
) -> None:
    config = service_settings(LoyaltySettings, endpoints, database, topic_prefix)
    loyalty = definition(config, clock=ManualClock(START))

    async with running(loyalty):
        await publish_wrapped(endpoints, topic_prefix, wrapped(registration(MEMBER), BRAND_A))
        await eventually(
            lambda: pool.fetchval("SELECT brand_id FROM directory_members"),
            what="her registration in loyalty's replica of the directory",
        )
        reasons = await crossing_dead_letters(endpoints, topic_prefix, "loyalty", purchase)

    assert reasons == brand_problems("loyalty", MEMBER)
    # Dead-lettered after their transactions rolled back: nothing of them stayed.
    assert await pool.fetchval("SELECT count(*) FROM points_balances") == 0
    assert await pool.fetchval("SELECT count(*) FROM event_store") == 0
