"""A consumer's event-time watermark on a real broker: held at the last event consumed while
records wait, however far the clock moves; at the clock minus the grace once caught up.

The kill test of issue 7, small: journey is down with a member's visits unconsumed and the
clock passes a dormancy timer's due time; its watermark must not pass the visits it has not
read. One partition, so the consumer's watermark is that partition's.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta

import asyncpg
import pytest_asyncio
from rapport_events.clock import ManualClock
from rapport_events.consumer import EventConsumer, RecordProcessor, Subscription
from rapport_events.contracts.loyalty import PointsEarned
from rapport_events.envelope import EventEnvelope
from rapport_events.kafka_security import KafkaConnection
from rapport_events.publisher import KafkaPublisher, OutgoingRecord
from rapport_events.topics import LOYALTY_POINTS, dead_letter_topic, ensure_topics
from rapport_events.uow import UnitOfWork
from rapport_events.watermarks import event_time_watermark

from tests.conftest import unique
from tests.support.events import AT, BRAND, points_earned
from tests.support.kafka import consuming, publishing
from tests.support.polling import eventually

GRACE = timedelta(seconds=2)
BACKLOG = 300
HELD_AT = 250
"""The backlog's record whose handler waits for the test: with at most 200 records a fetch,
the records before its batch are consumed and committed, the rest still pending."""


class Journey:
    """A consumer that records each visit's event time, and can be held on one record."""

    def __init__(self, pool: asyncpg.Pool, platform: KafkaConnection, prefix: str) -> None:
        self.pool, self.platform, self.prefix = pool, platform, prefix
        self.clock = ManualClock(AT)
        self.held = asyncio.Event()
        self.released = asyncio.Event()
        self.released.set()

    async def record_visit(
        self, event: PointsEarned, envelope: EventEnvelope, uow: UnitOfWork
    ) -> None:
        if event.points == HELD_AT and not self.released.is_set():
            self.held.set()
            await self.released.wait()
        await uow.connection.execute(
            "INSERT INTO visits (event_id, at) VALUES ($1, $2)", envelope.id, envelope.time
        )

    def consumer(self, publisher: KafkaPublisher) -> EventConsumer:
        processor = RecordProcessor(
            service="journey",
            subscriptions=[Subscription(LOYALTY_POINTS, {PointsEarned: self.record_visit})],
            pool=self.pool,
            dead_letters=publisher,
            clock=self.clock,
            topic_prefix=self.prefix,
            track_watermarks=True,
        )
        return EventConsumer(
            processor,
            connection=self.platform,
            group_id=self.prefix + "journey",
            watermark_grace=GRACE,
        )

    async def watermark(self) -> datetime | None:
        async with self.pool.acquire() as connection:
            return await event_time_watermark(connection, "journey")

    async def consumed(self) -> tuple[datetime | None, datetime | None, int]:
        """The watermark, the latest visit applied and how many, read in one snapshot."""
        row = await self.pool.fetchrow(
            """
            SELECT (SELECT min(watermark) FROM consumer_watermarks WHERE consumer = 'journey')
                       AS watermark,
                   (SELECT max(at) FROM visits) AS latest,
                   (SELECT count(*) FROM visits) AS visits
            """
        )
        assert row is not None
        return row["watermark"], row["latest"], row["visits"]


@pytest_asyncio.fixture
async def journey(pool: asyncpg.Pool, platform: KafkaConnection) -> Journey:
    prefix = unique("t") + "."
    await ensure_topics(
        platform, [prefix + LOYALTY_POINTS, prefix + dead_letter_topic("journey")], partitions=1
    )
    await pool.execute("CREATE TABLE visits (event_id text, at timestamptz)")
    return Journey(pool, platform, prefix)


@pytest_asyncio.fixture
async def publisher(platform: KafkaConnection) -> AsyncIterator[KafkaPublisher]:
    async with publishing(platform) as kafka:
        yield kafka


def visit(number: int, time: datetime) -> EventEnvelope:
    return EventEnvelope.wrap(
        points_earned("mbr_1", number), source="/rapport/loyalty", brand_id=BRAND, time=time
    )


async def publish(publisher: KafkaPublisher, journey: Journey, *visits: EventEnvelope) -> None:
    topic = journey.prefix + LOYALTY_POINTS
    await publisher.publish([OutgoingRecord.of(topic, envelope) for envelope in visits])


def is_held(journey: Journey) -> Callable[[], Awaitable[bool]]:
    async def probe() -> bool:
        return journey.held.is_set()

    return probe


async def watermark_is(journey: Journey, expected: datetime) -> bool:
    return await journey.watermark() == expected


async def test_the_watermark_waits_for_pending_records_and_follows_the_clock_once_caught_up(
    journey: Journey, publisher: KafkaPublisher
) -> None:
    first_visit = visit(1, AT + timedelta(minutes=1))

    # Idle: nothing to read, the partition follows the clock rather than hold time back.
    async with consuming(journey.consumer(publisher)):
        await eventually(lambda: watermark_is(journey, AT - GRACE), what="the idle watermark")
        await publish(publisher, journey, first_visit)
        await eventually(
            lambda: watermark_is(journey, first_visit.time), what="the first visit's time"
        )

    # Down, with visits waiting, while the clock passes a dormancy timer's due time.
    backlog = [visit(n, AT + timedelta(minutes=2, seconds=n)) for n in range(2, BACKLOG + 2)]
    await publish(publisher, journey, *backlog)
    journey.clock.advance(timedelta(days=31))
    assert await journey.watermark() == first_visit.time

    # Back, but held inside the backlog: what it consumed counts, what waits holds it.
    journey.released.clear()
    async with consuming(journey.consumer(publisher)):
        await eventually(is_held(journey), what="the consumer held inside the backlog")
        watermark, latest, applied = await journey.consumed()
        assert applied < BACKLOG + 1
        assert watermark == latest
        assert watermark is not None and watermark < backlog[HELD_AT - 2].time
        journey.clock.advance(timedelta(days=1))
        assert await journey.watermark() == watermark

        journey.released.set()
        caught_up = journey.clock.now() - GRACE
        await eventually(lambda: watermark_is(journey, caught_up), what="the caught-up watermark")
        _, latest, applied = await journey.consumed()
        assert applied == BACKLOG + 1
        assert latest == backlog[-1].time
