"""The unit-of-work contract, run against PostgreSQL and the in-memory recording fake.

What every service relies on: emitted events and stream appends become visible together on a
clean exit and not at all after an exception; a unit of work is used inside ``async with``
only; two units of work on one stream cannot both append after the same version.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import asyncpg
import pytest
from rapport_events.clock import ManualClock
from rapport_events.store import ConcurrencyError, PostgresEventStore
from rapport_events.uow import (
    Connection,
    InMemoryDatabase,
    InMemoryUnitOfWork,
    UnitOfWork,
    UnitOfWorkPort,
)

from tests.support.events import AT, BRAND, points_earned

SOURCE = "/rapport/tests"


@dataclass
class Backend:
    begin: Callable[[], UnitOfWorkPort]
    committed_event_ids: Callable[[], Awaitable[list[str]]]


async def _outbox_ids(pool: asyncpg.Pool) -> list[str]:
    return [row["event_id"] for row in await pool.fetch("SELECT event_id FROM outbox ORDER BY 1")]


@pytest.fixture(params=["memory", "postgres"])
def backend(request: pytest.FixtureRequest) -> Backend:
    clock = ManualClock(AT)
    if request.param == "memory":
        database = InMemoryDatabase()

        async def committed_in_memory() -> list[str]:
            return sorted(envelope.id for envelope in database.committed)

        return Backend(
            begin=lambda: InMemoryUnitOfWork(database, source=SOURCE, clock=clock),
            committed_event_ids=committed_in_memory,
        )
    pool: asyncpg.Pool = request.getfixturevalue("pool")

    async def committed_in_postgres() -> list[str]:
        return await _outbox_ids(pool)

    return Backend(
        begin=lambda: UnitOfWork(pool, source=SOURCE, clock=clock),
        committed_event_ids=committed_in_postgres,
    )


async def committed(backend: Backend) -> list[str]:
    return await backend.committed_event_ids()


async def test_emitted_events_commit_on_a_clean_exit(backend: Backend) -> None:
    async with backend.begin() as uow:
        first = uow.emit(points_earned("m1", 10), brand_id=BRAND)
        second = uow.emit(points_earned("m1", 20), brand_id=BRAND, caused_by=first)

    assert await committed(backend) == sorted([first.id, second.id])
    assert second.causationid == first.id and second.correlationid == first.correlationid
    assert first.time == AT and first.source == SOURCE and first.brandid == BRAND


async def test_nothing_commits_after_an_exception(backend: Backend) -> None:
    with pytest.raises(RuntimeError, match="rule refused"):
        async with backend.begin() as uow:
            uow.emit(points_earned("m1", 10), brand_id=BRAND)
            await uow.append_to_stream("acct-m1", 0, [points_earned("m1", 5)], brand_id=BRAND)
            raise RuntimeError("rule refused")

    assert await committed(backend) == []
    async with backend.begin() as uow:
        assert await uow.load_stream("acct-m1") == []


async def test_a_stream_append_is_published_with_the_commit(backend: Backend) -> None:
    async with backend.begin() as uow:
        envelopes = await uow.append_to_stream(
            "acct-m1", 0, [points_earned("m1", 5), points_earned("m1", 7)], brand_id=BRAND
        )
    async with backend.begin() as uow:
        stored = await uow.load_stream("acct-m1")

    assert [item.envelope for item in stored] == envelopes
    assert await committed(backend) == sorted(envelope.id for envelope in envelopes)


async def test_emitting_outside_the_unit_of_work_is_refused(backend: Backend) -> None:
    uow = backend.begin()
    with pytest.raises(RuntimeError, match="not open"):
        uow.emit(points_earned("m1", 10), brand_id=BRAND)
    async with uow:
        pass
    with pytest.raises(RuntimeError, match="not open"):
        uow.emit(points_earned("m1", 10), brand_id=BRAND)


async def test_two_units_of_work_cannot_both_append_after_one_version(backend: Backend) -> None:
    async def append(points: int) -> str:
        try:
            async with backend.begin() as uow:
                await uow.load_stream("acct-m1")
                await uow.append_to_stream(
                    "acct-m1", 0, [points_earned("m1", points)], brand_id=BRAND
                )
        except ConcurrencyError:
            return "lost"
        return "won"

    outcomes = await asyncio.gather(append(1), append(2))

    assert sorted(outcomes) == ["lost", "won"]
    async with backend.begin() as uow:
        assert len(await uow.load_stream("acct-m1")) == 1


async def test_the_postgres_event_store_sees_what_the_unit_of_work_appended(
    pool: asyncpg.Pool,
) -> None:
    async with UnitOfWork(pool, source=SOURCE, clock=ManualClock(AT)) as uow:
        await uow.append_to_stream("acct-m2", 0, [points_earned("m2", 3)], brand_id=BRAND)
    assert len(await PostgresEventStore(pool).load("acct-m2")) == 1


async def test_buffered_writes_flushed_before_the_commit_commit_with_it(pool: asyncpg.Pool) -> None:
    """A unit of work that flushes a buffer in ``_before_commit`` (journey's batches) commits
    the flushed rows with the rest, and flushes nothing when the work fails."""
    await pool.execute("CREATE TABLE IF NOT EXISTS buffered (value text)")

    class Buffering(UnitOfWork):
        buffer: list[str]

        def _bind(self, connection: Connection) -> None:
            self.buffer = []

        async def _before_commit(self) -> None:
            await self.connection.executemany(
                "INSERT INTO buffered VALUES ($1)", [(v,) for v in self.buffer]
            )

    clock = ManualClock(AT)
    async with Buffering(pool, source=SOURCE, clock=clock) as uow:
        uow.buffer += ["kept", "also kept"]
        event = uow.emit(points_earned("m1", 10), brand_id=BRAND)
    with pytest.raises(RuntimeError, match="refused"):
        async with Buffering(pool, source=SOURCE, clock=clock) as uow:
            uow.buffer.append("dropped")
            raise RuntimeError("refused")

    rows = await pool.fetch("SELECT value FROM buffered ORDER BY value")
    assert [row["value"] for row in rows] == ["also kept", "kept"]
    assert await _outbox_ids(pool) == [event.id]
