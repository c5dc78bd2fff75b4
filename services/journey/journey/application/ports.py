"""What the application needs from storage; Postgres and in-memory adapters implement it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from rapport_events.envelope import DomainEvent, EventEnvelope

from journey.domain.journey import MemberJourney, StageChange
from journey.domain.timers import Timer


@dataclass(frozen=True)
class TouchpointRecord:
    touchpoint_id: str
    member_id: str
    brand_id: str
    template: str
    channel: str
    status: str
    requested_at: datetime
    reason: str | None = None
    resolved_at: datetime | None = None


class JourneyStore(Protocol):
    """A service's state of journeys, timers and touchpoints, inside one transaction."""

    async def get(self, member_id: str) -> MemberJourney | None:
        """The journey, locked for update until the transaction ends."""
        ...

    async def save(self, journey: MemberJourney, changes: list[StageChange]) -> None: ...

    async def arm(self, timer: Timer) -> None:
        """Arm ``timer``, cancelling the member's active timer of the same kind."""
        ...

    async def due_timers(self, now: datetime, limit: int) -> list[Timer]:
        """Timers due by ``now``, locked; timers locked by another worker are skipped."""
        ...

    async def mark_fired(self, timer_id: str, at: datetime) -> None: ...

    async def record_touchpoint(self, touchpoint: TouchpointRecord) -> None: ...

    async def resolve_touchpoint(
        self, touchpoint_id: str, status: str, reason: str | None, at: datetime
    ) -> None: ...


class Emitter(Protocol):
    def emit(
        self, event: DomainEvent, *, brand_id: str, caused_by: EventEnvelope | None = None
    ) -> EventEnvelope: ...
