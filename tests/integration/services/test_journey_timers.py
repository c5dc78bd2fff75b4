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
from rapport_events.watermarks import WATERMARK_GRACE

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

    # The service is down; thirty days pass (and the watermark's grace); it starts again.
    clock.advance(timedelta(days=30) + WATERMARK_GRACE + timedelta(seconds=1))
    async with running(journey):
        await eventually(lambda: _is(stage(pool, "mbr_1"), "dormant"), what="dormant")
        records = await read_topic(endpoints.kafka, topic_prefix + JOURNEY_TOUCHPOINTS, expected=2)

    # Her first-visit voucher when she registered, and one welcome-back; the care guide and
    # the other reminders that came due while the service was down were too late to send.
    first, welcome = [EventEnvelope.from_kafka(r.headers, r.value) for r in records]
    assert first.data["template"] == "first_visit_voucher"
    assert welcome.data["template"] == "welcome_back"
    assert welcome.data["variables"]["surname"] == "梁"
    fired = await pool.fetch("SELECT kind FROM timers WHERE fired_at IS NOT NULL")
    assert [row["kind"] for row in fired].count("dormancy_check") == 1
    skipped = await pool.fetch("SELECT template FROM touchpoints WHERE status = 'skipped'")
    assert "care_guide_24h" in {row["template"] for row in skipped}
    late = await pool.fetchval(
        "SELECT count(*) FROM timeline WHERE detail ? 'timer_late_by_seconds'"
    )
    assert late > 0


async def _is(value: object, expected: object) -> bool:
    return bool(await value == expected)  # type: ignore[misc]
