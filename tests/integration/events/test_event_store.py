"""Optimistic concurrency and commit-order reading on a real PostgreSQL."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from rapport_events.clock import ManualClock
from rapport_events.commit_log import START, fetch_committed
from rapport_events.store import ConcurrencyError, PostgresEventStore
from rapport_events.uow import UnitOfWork

from tests.support.events import AT, points_earned, points_envelope


async def test_concurrent_appends_on_one_version_let_exactly_one_win(pool: asyncpg.Pool) -> None:
    store = PostgresEventStore(pool)
    await store.append("acct-m1", 0, [points_envelope("m1", 1)])

    results = await asyncio.gather(
        *(store.append("acct-m1", 1, [points_envelope("m1", 10 + i)]) for i in range(8)),
        return_exceptions=True,
    )

    winners = [r for r in results if r == 2]
    conflicts = [r for r in results if isinstance(r, ConcurrencyError)]
    assert len(winners) == 1
    assert len(conflicts) == 7
    assert all(c.expected_version == 1 and c.actual_version in (2, None) for c in conflicts)
    assert [s.stream_version for s in await store.load("acct-m1")] == [1, 2]


async def test_a_slow_transaction_is_not_skipped_by_a_reader(pool: asyncpg.Pool) -> None:
    """The gap problem: position 1 commits after position 2; the reader must see both."""
    clock = ManualClock(AT)
    slow_has_written = asyncio.Event()
    release_slow = asyncio.Event()

    async def slow_writer() -> None:
        async with UnitOfWork(pool, source="/t", clock=clock) as uow:
            await uow.append_to_stream("acct-slow", 0, [points_earned("slow", 1)], brand_id="brd_1")
            slow_has_written.set()
            await release_slow.wait()

    slow = asyncio.create_task(slow_writer())
    await slow_has_written.wait()
    async with UnitOfWork(pool, source="/t", clock=clock) as uow:
        await uow.append_to_stream("acct-fast", 0, [points_earned("fast", 2)], brand_id="brd_1")

    while_slow_is_open = await PostgresEventStore(pool).read_all(START)
    release_slow.set()
    await slow

    after_commit = await PostgresEventStore(pool).read_all(START)
    assert while_slow_is_open == []
    assert [s.stream_id for s in after_commit] == ["acct-slow", "acct-fast"]


async def test_concurrent_writers_and_a_reader_miss_nothing(pool: asyncpg.Pool) -> None:
    clock = ManualClock(AT)
    writers, per_writer = 12, 15
    done = asyncio.Event()
    seen: list[str] = []

    async def writer(number: int) -> None:
        for sequence in range(per_writer):
            async with UnitOfWork(pool, source="/t", clock=clock) as uow:
                uow.emit(points_earned(f"m{number}", sequence + 1), brand_id="brd_1")
                # Hold some transactions open so positions commit out of order.
                await asyncio.sleep(0.002 * ((number + sequence) % 3))

    async def reader() -> None:
        checkpoint = START
        deadline = asyncio.get_running_loop().time() + 60
        while asyncio.get_running_loop().time() < deadline:
            finished = done.is_set()
            rows = await fetch_committed(pool, "outbox", checkpoint, 50)
            seen.extend(row.envelope().id for row in rows)
            if rows:
                checkpoint = rows[-1].checkpoint
            elif finished:
                return
            else:
                await asyncio.sleep(0.001)
        raise AssertionError("the reader did not catch up with the writers within 60s")

    reading = asyncio.create_task(reader())
    await asyncio.gather(*(writer(n) for n in range(writers)))
    done.set()
    await reading

    written = await pool.fetch("SELECT event_id FROM outbox")
    assert len(seen) == writers * per_writer
    assert sorted(seen) == sorted(row["event_id"] for row in written)


async def test_a_rolled_back_unit_of_work_leaves_no_state_and_no_event(
    pool: asyncpg.Pool,
) -> None:
    await pool.execute("CREATE TABLE balances (member text PRIMARY KEY, points int)")
    with pytest.raises(RuntimeError, match="boom"):
        async with UnitOfWork(pool, source="/t", clock=ManualClock(AT)) as uow:
            await uow.connection.execute("INSERT INTO balances VALUES ('m1', 10)")
            uow.emit(points_earned("m1", 10), brand_id="brd_1")
            raise RuntimeError("boom")

    assert await pool.fetchval("SELECT count(*) FROM balances") == 0
    assert await pool.fetchval("SELECT count(*) FROM outbox") == 0
