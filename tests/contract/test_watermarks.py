"""Event-time watermarks, in PostgreSQL and in memory, and the processor that keeps them.

The table's contract: a watermark is only ever raised (GREATEST), a newly registered partition
holds the consumer's watermark at the beginning of time, the consumer's watermark is the least
of its partitions', and a consumer with no partitions has none. The processor's: consuming a
record raises its partition to the record's event time in the transaction that consumes it,
whether it was applied, a duplicate, ignored or dead-lettered.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import asyncpg
import pytest
from rapport_events.clock import ManualClock
from rapport_events.consumer import RecordProcessor, RejectEvent, Subscription
from rapport_events.contracts.loyalty import PointsEarned
from rapport_events.envelope import EventEnvelope
from rapport_events.publisher import InMemoryPublisher
from rapport_events.topics import LOYALTY_POINTS
from rapport_events.uow import UnitOfWork
from rapport_events.watermarks import (
    BEGINNING_OF_TIME,
    InMemoryWatermarks,
    PostgresWatermarks,
    Watermarks,
    event_time_watermark,
)

from tests.support.events import AT, BRAND, points_earned

TOPIC = "loyalty.points"
OTHER_TOPIC = "visits"


OpenTable = Callable[[], AbstractAsyncContextManager[Watermarks]]


@pytest.fixture(params=["memory", "postgres"])
def table(request: pytest.FixtureRequest) -> OpenTable:
    """Opens the table on one backend (a connection of its own for PostgreSQL)."""
    if request.param == "memory":
        memory = InMemoryWatermarks()

        @asynccontextmanager
        async def in_memory() -> AsyncIterator[Watermarks]:
            yield memory

        return in_memory
    pool: asyncpg.Pool = request.getfixturevalue("pool")

    @asynccontextmanager
    async def in_postgres() -> AsyncIterator[Watermarks]:
        async with pool.acquire() as connection:
            yield PostgresWatermarks(connection)

    return in_postgres


async def test_a_consumer_without_partitions_has_no_watermark(
    table: OpenTable,
) -> None:
    async with table() as watermarks:
        await watermarks.raise_to("loyalty", {(TOPIC, 0): AT})

        assert await watermarks.watermark("journey") is None


async def test_a_registered_partition_holds_the_watermark_at_the_beginning_of_time(
    table: OpenTable,
) -> None:
    async with table() as watermarks:
        await watermarks.raise_to("journey", {(TOPIC, 0): AT})
        await watermarks.register("journey", [(TOPIC, 0), (TOPIC, 1)])

        assert await watermarks.watermark("journey") == BEGINNING_OF_TIME
        # Registering again does not reset a partition already read.
        await watermarks.raise_to("journey", {(TOPIC, 1): AT})
        await watermarks.register("journey", [(TOPIC, 0), (TOPIC, 1)])
        assert await watermarks.watermark("journey") == AT
        assert BEGINNING_OF_TIME < AT


async def test_a_watermark_is_raised_and_never_lowered(
    table: OpenTable,
) -> None:
    async with table() as watermarks:
        await watermarks.raise_to("journey", {(TOPIC, 0): AT + timedelta(hours=1)})
        await watermarks.raise_to("journey", {(TOPIC, 0): AT})
        assert await watermarks.watermark("journey") == AT + timedelta(hours=1)

        await watermarks.raise_to("journey", {(TOPIC, 0): AT + timedelta(hours=2)})
        assert await watermarks.watermark("journey") == AT + timedelta(hours=2)


async def test_the_watermark_is_the_least_over_topics_and_partitions_of_one_consumer(
    table: OpenTable,
) -> None:
    async with table() as watermarks:
        await watermarks.raise_to(
            "journey",
            {
                (TOPIC, 0): AT + timedelta(minutes=5),
                (TOPIC, 1): AT + timedelta(minutes=3),
                (OTHER_TOPIC, 0): AT + timedelta(minutes=9),
            },
        )
        await watermarks.raise_to("loyalty", {(TOPIC, 1): AT - timedelta(days=1)})

        assert await watermarks.watermark("journey") == AT + timedelta(minutes=3)
        assert await watermarks.watermark("loyalty") == AT - timedelta(days=1)


async def test_event_time_watermark_reads_the_table(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as connection:
        assert await event_time_watermark(connection, "journey") is None
        await PostgresWatermarks(connection).register("journey", [(TOPIC, 0)])
        assert await event_time_watermark(connection, "journey") == BEGINNING_OF_TIME
        await PostgresWatermarks(connection).raise_to("journey", {(TOPIC, 0): AT})
        assert await event_time_watermark(connection, "journey") == AT


def test_the_in_memory_table_is_copied_with_the_tables_that_hold_it() -> None:
    import copy

    original = InMemoryWatermarks()
    original.rows[("journey", TOPIC, 0)] = AT
    working = copy.deepcopy(original)
    working.rows[("journey", TOPIC, 0)] = AT + timedelta(hours=1)

    assert original.event_time_watermark("journey") == AT


# The processor, on PostgreSQL.


@dataclass
class Record:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Sequence[tuple[str, bytes]] = field(default_factory=list)


def record(envelope: EventEnvelope, *, partition: int = 0, offset: int = 0) -> Record:
    return Record(
        topic=LOYALTY_POINTS,
        partition=partition,
        offset=offset,
        key=envelope.kafka_key(),
        value=envelope.kafka_value(),
        headers=envelope.kafka_headers(),
    )


def at(points: int, time: datetime, member: str = "m1") -> EventEnvelope:
    return EventEnvelope.wrap(
        points_earned(member, points), source="/rapport/loyalty", brand_id=BRAND, time=time
    )


async def apply_points(event: PointsEarned, envelope: EventEnvelope, uow: UnitOfWork) -> None:
    if event.points == 13:
        raise RejectEvent("13 points are never awarded")
    if event.points == 66:
        raise ValueError("the handler cannot apply 66 points")
    await uow.connection.execute(
        "INSERT INTO applied (event_id) VALUES ($1)",
        envelope.id,
    )


def processor(pool: asyncpg.Pool, *, tracking: bool = True) -> RecordProcessor:
    return RecordProcessor(
        service="journey",
        subscriptions=[Subscription(topic=LOYALTY_POINTS, handlers={PointsEarned: apply_points})],
        pool=pool,
        dead_letters=InMemoryPublisher(),
        clock=ManualClock(AT),
        max_attempts=1,
        backoff=0.0,
        track_watermarks=tracking,
    )


async def watermarks_of(pool: asyncpg.Pool) -> dict[tuple[str, int], datetime]:
    rows = await pool.fetch(
        "SELECT topic, partition, watermark FROM consumer_watermarks WHERE consumer = 'journey'"
    )
    return {(row["topic"], row["partition"]): row["watermark"] for row in rows}


@pytest.fixture
async def applied_table(pool: asyncpg.Pool) -> asyncpg.Pool:
    await pool.execute("CREATE TABLE applied (event_id text)")
    return pool


async def test_a_batch_raises_each_partition_it_touched_to_its_latest_event_time(
    applied_table: asyncpg.Pool,
) -> None:
    pool = applied_table
    batch = [
        record(at(1, AT + timedelta(minutes=7)), partition=0, offset=0),
        record(at(2, AT + timedelta(minutes=3)), partition=0, offset=1),
        record(at(3, AT + timedelta(minutes=1)), partition=2, offset=0),
    ]

    await processor(pool).process_batch(batch)

    assert await watermarks_of(pool) == {
        (LOYALTY_POINTS, 0): AT + timedelta(minutes=7),
        (LOYALTY_POINTS, 2): AT + timedelta(minutes=1),
    }
    # A replay (or older events) never lowers it.
    await processor(pool).process_batch([record(at(4, AT), partition=0, offset=2)])
    assert (await watermarks_of(pool))[(LOYALTY_POINTS, 0)] == AT + timedelta(minutes=7)


async def test_dead_lettered_and_ignored_records_count_as_consumed(
    applied_table: asyncpg.Pool,
) -> None:
    pool = applied_table
    unknown = at(1, AT + timedelta(minutes=9)).model_copy(update={"type": "rapport.x.y"})
    rejected = at(13, AT + timedelta(minutes=8))
    batch = [
        record(at(5, AT + timedelta(minutes=1)), partition=0),
        record(unknown, partition=1),
        record(rejected, partition=2),
    ]

    await processor(pool).process_batch(batch)

    assert await watermarks_of(pool) == {
        (LOYALTY_POINTS, 0): AT + timedelta(minutes=1),
        (LOYALTY_POINTS, 1): AT + timedelta(minutes=9),
        (LOYALTY_POINTS, 2): AT + timedelta(minutes=8),
    }
    assert await pool.fetchval("SELECT count(*) FROM applied") == 1


async def test_a_record_no_handler_takes_still_raises_its_partition(
    applied_table: asyncpg.Pool,
) -> None:
    pool = applied_table
    elsewhere = Record(**{**record(at(1, AT + timedelta(hours=1))).__dict__, "topic": "other"})

    await processor(pool).process_batch([elsewhere])

    assert await watermarks_of(pool) == {("other", 0): AT + timedelta(hours=1)}


async def test_an_unreadable_record_carries_no_event_time(applied_table: asyncpg.Pool) -> None:
    pool = applied_table
    garbage = Record(topic=LOYALTY_POINTS, partition=0, offset=0, key=b"m1", value=b"{not json")

    await processor(pool).process_batch([garbage])

    assert await watermarks_of(pool) == {}


async def test_one_record_at_a_time_raises_in_its_own_transaction(
    applied_table: asyncpg.Pool,
) -> None:
    pool = applied_table
    consumer = processor(pool)
    first = at(1, AT + timedelta(minutes=2))

    await consumer.process(record(first, partition=0))
    await consumer.process(record(first, partition=0))  # a duplicate
    await consumer.process(record(at(66, AT + timedelta(minutes=4)), partition=1))

    assert await watermarks_of(pool) == {
        (LOYALTY_POINTS, 0): AT + timedelta(minutes=2),
        (LOYALTY_POINTS, 1): AT + timedelta(minutes=4),
    }


async def test_a_failed_batch_handled_one_by_one_still_raises_every_partition(
    applied_table: asyncpg.Pool,
) -> None:
    pool = applied_table
    batch = [
        record(at(7, AT + timedelta(minutes=1)), partition=0, offset=0),
        record(at(66, AT + timedelta(minutes=5)), partition=0, offset=1),
        record(at(8, AT + timedelta(minutes=3)), partition=0, offset=2),
        record(at(1, AT + timedelta(minutes=6)).model_copy(update={"type": "rapport.x.y"})),
    ]

    await processor(pool).process_batch(batch)

    assert await watermarks_of(pool) == {(LOYALTY_POINTS, 0): AT + timedelta(minutes=6)}
    assert await pool.fetchval("SELECT count(*) FROM applied") == 2


async def test_the_watermark_is_raised_in_the_transaction_that_consumes_the_batch(
    applied_table: asyncpg.Pool,
) -> None:
    pool = applied_table
    seen_inside: list[datetime | None] = []
    seen_outside: list[datetime | None] = []

    async def look(event: PointsEarned, envelope: EventEnvelope, uow: UnitOfWork) -> None:
        seen_inside.append(await event_time_watermark(uow.connection, "journey"))
        async with pool.acquire() as other:
            seen_outside.append(await event_time_watermark(other, "journey"))

    looking = RecordProcessor(
        service="journey",
        subscriptions=[Subscription(topic=LOYALTY_POINTS, handlers={PointsEarned: look})],
        pool=pool,
        dead_letters=InMemoryPublisher(),
        clock=ManualClock(AT),
        track_watermarks=True,
    )

    await looking.process_batch([record(at(1, AT + timedelta(minutes=1)))])

    assert seen_inside == [AT + timedelta(minutes=1)]
    assert seen_outside == [None]
    assert await watermarks_of(pool) == {(LOYALTY_POINTS, 0): AT + timedelta(minutes=1)}


async def test_without_tracking_nothing_is_written(applied_table: asyncpg.Pool) -> None:
    pool = applied_table

    await processor(pool, tracking=False).process_batch([record(at(1, AT))])

    assert await watermarks_of(pool) == {}
