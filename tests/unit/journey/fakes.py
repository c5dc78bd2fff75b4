"""In-memory journey store and emitter for application tests."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace
from datetime import datetime

from journey.application.ports import TouchpointRecord
from journey.domain.journey import MemberJourney, StageChange
from journey.domain.timers import Timer
from rapport_events.clock import Clock
from rapport_events.envelope import DomainEvent, EventEnvelope


@dataclass
class StoredTimer:
    timer: Timer
    fired_at: datetime | None = None
    cancelled: bool = False


@dataclass
class InMemoryJourneyStore:
    journeys: dict[str, MemberJourney] = field(default_factory=dict)
    history: list[tuple[str, StageChange]] = field(default_factory=list)
    timers: list[StoredTimer] = field(default_factory=list)
    touchpoints: dict[str, TouchpointRecord] = field(default_factory=dict)

    async def get(self, member_id: str) -> MemberJourney | None:
        journey = self.journeys.get(member_id)
        return copy.deepcopy(journey) if journey else None

    async def save(self, journey: MemberJourney, changes: list[StageChange]) -> None:
        self.journeys[journey.member_id] = copy.deepcopy(journey)
        self.history.extend((journey.member_id, change) for change in changes)

    async def arm(self, timer: Timer) -> None:
        for stored in self.active(timer.member_id, timer.kind):
            stored.cancelled = True
        self.timers.append(StoredTimer(timer))

    async def due_timers(self, now: datetime, limit: int) -> list[Timer]:
        due = [
            s.timer
            for s in self.timers
            if s.fired_at is None and not s.cancelled and s.timer.due_at <= now
        ]
        return sorted(due, key=lambda t: t.due_at)[:limit]

    async def mark_fired(self, timer_id: str, at: datetime) -> None:
        for stored in self.timers:
            if stored.timer.timer_id == timer_id:
                stored.fired_at = at

    async def record_touchpoint(self, touchpoint: TouchpointRecord) -> None:
        self.touchpoints.setdefault(touchpoint.touchpoint_id, touchpoint)

    async def resolve_touchpoint(
        self, touchpoint_id: str, status: str, reason: str | None, at: datetime
    ) -> None:
        if touchpoint_id in self.touchpoints:
            self.touchpoints[touchpoint_id] = replace(
                self.touchpoints[touchpoint_id], status=status, reason=reason, resolved_at=at
            )

    def active(self, member_id: str, kind: str) -> list[StoredTimer]:
        return [
            s
            for s in self.timers
            if s.timer.member_id == member_id
            and s.timer.kind == kind
            and s.fired_at is None
            and not s.cancelled
        ]

    def stages(self, member_id: str) -> list[str]:
        return [change.to_stage for member, change in self.history if member == member_id]


class RecordingEmitter:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.events: list[DomainEvent] = []

    def emit(
        self, event: DomainEvent, *, brand_id: str, caused_by: EventEnvelope | None = None
    ) -> EventEnvelope:
        self.events.append(event)
        return EventEnvelope.wrap(
            event,
            source="/rapport/journey",
            brand_id=brand_id,
            time=self.clock.now(),
            caused_by=caused_by,
        )

    def of_type(self, kind: type[DomainEvent]) -> list[DomainEvent]:
        return [event for event in self.events if isinstance(event, kind)]
