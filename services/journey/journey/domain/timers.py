"""Durable timers: a rule that must be looked at again at a given instant (pure data)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

DORMANCY: Final = "dormancy"


@dataclass(frozen=True)
class Timer:
    timer_id: str
    member_id: str
    brand_id: str
    kind: str
    due_at: datetime
    armed_for: datetime
    """The instant the timer was armed for (for dormancy: the visit it counts from)."""
    armed_by_event_id: str | None = None
    traceparent: str | None = None
    tracestate: str | None = None
    correlation_id: str | None = None
