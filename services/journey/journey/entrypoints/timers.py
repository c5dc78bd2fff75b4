"""The timer worker: fires due timers on the runtime's clock, batch after batch."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from rapport_platform.service import Runtime

from journey.adapters.postgres import PostgresJourneyStore
from journey.application.handlers import fire_due_timers
from journey.domain.journey import LifecycleRules

BATCH = 100


def timer_worker(runtime: Runtime, rules: LifecycleRules) -> Callable[[], Awaitable[None]]:
    async def work() -> None:
        while True:
            async with runtime.unit_of_work() as uow:
                fired = await fire_due_timers(
                    PostgresJourneyStore(uow.connection), uow, runtime.clock.now(), rules, BATCH
                )
            if fired < BATCH:
                await asyncio.sleep(runtime.settings.timer_poll_interval)

    return work
