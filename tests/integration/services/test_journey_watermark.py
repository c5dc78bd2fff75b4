"""Timers never run ahead of the events (issue 7): journey's consumer held back while the
clock moves, then late events; and timers exactly once under two replicas and a restart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
from journey.bootstrap import JourneySettings, definition
from rapport_events.clock import ManualClock
from rapport_events.envelope import DomainEvent, EventEnvelope
from rapport_events.topics import JOURNEY_TOUCHPOINTS
from rapport_events.watermarks import WATERMARK_GRACE

from tests.integration.services.journey_watch import (
    all_processed,
    registration,
    requested,
    requested_twice,
    stage,
    stage_moves,
    templates,
    timers_settled,
    touchpoints_on_topic,
    visit,
)
from tests.support.apps import running
from tests.support.infrastructure import Endpoints
from tests.support.polling import eventually
from tests.support.services import publish_wrapped, service_settings

START = datetime(2026, 6, 1, 9, tzinfo=UTC)
DAY = timedelta(days=1)
DORMANCY = timedelta(days=30)
PAST_THE_GRACE = WATERMARK_GRACE + timedelta(seconds=1)
"""How far past a due time the clock goes so the caught-up watermark passes it too."""
BACKLOG = 1_000
"""Other members' visits waiting in Kafka ahead of hers while journey is down."""
HER = "mbr_her"


def settings(endpoints: Endpoints, database: str, prefix: str, **extra: object) -> JourneySettings:
    return service_settings(
        JourneySettings, endpoints, database, prefix, timer_poll_interval=0.05, **extra
    )


def ids(events: list[tuple[DomainEvent, EventEnvelope]]) -> list[str]:
    return [envelope.id for _, envelope in events]


async def test_a_dormancy_timer_waits_for_the_visit_still_in_kafka_and_a_late_visit_wins_nothing(
    endpoints: Endpoints, database: str, topic_prefix: str, pool: asyncpg.Pool
) -> None:
    clock = ManualClock(START)
    journey = definition(settings(endpoints, database, topic_prefix), clock=clock)
    first = [registration(HER, START), visit(HER, START, 1)]

    async with running(journey):
        await publish_wrapped(endpoints, topic_prefix, *first)
        await eventually(lambda: all_processed(pool, ids(first)), what="her first visit consumed")
        await eventually(
            lambda: pool.fetchval(
                "SELECT due_at FROM timers WHERE member_id = $1 AND kind = 'dormancy_check'"
                " AND fired_at IS NULL AND cancelled_at IS NULL",
                HER,
            ),
            what="her dormancy timer armed",
        )

    # Down: others visit over days 1 to 20, then she comes back on day 20; all of it waits in
    # Kafka behind 1,000 records while the clock passes her first absence's due time (day 30).
    spacing = (19 * DAY) / BACKLOG
    others = [visit(f"mbr_o{n:04}", START + DAY + n * spacing) for n in range(BACKLOG)]
    back = visit(HER, START + 20 * DAY, 2)
    await publish_wrapped(endpoints, topic_prefix, *others, back)
    clock.set(START + 31 * DAY)

    async with running(journey):
        backlog = [*ids(others), back[1].id]
        await eventually(
            lambda: all_processed(pool, backlog), timeout=60, what="the backlog consumed"
        )
        await eventually(
            lambda: timers_settled(pool, clock.now(), START + DORMANCY),
            timeout=60,
            what="every timer due by day 31 dealt with",
        )
        assert "welcome_back" not in templates(await requested(pool, HER))
        assert await stage(pool, HER) != "dormant"
        assert ("potential", "dormant") not in await stage_moves(pool, HER)

        # Thirty days after her day-20 visit (and the grace) she is dormant, once.
        clock.set(START + 20 * DAY + DORMANCY + PAST_THE_GRACE)
        await eventually(lambda: _is_dormant(pool), what="dormant after day 50")
        await eventually(
            lambda: timers_settled(pool, clock.now(), START + 20 * DAY + DORMANCY),
            what="every timer due by day 50 dealt with",
        )
        assert templates(await requested(pool, HER)).count("welcome_back") == 1

        # A visit of day 45 reaches journey only now, after she went dormant on day 50.
        late = visit(HER, START + 45 * DAY, 3)
        await publish_wrapped(endpoints, topic_prefix, late)
        await eventually(lambda: all_processed(pool, [late[1].id]), what="the late visit")
        clock.set(START + 45 * DAY + DORMANCY + PAST_THE_GRACE)
        await eventually(
            lambda: timers_settled(pool, clock.now(), START + 45 * DAY + DORMANCY),
            what="every timer due by day 75 dealt with",
        )

    assert await stage(pool, HER) == "dormant"
    moves = [to for _, to in await stage_moves(pool, HER)]
    assert moves.count("dormant") == 1
    assert "won_back" not in moves
    mine = await requested(pool, HER)
    assert templates(mine).count("welcome_back") == 1
    assert not requested_twice(mine)
    # Nor does the visit of day 45 count as her coming back after the welcome-back of day 50.
    welcome = await pool.fetchrow(
        "SELECT opened_at, reached_at FROM goal_outcomes"
        " WHERE member_id = $1 AND trigger = 'welcome_back'",
        HER,
    )
    assert welcome is not None
    assert welcome["opened_at"] == START + 20 * DAY + DORMANCY
    assert welcome["reached_at"] is None


