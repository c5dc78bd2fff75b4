"""What journey is asked to do. It mostly reacts to events; its one command comes from the
timer worker."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

TIMER_BATCH: Final = 100


@dataclass(frozen=True)
class FireDueTimers:
    """Hand up to ``limit`` timers due by ``now`` to the rules owning their kinds."""

    now: datetime
    limit: int = TIMER_BATCH
