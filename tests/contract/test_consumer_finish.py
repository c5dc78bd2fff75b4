"""The consumer's ``finish`` step: a service's bulk work after its handlers, in their
transaction (journey places a whole batch of members there)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest_asyncio
from rapport_events.clock import ManualClock
from rapport_events.consumer import Outcome, RecordProcessor, RejectEvent, Subscription
from rapport_events.contracts.loyalty import PointsEarned
from rapport_events.envelope import EventEnvelope
from rapport_events.publisher import InMemoryPublisher
from rapport_events.topics import LOYALTY_POINTS
from rapport_events.uow import Connection, UnitOfWork

from tests.contract.test_watermarks import at, record
from tests.support.events import AT


class Collecting(UnitOfWork):
    """Handlers collect points here; the finish step writes them in one statement."""

    collected: list[tuple[str, int]]

    def _bind(self, connection: Connection) -> None:
        self.collected = []


async def collect(event: PointsEarned, envelope: EventEnvelope, uow: Collecting) -> None:
    uow.collected.append((envelope.id, event.points))


async def write_collected(uow: Any) -> None:
    if any(points == 13 for _, points in uow.collected):
        raise RejectEvent("13 points are never awarded")
    await uow.connection.executemany(
        "INSERT INTO finished (event_id, points) VALUES ($1, $2)", uow.collected
    )


@pytest_asyncio.fixture
async def finishing(pool: asyncpg.Pool) -> AsyncIterator[RecordProcessor]:
    await pool.execute("CREATE TABLE finished (event_id text, points int)")
    yield RecordProcessor(
        service="loyalty",
        subscriptions=[Subscription(topic=LOYALTY_POINTS, handlers={PointsEarned: collect})],
        pool=pool,
        dead_letters=InMemoryPublisher(),
        clock=ManualClock(AT),
        unit_of_work=lambda: Collecting(pool, source="/rapport/loyalty", clock=ManualClock(AT)),
        finish=write_collected,
    )


async def finished_points(pool: asyncpg.Pool) -> list[int]:
    return [row["points"] for row in await pool.fetch("SELECT points FROM finished ORDER BY 1")]


async def test_a_batch_is_finished_once_with_everything_its_handlers_collected(
    pool: asyncpg.Pool, finishing: RecordProcessor
) -> None:
    batch = [record(at(points, AT), offset=points) for points in (1, 2, 3)]

    outcomes = await finishing.process_batch(batch)

    assert outcomes == [Outcome.APPLIED] * 3
    assert await finished_points(pool) == [1, 2, 3]


async def test_a_refusal_while_finishing_dead_letters_only_the_record_that_caused_it(
    pool: asyncpg.Pool, finishing: RecordProcessor
) -> None:
    batch = [record(at(points, AT), offset=points) for points in (1, 13, 3)]

    outcomes = await finishing.process_batch(batch)

    assert outcomes == [Outcome.APPLIED, Outcome.DEAD_LETTERED, Outcome.APPLIED]
    assert await finished_points(pool) == [1, 3]
