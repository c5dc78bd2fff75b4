"""The two backends of the journey contracts, and how a test coordinates on them."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
from journey.application.ports import JourneyUnitOfWork

from tests.support.polling import eventually

NOW = datetime(2026, 3, 1, 10, tzinfo=UTC)
SOURCE = "/rapport/journey"


@dataclass
class Backend:
    name: str
    begin: Callable[[], JourneyUnitOfWork]
    someone_waits: Callable[[], Awaitable[None]]
    """Returns once another unit of work waits for a lock this one holds (PostgreSQL); at
    once in memory, where the other unit of work runs only after this one ends."""
    serialised: bool
    """Whether units of work run one after the other (in memory)."""

    async def hold_until(self, event: asyncio.Event) -> None:
        """Keep the current unit of work open until ``event``, where others run meanwhile."""
        if not self.serialised:
            await event.wait()


def waiting_on_a_lock(pool: asyncpg.Pool) -> Callable[[], Awaitable[None]]:
    async def probe() -> bool:
        waiting = await pool.fetchval(
            """
            SELECT count(*) FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock'
            """
        )
        return bool(waiting)

    async def someone_waits() -> None:
        await eventually(probe, timeout=10, what="a transaction waiting on a lock")

    return someone_waits


async def at_once() -> None:
    return None
