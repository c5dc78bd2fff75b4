"""Durable timers: "look at this member again at that instant" (pure data).

A rule asks for a :class:`TimerRequest`; the application stores it as a :class:`Timer` with
the context of the event that armed it, and hands it back to the rule that owns its kind
when it is due. A timer is identified by member, kind and *slot*: arming a timer cancels the
member's active timer of the same kind and slot. Dormancy uses one slot per member (a visit
re-arms it); a rule that needs one timer per occasion (a care guide per visit) uses the
occasion as the slot.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

TIMER_NAMESPACE: Final = uuid.UUID("0b7f0c43-7c1e-4d8e-9d55-3a2b9f6c1e27")


@dataclass(frozen=True)
class TimerRequest:
    kind: str
    due_at: datetime
    armed_for: datetime
    """The instant of the fact the timer counts from (for dormancy: the visit)."""
    slot: str = ""
    payload: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Timer:
    timer_id: str
    member_id: str
    brand_id: str
    kind: str
    due_at: datetime
    armed_for: datetime
    slot: str = ""
    payload: Mapping[str, str] = field(default_factory=dict)
    armed_by_event_id: str | None = None
    traceparent: str | None = None
    tracestate: str | None = None
    correlation_id: str | None = None


def timer_id(member_id: str, kind: str, slot: str, cause: str) -> str:
    """The same cause (an event id, or the id of the timer that re-armed it) always names the
    same timer, so arming twice for one cause leaves one timer."""
    return "tmr_" + uuid.uuid5(TIMER_NAMESPACE, f"{member_id}:{kind}:{slot}:{cause}").hex
