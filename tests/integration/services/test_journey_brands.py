"""Journey, running on Kafka and PostgreSQL, dead-letters what crosses a brand."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import asyncpg
from journey.bootstrap import definition
from rapport_events.clock import ManualClock
from rapport_events.contracts.identity import MemberRegistered
from rapport_events.contracts.service_orders import VisitCompleted
from rapport_events.envelope import DomainEvent
from rapport_events.topics import dead_letter_topic

from tests.integration.services.test_journey_timers import START, settings, wrapped
from tests.support.apps import running
from tests.support.infrastructure import Endpoints
from tests.support.kafka import header, read_topic
from tests.support.polling import eventually
from tests.support.services import publish_wrapped

MEMBER = "mbr_" + "2" * 32
BRAND_A, BRAND_B = "brd_" + "a" * 32, "brd_" + "b" * 32


def registration(member_id: str) -> MemberRegistered:
    return MemberRegistered(
        member_id=member_id, brand_id=BRAND_A, store_id="sto_1", surname="梁", registered_at=START
    )


async def crossing_dead_letters(
    endpoints: Endpoints, prefix: str, service: str, event: Callable[[str, str], DomainEvent]
) -> set[str]:
    """Send ``service`` two events about brand A's member, ``event(id, brand_id)``, that cross a
    brand (one says brand B, one says brand A under a brand-B header); the reasons each gets on
    the service's dead-letter topic, once both are there."""
    await publish_wrapped(
        endpoints,
        prefix,
        wrapped(event("crossing", BRAND_B), BRAND_B),
        wrapped(event("mislabelled", BRAND_A), BRAND_B),
    )
    topic = prefix + dead_letter_topic(service)
    records = await read_topic(endpoints.kafka, topic, expected=2)
    # A record refused on reading is dead-lettered before its batch is applied: in any order.
    return {str(header(record, "dlq_reason")) for record in records}


def brand_problems(service: str, member_id: str) -> set[str]:
    """The reasons :func:`crossing_dead_letters` must find."""
    return {
        f"rejected by {service}: member '{member_id}' belongs to another brand than the "
        f"event's brand_id '{BRAND_B}'",
        f"the envelope's brandid '{BRAND_B}' differs from the data's brand_id '{BRAND_A}'",
    }


def visit(visit_id: str, brand_id: str) -> VisitCompleted:
    return VisitCompleted(
        visit_id=visit_id,
        member_id=MEMBER,
        brand_id=brand_id,
        store_id="sto_1",
        service_code="gel-manicure",
        amount=Decimal("268.00"),
        completed_at=START,
    )


async def test_visits_crossing_a_brand_are_dead_lettered_and_leave_her_new(
    endpoints: Endpoints, database: str, topic_prefix: str, pool: asyncpg.Pool
) -> None:
    journey = definition(settings(endpoints, database, topic_prefix), clock=ManualClock(START))

    async with running(journey):
        await publish_wrapped(endpoints, topic_prefix, wrapped(registration(MEMBER), BRAND_A))
        await publish_wrapped(endpoints, topic_prefix, wrapped(visit("vis_1", BRAND_A), BRAND_A))
        await eventually(
            lambda: pool.fetchval(
                "SELECT stage FROM journeys WHERE visit_count = 1 AND surname IS NOT NULL"
            ),
            what="her registration and first visit applied",
        )
        # A second visit would make her potential: neither of these may count as one.
        reasons = await crossing_dead_letters(endpoints, topic_prefix, "journey", visit)

    assert reasons == brand_problems("journey", MEMBER)
    # Dead-lettered after their transactions rolled back: she is as the first visit left her.
    journeys = await pool.fetch("SELECT brand_id, stage, visit_count FROM journeys")
    assert [tuple(row) for row in journeys] == [(BRAND_A, "new", 1)]
