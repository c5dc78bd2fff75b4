"""The release worker: sends held messages once their brand's quiet hours end.

Each round is one transaction: the due rows are locked (``SKIP LOCKED``, so several notifier
processes share the work without sending a message twice), each goes through the cap check
again and is sent, capped or held anew, and its result event is queued in the outbox. A crash
before the commit leaves the rows held, and a later round (of this process after its restart,
or of another) releases them; time is the service's clock, so a moved platform clock releases
what its new time says is due.
"""

from __future__ import annotations

import asyncio
import logging

from rapport_events.clock import Clock
from rapport_platform.service import Worker

from notifier.application.commands import RELEASE_BATCH, ReleaseHeldMessages
from notifier.application.handlers import NotifierHandlers

log = logging.getLogger(__name__)


def release_worker(handlers: NotifierHandlers, clock: Clock, poll_interval: float) -> Worker:
    async def release_held_messages() -> None:
        while True:
            released = await handlers.release_held_messages(ReleaseHeldMessages(now=clock.now()))
            if released:
                log.info("released %d held messages", released)
            # A full batch means more may be due already: go on without waiting.
            if released < RELEASE_BATCH:
                await asyncio.sleep(poll_interval)

    return release_held_messages
