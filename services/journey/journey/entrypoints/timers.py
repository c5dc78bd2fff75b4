"""The timer worker: fires due timers on the service's clock, batch after batch.

Each batch is one transaction: the timers are locked (``SKIP LOCKED``, so several journey
processes share the work without firing a timer twice), their rules applied, their events
queued in the outbox and the timers marked fired. A crash before the commit leaves them
unfired, and they fire on a later round.
"""

from __future__ import annotations

import asyncio
import logging

from rapport_events.clock import Clock
from rapport_platform.service import Worker

from journey.application.commands import TIMER_BATCH, FireDueTimers
from journey.application.handlers import JourneyHandlers

log = logging.getLogger(__name__)


def timer_worker(handlers: JourneyHandlers, clock: Clock, poll_interval: float) -> Worker:
    async def fire_timers() -> None:
        while True:
            fired = await handlers.fire_due_timers(FireDueTimers(now=clock.now()))
            if fired:
                log.info("fired %d timers", fired)
            # A full batch means more may be due already: go on without waiting.
            if fired < TIMER_BATCH:
                await asyncio.sleep(poll_interval)

    return fire_timers