async def _is_dormant(pool: asyncpg.Pool) -> bool:
    return await stage(pool, HER) == "dormant"


MEMBERS = 300
"""Members whose dormancy comes due at once, for two replicas to share."""


async def test_two_replicas_and_a_restart_fire_every_timer_once(
    endpoints: Endpoints, database: str, topic_prefix: str, pool: asyncpg.Pool
) -> None:
    clock = ManualClock(START)
    # Small batches: the firing takes many transactions, so both replicas take part in it and
    # the restart falls in the middle of it.
    replica = settings(endpoints, database, topic_prefix, timer_batch=20)
    first, second = definition(replica, clock=clock), definition(replica, clock=clock)
    members = [f"mbr_{n:03}" for n in range(MEMBERS)]
    events = [e for m in members for e in (registration(m, START), visit(m, START, 1))]

    async with running(first):
        async with running(second):
            await publish_wrapped(endpoints, topic_prefix, *events)
            await eventually(
                lambda: all_processed(pool, ids(events)), timeout=60, what="every visit consumed"
            )
            await eventually(lambda: _armed_dormancies(pool), what="every dormancy armed")

            clock.advance(DORMANCY + PAST_THE_GRACE)
            await eventually(lambda: _fired_dormancies(pool, at_least=1), what="firing started")
        # One replica stopped in the middle of the firing, and started again.
        async with running(second):
            await eventually(
                lambda: _fired_dormancies(pool, at_least=MEMBERS),
                timeout=60,
                what="every dormancy fired",
            )
            await eventually(
                lambda: timers_settled(pool, clock.now(), START + DORMANCY),
                timeout=60,
                what="every due timer fired",
            )
            asked = await requested(pool)
            published = await touchpoints_on_topic(
                endpoints.kafka,
                topic_prefix + JOURNEY_TOUCHPOINTS,
                [request["touchpoint_id"] for request in asked],
            )

    fired = await pool.fetch(
        "SELECT kind, count(*) AS n FROM timers WHERE fired_at IS NOT NULL GROUP BY kind"
    )
    assert {row["kind"]: row["n"] for row in fired}["dormancy_check"] == MEMBERS
    # A timer fired twice would have decided twice: two trigger lines, two stage moves.
    twice = await pool.fetch(
        """
        SELECT member_id, rule, detail ->> 'occasion' AS occasion, count(*) AS n FROM timeline
        WHERE kind = 'trigger_fired' GROUP BY 1, 2, 3 HAVING count(*) > 1
        """
    )
    assert [dict(row) for row in twice] == []
    dormant = await pool.fetch(
        "SELECT member_id, count(*) AS n FROM stage_history WHERE to_stage = 'dormant'"
        " GROUP BY member_id"
    )
    assert {row["member_id"]: row["n"] for row in dormant} == dict.fromkeys(members, 1)

    assert not requested_twice(asked)
    assert templates(asked).count("welcome_back") == MEMBERS
    assert {tp: ids for tp, ids in published.items() if len(ids) > 1} == {}
    assert set(published) == {request["touchpoint_id"] for request in asked}


async def _armed_dormancies(pool: asyncpg.Pool) -> bool:
    armed = await pool.fetchval(
        "SELECT count(*) FROM timers WHERE kind = 'dormancy_check'"
        " AND fired_at IS NULL AND cancelled_at IS NULL"
    )
    return bool(armed == MEMBERS)


async def _fired_dormancies(pool: asyncpg.Pool, *, at_least: int) -> bool:
    fired = await pool.fetchval(
        "SELECT count(*) FROM timers WHERE kind = 'dormancy_check' AND fired_at IS NOT NULL"
    )
    return bool(fired >= at_least)
