"""The relay publishes every committed event, in order per member, even when killed."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import asyncpg
import pytest
from rapport_events.clock import ManualClock
from rapport_events.envelope import EventEnvelope
from rapport_events.outbox import OutboxRelay
from rapport_events.publisher import InMemoryPublisher
from rapport_events.topics import LOYALTY_POINTS
from rapport_events.uow import UnitOfWork

from tests.support.events import AT, points_earned
from tests.support.infrastructure import Endpoints
from tests.support.kafka import read_topic
from tests.support.polling import eventually

RELAY_PROCESS = Path(__file__).with_name("relay_process.py")


async def write_events(pool: asyncpg.Pool, members: int, per_member: int) -> None:
    clock = ManualClock(AT)

    async def member_writes(number: int) -> None:
        for points in range(1, per_member + 1):
            async with UnitOfWork(pool, source="/t", clock=clock) as uow:
                uow.emit(points_earned(f"m{number}", points), brand_id="brd_1")

    await asyncio.gather(*(member_writes(n) for n in range(members)))


def first_occurrences(envelopes: list[EventEnvelope]) -> dict[str, list[int]]:
    """Per member, the points in the order each event first arrived (duplicates dropped)."""
    seen: set[str] = set()
    order: dict[str, list[int]] = {}
    for envelope in envelopes:
        if envelope.id not in seen:
            seen.add(envelope.id)
            order.setdefault(envelope.subject, []).append(envelope.data["points"])
    return order


async def test_concurrent_writers_with_a_running_relay_lose_nothing(pool: asyncpg.Pool) -> None:
    publisher = InMemoryPublisher()
    relay = asyncio.create_task(
        OutboxRelay(pool, publisher, batch_size=7, poll_interval=0.001).run()
    )
    try:
        await write_events(pool, members=10, per_member=20)
        await eventually(lambda: _count(publisher, 200), what="200 events relayed", timeout=30)
    finally:
        relay.cancel()
    envelopes = [EventEnvelope.from_kafka(r.headers, r.value) for r in publisher.records]
    assert len({e.id for e in envelopes}) == len(envelopes) == 200
    assert first_occurrences(envelopes) == {f"m{n}": list(range(1, 21)) for n in range(10)}


async def _count(publisher: InMemoryPublisher, expected: int) -> bool:
    return len(publisher.records) >= expected


async def test_a_failed_publish_is_retried_without_skipping(pool: asyncpg.Pool) -> None:
    publisher = InMemoryPublisher()
    relay = OutboxRelay(pool, publisher, batch_size=100)
    await write_events(pool, members=2, per_member=3)
    publisher.fail_next = 1

    with pytest.raises(ConnectionError):
        await relay.relay_once()
    assert publisher.records == []
    assert await relay.relay_once() == 6
    assert await relay.relay_once() == 0
    assert len(publisher.records) == 6


async def test_a_relay_killed_mid_stream_loses_nothing_and_keeps_member_order(
    pool: asyncpg.Pool, database: str, endpoints: Endpoints, topic_prefix: str
) -> None:
    members, per_member = 8, 25
    total = members * per_member
    topic = topic_prefix + LOYALTY_POINTS

    first = await _start_relay(database, endpoints, topic_prefix)
    writing = asyncio.create_task(write_events(pool, members, per_member))
    await read_topic(endpoints.kafka, topic, expected=1, timeout=30)
    first.send_signal(signal.SIGKILL)
    await first.wait()
    await writing
    committed = await pool.fetchval("SELECT count(*) FROM outbox")

    second = await _start_relay(database, endpoints, topic_prefix)

    async def every_event_arrived() -> list[EventEnvelope] | None:
        records = await read_topic(endpoints.kafka, topic, expected=1)
        envelopes = [EventEnvelope.from_kafka(r.headers, r.value) for r in records]
        return envelopes if len({e.id for e in envelopes}) >= total else None

    try:
        envelopes = await eventually(every_event_arrived, what=f"{total} distinct events")
    finally:
        second.terminate()
        await second.wait()

    assert committed == total
    assert len({e.id for e in envelopes}) == total
    expected = {f"m{n}": list(range(1, per_member + 1)) for n in range(members)}
    assert first_occurrences(envelopes) == expected


async def _start_relay(
    database: str, endpoints: Endpoints, prefix: str
) -> asyncio.subprocess.Process:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(RELAY_PROCESS),
        database,
        prefix,
        "5",
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, **endpoints.kafka_environment()},
    )
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), timeout=30)
    assert line.strip() == b"relay started"
    return process
