"""Event-time watermarks: how far in event time a consumer has certainly read.

A durable timer ("dormant after 30 days without a visit") must not fire while events that
happened before its due time are still unconsumed: a consumer that was down and is 1,000
records behind would otherwise declare a member dormant whose visits are waiting in Kafka.
So a service that keeps such timers fires one only once its consumer's *watermark* has
reached the timer's due time.

The rule, kept per consumer, topic and partition in ``consumer_watermarks``:

- **Consuming raises it to the event time seen.** In the same transaction as a record (or a
  batch), the partition's row is raised to the greatest envelope ``time`` consumed, and never
  lowered (``GREATEST``). Records dead-lettered or ignored count too: they were consumed. A
  record whose envelope cannot be read carries no event time and raises nothing.
- **A caught-up partition follows the clock.** An idle partition has no events to raise it, and
  must not hold time back forever: after each fetch round, a partition whose position has
  reached the highwater offset reported by a fetch response received during that round is
  raised to the clock's time at the start of the round minus a *grace*
  (:data:`WATERMARK_GRACE`, 2 s unless configured). The grace covers what the highwater
  cannot see: an event stamped just before the round that the producer (an outbox relay, an
  integration) had not yet written to the broker. An event reaching the broker later than
  the grace after its own time is *late*: a timer may already have fired before it.
- **A partition with unconsumed records holds it.** It stays at the last event time consumed
  however far the clock moves, and a newly assigned partition starts at ``-infinity``
  (:data:`BEGINNING_OF_TIME`) until it is read, so it holds the watermark back too.

A consumer's watermark, :func:`event_time_watermark`, is the minimum over its partitions;
``None`` means nothing is known yet (no partition was ever assigned): callers hold their timers,
as they do while the watermark is before a timer's due time. The watermark is only ever
compared with (``due_at <= watermark``); :data:`BEGINNING_OF_TIME` cannot be moved back.

Rows are never deleted when a partition moves to another instance of the same service: the
new owner, sharing the service's database, raises them. A topic deleted for good (a brand's
ingestion topic) leaves a row that holds the watermark where it was; delete such rows with it.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Protocol

from rapport_events.uow import Connection

WATERMARK_GRACE = timedelta(seconds=2)
"""How far behind the clock a caught-up partition's watermark is kept, by default."""

BEGINNING_OF_TIME = datetime.min.replace(tzinfo=UTC)
"""The watermark of a partition assigned but not yet read (``-infinity`` in PostgreSQL)."""

Partition = tuple[str, int]
"""A topic and a partition number."""


class Watermarks(Protocol):
    """The ``consumer_watermarks`` table, in PostgreSQL or in memory."""

    async def register(self, consumer: str, partitions: Iterable[Partition]) -> None:
        """Give each partition without a row one at :data:`BEGINNING_OF_TIME`."""
        ...

    async def raise_to(self, consumer: str, marks: Mapping[Partition, datetime]) -> None:
        """Raise each partition's watermark to its mark, never lowering it."""
        ...

    async def watermark(self, consumer: str) -> datetime | None:
        """The least watermark of the consumer's partitions; ``None`` when it has none."""
        ...


class PostgresWatermarks:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def register(self, consumer: str, partitions: Iterable[Partition]) -> None:
        topics, numbers = _columns(partitions)
        if not topics:
            return
        await self._connection.execute(
            """
            INSERT INTO consumer_watermarks (consumer, topic, partition, watermark)
            SELECT $1, topic, partition, '-infinity'
            FROM unnest($2::text[], $3::int[]) AS p (topic, partition)
            ON CONFLICT DO NOTHING
            """,
            consumer,
            topics,
            numbers,
        )

    async def raise_to(self, consumer: str, marks: Mapping[Partition, datetime]) -> None:
        if not marks:
            return
        topics, numbers = _columns(marks)
        # Sorted keys: concurrent writers lock rows in one order, so they cannot deadlock.
        await self._connection.execute(
            """
            INSERT INTO consumer_watermarks AS w (consumer, topic, partition, watermark)
            SELECT $1, topic, partition, watermark
            FROM unnest($2::text[], $3::int[], $4::timestamptz[]) AS m (topic, partition, watermark)
            ORDER BY topic, partition
            ON CONFLICT (consumer, topic, partition) DO UPDATE
            SET watermark = GREATEST(w.watermark, excluded.watermark), updated_at = now()
            WHERE excluded.watermark > w.watermark
            """,
            consumer,
            topics,
            numbers,
            [marks[partition] for partition in zip(topics, numbers, strict=True)],
        )

    async def watermark(self, consumer: str) -> datetime | None:
        value: datetime | None = await self._connection.fetchval(
            "SELECT min(watermark) FROM consumer_watermarks WHERE consumer = $1", consumer
        )
        return _aware(value)


def _columns(partitions: Iterable[Partition]) -> tuple[list[str], list[int]]:
    ordered = sorted(set(partitions))
    return [topic for topic, _ in ordered], [number for _, number in ordered]


def _aware(value: datetime | None) -> datetime | None:
    # asyncpg reads '-infinity' as a naive datetime.min, which no aware time compares with.
    if value is not None and value.tzinfo is None:
        return BEGINNING_OF_TIME
    return value


async def event_time_watermark(connection: Connection, consumer: str) -> datetime | None:
    """How far in event time ``consumer`` has consumed everything; ``None``: nothing known."""
    return await PostgresWatermarks(connection).watermark(consumer)


class InMemoryWatermarks:
    """The in-memory twin, for a service's fake tables (copied with them by a unit of work)."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str, int], datetime] = {}

    def __deepcopy__(self, memo: dict[int, object]) -> InMemoryWatermarks:
        twin = InMemoryWatermarks()
        twin.rows = copy.copy(self.rows)
        return twin

    async def register(self, consumer: str, partitions: Iterable[Partition]) -> None:
        for topic, number in partitions:
            self.rows.setdefault((consumer, topic, number), BEGINNING_OF_TIME)

    async def raise_to(self, consumer: str, marks: Mapping[Partition, datetime]) -> None:
        for (topic, number), mark in marks.items():
            key = (consumer, topic, number)
            self.rows[key] = max(self.rows.get(key, mark), mark)

    async def watermark(self, consumer: str) -> datetime | None:
        return self.event_time_watermark(consumer)

    def event_time_watermark(self, consumer: str) -> datetime | None:
        """As :func:`event_time_watermark` does in PostgreSQL."""
        marks = [mark for (owner, _, _), mark in self.rows.items() if owner == consumer]
        return min(marks, default=None)
