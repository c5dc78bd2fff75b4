"""The timer worker: fires due timers on the runtime's clock, batch after batch.

Each batch is one transaction: the timers are locked (``SKIP LOCKED``, so several journey
processes share the work without firing a timer twice), their rules applied, their events
queued in the outbox and the timers marked fired. A crash before the commit leaves them
unfired, and they fire on a later round.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from rapport_platform.service import Runtime

from journey.adapters.postgres import PostgresJourneyUnitOfWork
from journey.application.handlers import TIMER_BATCH, fire_due_timers
from journey.settings import rulebook_of

log = logging.getLogger(__name__)


def timer_worker(runtime: Runtime) -> Callable[[], Awaitable[None]]:
    rules = rulebook_of(runtime.settings)

    async def fire_timers() -> None:
        while True:
            async with runtime.unit_of_work() as uow:
                fired = await fire_due_timers(
                    PostgresJourneyUnitOfWork(uow), runtime.clock.now(), TIMER_BATCH, rules=rules
                )
            if fired:
                log.info("fired %d timers", fired)
            # A full batch means more may be due already: go on without waiting.
            if fired < TIMER_BATCH:
                await asyncio.sleep(runtime.settings.timer_poll_interval)

    return fire_timers
