"""The timer worker: fires due map timers on the service's clock, batch after batch.

Each batch is one transaction: the timers are locked (``SKIP LOCKED``, so several journey
processes share the work without firing a timer twice), their members placed, their events
queued in the outbox and the timers marked fired. A crash before the commit leaves them
unfired, and they fire on a later round. Only timers due by the consumer's event-time
watermark are taken: a timer never runs ahead of the events that could call it off.
"""

from __future__ import annotations

import asyncio
import logging

from rapport_events.clock import Clock
from rapport_platform.service import Worker

from journey.application.commands import FireDueTimers
from journey.application.handlers import JourneyHandlers

log = logging.getLogger(__name__)


def timer_worker(
    handlers: JourneyHandlers, clock: Clock, poll_interval: float, batch: int
) -> Worker:
    async def fire_timers() -> None:
        while True:
            fired = await handlers.fire_due_timers(FireDueTimers(now=clock.now(), limit=batch))
            if fired:
                log.info("fired %d timers", fired)
            # A full batch means more may be due already: go on without waiting.
            if fired < batch:
                await asyncio.sleep(poll_interval)

    return fire_timers
