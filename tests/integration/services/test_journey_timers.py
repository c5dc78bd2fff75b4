"""Journey's durable timers, with the service started, stopped and started again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import asyncpg
from journey.bootstrap import JourneySettings, definition
from rapport_events.clock import ManualClock
from rapport_events.contracts.identity import MemberRegistered
from rapport_events.contracts.service_orders import VisitCompleted
from rapport_events.envelope import DomainEvent, EventEnvelope
from rapport_events.topics import JOURNEY_TOUCHPOINTS

from tests.support.apps import running
from tests.support.infrastructure import Endpoints
from tests.support.kafka import read_topic
from tests.support.polling import eventually
from tests.support.services import publish_wrapped, service_settings

START = datetime(2026, 6, 1, 9, tzinfo=UTC)


def settings(endpoints: Endpoints, database: str, prefix: str) -> JourneySettings:
    return service_settings(JourneySettings, endpoints, database, prefix, timer_poll_interval=0.05)


def wrapped(event: DomainEvent, brand_id: str = "brd_1") -> tuple[DomainEvent, EventEnvelope]:
    """``event`` with the envelope a producer sends it in; ``brand_id`` in its header."""
    return event, EventEnvelope.wrap(event, source="/test", brand_id=brand_id, time=START)


async def publish(endpoints: Endpoints, prefix: str, *events: DomainEvent) -> None:
    await publish_wrapped(endpoints, prefix, *(wrapped(event) for event in events))


async def stage(pool: asyncpg.Pool, member_id: str) -> str | None:
    value: str | None = await pool.fetchval(
        "SELECT stage FROM journeys WHERE member_id = $1", member_id
    )
    return value


async def test_a_dormancy_timer_survives_a_restart_and_fires_once(
    endpoints: Endpoints, database: str, topic_prefix: str, pool: asyncpg.Pool
) -> None:
    clock = ManualClock(START)
    journey = definition(settings(endpoints, database, topic_prefix), clock=clock)
    registered = MemberRegistered(
        member_id="mbr_1",
        brand_id="brd_1",
        store_id="sto_1",
        surname="梁",
        gender="female",
        registered_at=START,
    )
    visit = VisitCompleted(
        visit_id="vst_1",
        member_id="mbr_1",
        brand_id="brd_1",
        store_id="sto_1",
        service_code="gel-manicure",
        amount=Decimal("268.00"),
        completed_at=START,
    )

    async with running(journey):
        await publish(endpoints, topic_prefix, registered, visit)
        await eventually(
            lambda: pool.fetchval(
                "SELECT count(*) FROM timers JOIN journeys USING (member_id)"
                " WHERE fired_at IS NULL AND surname IS NOT NULL"
            ),
            what="her registration applied and a dormancy timer armed",
        )

    # The service is down; thirty days pass; it starts again.
    clock.advance(timedelta(days=30, seconds=1))
    async with running(journey):
        await eventually(lambda: _is(stage(pool, "mbr_1"), "dormant"), what="dormant")
        records = await read_topic(endpoints.kafka, topic_prefix + JOURNEY_TOUCHPOINTS, expected=1)

    [touchpoint] = [EventEnvelope.from_kafka(r.headers, r.value) for r in records]
    assert touchpoint.data["template"] == "welcome_back"
    assert touchpoint.data["variables"]["surname"] == "梁"
    assert await pool.fetchval("SELECT count(*) FROM timers WHERE fired_at IS NOT NULL") == 1
    assert await pool.fetchval("SELECT count(*) FROM touchpoints") == 1


async def _is(value: object, expected: object) -> bool:
    return bool(await value == expected)  # type: ignore[misc]
