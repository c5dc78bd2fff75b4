"""``make bench``: throughput of the event plumbing, as ratios to a baseline of the same run.

Each measurement runs next to a baseline doing the same I/O without the plumbing's
guarantees, on the same machine, in the same minute; the ratio is the figure to compare
across machines (absolute numbers on a shared 2-core box are noise).

    event store append   vs  plain INSERT of the same rows (one transaction each)
    outbox relay         vs  the same records sent straight with an idempotent producer
    idempotent consumer  vs  consuming the same records and inserting them without the inbox

Components: RAPPORT_TEST_PG_DSN / RAPPORT_TEST_KAFKA / RAPPORT_TEST_REDIS, else the local
stack (started if needed). ``--events N`` sets the size of each run.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rapport_events.clock import ManualClock  # noqa: E402
from rapport_events.consumer import EventConsumer, RecordProcessor, Subscription  # noqa: E402
from rapport_events.contracts.loyalty import PointsEarned  # noqa: E402
from rapport_events.envelope import EventEnvelope  # noqa: E402
from rapport_events.kafka_security import KafkaConnection  # noqa: E402
from rapport_events.outbox import OutboxRelay  # noqa: E402
from rapport_events.publisher import KafkaPublisher, OutgoingRecord  # noqa: E402
from rapport_events.schema import PLUMBING_MIGRATIONS  # noqa: E402
from rapport_events.store import PostgresEventStore  # noqa: E402
from rapport_events.topics import LOYALTY_POINTS, all_topics, ensure_topics  # noqa: E402
from rapport_events.uow import UnitOfWork  # noqa: E402
from rapport_platform.db import create_pool, migrate  # noqa: E402

from tests.support.infrastructure import resolve_endpoints  # noqa: E402

AT = datetime(2026, 5, 1, tzinfo=UTC)
CONCURRENCY = 8


@dataclass
class Result:
    name: str
    baseline: str
    measured: float  # events per second
    reference: float  # events per second

    @property
    def ratio(self) -> float:
        return self.measured / self.reference


def earned(member: int, points: int) -> PointsEarned:
    return PointsEarned(
        member_id=f"m{member}",
        brand_id="brd_bench",
        points=points,
        balance=points,
        reason="purchase",
        source_id=f"pur_{member}_{points}",
        earned_at=AT,
    )


def envelope(member: int, points: int) -> EventEnvelope:
    return EventEnvelope.wrap(
        earned(member, points), source="/bench", brand_id="brd_bench", time=AT
    )


async def rate(events: int, work: Callable[[], Awaitable[None]]) -> float:
    started = time.perf_counter()
    await work()
    return events / (time.perf_counter() - started)


async def in_parallel(events: int, one: Callable[[int, int], Awaitable[None]]) -> None:
    per_worker = events // CONCURRENCY

    async def worker(number: int) -> None:
        for index in range(per_worker):
            await one(number, index)

    await asyncio.gather(*(worker(n) for n in range(CONCURRENCY)))


async def bench_append(pool: asyncpg.Pool, events: int) -> Result:
    store = PostgresEventStore(pool)
    await pool.execute("CREATE TABLE IF NOT EXISTS plain (id text PRIMARY KEY, body jsonb)")
    run = uuid.uuid4().hex[:6]

    async def append(worker: int, index: int) -> None:
        await store.append(f"s-{run}-{worker}", index, [envelope(worker, index + 1)])

    async def plain(worker: int, index: int) -> None:
        body = envelope(worker, index + 1)
        async with pool.acquire() as connection, connection.transaction():
            await connection.execute(
                "INSERT INTO plain VALUES ($1, $2::text::jsonb)", body.id, body.model_dump_json()
            )

    reference = await rate(events, lambda: in_parallel(events, plain))
    measured = await rate(events, lambda: in_parallel(events, append))
    return Result("event store append", "plain INSERT", measured, reference)


async def bench_relay(pool: asyncpg.Pool, kafka: KafkaConnection, events: int) -> Result:
    prefix = f"bench{uuid.uuid4().hex[:6]}."
    await ensure_topics(kafka, all_topics(prefix), partitions=6)
    clock = ManualClock(AT)
    await pool.execute("TRUNCATE outbox")
    for start in range(0, events, 500):
        async with UnitOfWork(pool, source="/bench", clock=clock) as uow:
            for index in range(start, min(start + 500, events)):
                uow.emit(earned(index % 100, index + 1), brand_id="brd_bench")
    publisher = KafkaPublisher(kafka)
    await publisher.start()
    try:
        records = [
            OutgoingRecord.of(prefix + "direct", envelope(i % 100, i + 1)) for i in range(events)
        ]
        await ensure_topics(kafka, [prefix + "direct"], partitions=6)

        async def direct() -> None:
            for start in range(0, events, 500):
                await publisher.publish(records[start : start + 500])

        relay = OutboxRelay(pool, publisher, topic_prefix=prefix, batch_size=500)

        async def relayed() -> None:
            while await relay.relay_once():
                pass

        reference = await rate(events, direct)
        measured = await rate(events, relayed)
    finally:
        await publisher.stop()
    return Result("outbox relay to Kafka", "direct idempotent send", measured, reference)


async def bench_consumer(pool: asyncpg.Pool, kafka: KafkaConnection, events: int) -> Result:
    prefix = f"bench{uuid.uuid4().hex[:6]}."
    await ensure_topics(kafka, all_topics(prefix), partitions=6)
    await pool.execute("CREATE TABLE IF NOT EXISTS applied (event_id text, points int)")
    publisher = KafkaPublisher(kafka)
    await publisher.start()
    topic = prefix + LOYALTY_POINTS
    await publisher.publish(
        [OutgoingRecord.of(topic, envelope(i % 100, i + 1)) for i in range(events)]
    )
    await publisher.stop()

    async def apply(event: PointsEarned, env: EventEnvelope, uow: UnitOfWork) -> None:
        await uow.connection.execute("INSERT INTO applied VALUES ($1, $2)", env.id, event.points)

    async def until_applied(count: int) -> None:
        deadline = time.monotonic() + 300
        while await pool.fetchval("SELECT count(*) FROM applied") < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"consumer did not apply {count} events in time")
            await asyncio.sleep(0.02)

    async def plain_consumer() -> None:
        from aiokafka import AIOKafkaConsumer

        consumer = AIOKafkaConsumer(
            topic,
            **kafka.client_options(),
            group_id=prefix + "plain",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        await consumer.start()
        seen = 0
        try:
            while seen < events:
                batches = await consumer.getmany(timeout_ms=500)
                for records in batches.values():
                    async with pool.acquire() as connection:
                        await connection.executemany(
                            "INSERT INTO applied VALUES ($1, 0)",
                            [(f"plain-{r.partition}-{r.offset}",) for r in records],
                        )
                    seen += len(records)
                if batches:
                    await consumer.commit()
        finally:
            await consumer.stop()

    reference = await rate(events, plain_consumer)
    await pool.execute("TRUNCATE applied")
    dead_letters = KafkaPublisher(kafka)
    await dead_letters.start()
    processor = RecordProcessor(
        service="bench",
        subscriptions=[Subscription(topic=LOYALTY_POINTS, handlers={PointsEarned: apply})],
        pool=pool,
        dead_letters=dead_letters,
        clock=ManualClock(AT),
        topic_prefix=prefix,
    )
    consumer = EventConsumer(processor, connection=kafka, group_id=prefix + "inbox")

    async def idempotent() -> None:
        task = asyncio.create_task(consumer.run())
        try:
            await until_applied(events)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    try:
        measured = await rate(events, idempotent)
    finally:
        await dead_letters.stop()
    return Result("idempotent consumer", "consume + batch insert", measured, reference)


async def main(events: int, rounds: int) -> int:
    endpoints = resolve_endpoints()
    database = f"bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(endpoints.pg_dsn)
    await admin.execute(f'CREATE DATABASE "{database}"')
    pool = await create_pool(endpoints.pg_dsn.rsplit("/", 1)[0] + "/" + database, max_size=20)
    try:
        await migrate(pool, PLUMBING_MIGRATIONS, component="bench")
        results: dict[str, list[Result]] = {}
        for round_number in range(1, rounds + 1):
            print(f"round {round_number}/{rounds}…", flush=True)
            for result in (
                await bench_append(pool, events),
                await bench_relay(pool, endpoints.kafka, events),
                await bench_consumer(pool, endpoints.kafka, events),
            ):
                results.setdefault(result.name, []).append(result)
                print(
                    f"  {result.name:<24} {result.measured:>9.0f}/s   "
                    f"baseline {result.reference:>9.0f}/s   ratio {result.ratio:.2f}",
                    flush=True,
                )
        print(f"\n{'measurement':<24} {'events/s':>9}  {'baseline':<24} {'/s':>7}  median ratio")
        for name, runs in results.items():
            measured = statistics.median(r.measured for r in runs)
            reference = statistics.median(r.reference for r in runs)
            ratio = statistics.median(r.ratio for r in runs)
            baseline = runs[0].baseline
            print(f"{name:<24} {measured:>9.0f}  {baseline:<24} {reference:>7.0f}  {ratio:.2f}")
    finally:
        await pool.close()
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.close()
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=4000)
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    sys.exit(asyncio.run(main(arguments.events, arguments.rounds)))
