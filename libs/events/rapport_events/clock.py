"""Time as a dependency, so every time rule can be tested in milliseconds.

Rules never call ``datetime.now()``: they receive a :class:`Clock`. Tests use
:class:`ManualClock`; a running system may use :class:`AdjustableClock`, whose offset
can be shared through Redis so that a demo or an end-to-end test moves the time of every
service at once.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Protocol

CLOCK_OFFSET_KEY = "rapport:clock:offset-seconds"

log = logging.getLogger(__name__)


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware (UTC)."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
        if self._now.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start")

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta

    def set(self, instant: datetime) -> None:
        self._now = instant


class AdjustableClock:
    """System time plus an offset that can be moved forward at run time."""

    def __init__(self, base: Clock | None = None) -> None:
        self._base = base or SystemClock()
        self.offset = timedelta()

    def now(self) -> datetime:
        return self._base.now() + self.offset

    def advance(self, delta: timedelta) -> None:
        self.offset += delta


async def follow_shared_offset(
    clock: AdjustableClock, redis: object, *, interval: float = 0.2
) -> None:
    """Keep ``clock.offset`` equal to the offset stored in Redis (runs until cancelled).

    ``redis`` is a ``redis.asyncio.Redis``; the key holds the offset in seconds.
    """
    failing = False
    while True:
        try:
            raw = await redis.get(CLOCK_OFFSET_KEY)  # type: ignore[attr-defined]
            clock.offset = timedelta(seconds=float(raw)) if raw is not None else timedelta()
            failing = False
        except Exception as exc:
            # Keep the last known offset; say so once per outage, not every tick.
            if not failing:
                log.warning(
                    "cannot read the shared clock offset, keeping %s: %s", clock.offset, exc
                )
            failing = True
        await asyncio.sleep(interval)


async def advance_shared_clock(redis: object, delta: timedelta) -> float:
    """Move every service that follows the shared offset forward by ``delta``."""
    value = await redis.incrbyfloat(CLOCK_OFFSET_KEY, delta.total_seconds())  # type: ignore[attr-defined]
    return float(value)
