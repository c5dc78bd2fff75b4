"""In-memory stores, unit of work and read side for journey's application and HTTP tests.

They keep the contracts of the PostgreSQL adapters that matter to the rules: one active
timer per member, kind and slot; timer ids and touchpoint ids recorded once; a delivery is
final. Journeys are copied in and out, so a test sees only what was saved.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal, TypeVar

from journey.application.ports import JourneyView, TouchpointRecord
from journey.domain.journey import MemberJourney, StageChange
from journey.domain.timers import Timer
from rapport_events.clock import Clock
from rapport_events.contracts.journey import Stage
from rapport_events.envelope import DomainEvent, EventEnvelope
from rapport_events.uow import stamp

E = TypeVar("E", bound=DomainEvent)


@dataclass
class StoredTimer:
    timer: Timer
    created_at: datetime
    fired_at: datetime | None = None
    cancelled_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.fired_at is None and self.cancelled_at is None


@dataclass
class InMemoryJourneys:
    rows: dict[str, MemberJourney] = field(default_factory=dict)
    history: dict[str, list[StageChange]] = field(default_factory=dict)

    async def get(self, member_id: str) -> MemberJourney | None:
        journey = self.rows.get(member_id)
        return copy.deepcopy(journey) if journey is not None else None

    async def load(self, member_id: str, brand_id: str) -> MemberJourney:
        self.rows.setdefault(member_id, MemberJourney(member_id=member_id, brand_id=brand_id))
        return copy.deepcopy(self.rows[member_id])

    async def save(self, journey: MemberJourney, changes: list[StageChange]) -> None:
        self.rows[journey.member_id] = copy.deepcopy(journey)
        self.history.setdefault(journey.member_id, []).extend(changes)

    def stages(self, member_id: str) -> list[str]:
        return [change.to_stage for change in self.history.get(member_id, [])]


@dataclass
class InMemoryTimers:
    stored: list[StoredTimer] = field(default_factory=list)

    async def arm(self, timer: Timer, at: datetime) -> None:
        if any(s.timer.timer_id == timer.timer_id for s in self.stored):
            return
        for other in self.active(timer.member_id, timer.kind, timer.slot):
            other.cancelled_at = at
        self.stored.append(StoredTimer(timer, created_at=at))

    async def due(self, now: datetime, limit: int, kinds: frozenset[str]) -> list[Timer]:
        due = [
            s.timer
            for s in self.stored
            if s.active and s.timer.due_at <= now and s.timer.kind in kinds
        ]
        return sorted(due, key=lambda timer: timer.due_at)[:limit]

    async def mark_fired(self, timer_id: str, at: datetime) -> None:
        for stored in self.stored:
            if stored.timer.timer_id == timer_id:
                stored.fired_at = at

    def active(self, member_id: str, kind: str, slot: str = "") -> list[StoredTimer]:
        return [
            s
            for s in self.stored
            if s.active
            and s.timer.member_id == member_id
            and s.timer.kind == kind
            and s.timer.slot == slot
        ]


@dataclass
class InMemoryTouchpoints:
    log: dict[str, TouchpointRecord] = field(default_factory=dict)

    async def record(self, touchpoint: TouchpointRecord) -> bool:
        if touchpoint.touchpoint_id in self.log:
            return False
        self.log[touchpoint.touchpoint_id] = touchpoint
        return True

    async def resolve(
        self,
        touchpoint_id: str,
        status: Literal["delivered", "failed"],
        reason: str | None,
        at: datetime,
    ) -> bool:
        current = self.log.get(touchpoint_id)
        if current is None or current.status == "delivered":
            return False
        self.log[touchpoint_id] = replace(current, status=status, reason=reason, resolved_at=at)
        return True


class FakeJourneyUnitOfWork:
    """Everything one transaction would touch, kept across calls like a database would."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._journeys = InMemoryJourneys()
        self._timers = InMemoryTimers()
        self._touchpoints = InMemoryTouchpoints()
        self.emitted: list[tuple[DomainEvent, EventEnvelope]] = []

    @property
    def journeys(self) -> InMemoryJourneys:
        return self._journeys

    @property
    def timers(self) -> InMemoryTimers:
        return self._timers

    @property
    def touchpoints(self) -> InMemoryTouchpoints:
        return self._touchpoints

    @property
    def clock(self) -> Clock:
        return self._clock

    def emit(
        self, event: DomainEvent, *, brand_id: str, caused_by: EventEnvelope | None = None
    ) -> EventEnvelope:
        envelope = stamp(
            event,
            source="/rapport/journey",
            clock=self._clock,
            brand_id=brand_id,
            caused_by=caused_by,
        )
        self.emitted.append((event, envelope))
        return envelope

    def events(self, kind: type[E]) -> list[E]:
        return [event for event, _ in self.emitted if isinstance(event, kind)]

    def envelopes(self, kind: type[DomainEvent]) -> list[EventEnvelope]:
        return [envelope for event, envelope in self.emitted if isinstance(event, kind)]


class InMemoryJourneyReader:
    def __init__(self, uow: FakeJourneyUnitOfWork) -> None:
        self._uow = uow

    async def journey(self, member_id: str) -> JourneyView | None:
        journey = self._uow.journeys.rows.get(member_id)
        if journey is None:
            return None
        active = self._uow.timers.active(member_id, "dormancy")
        return JourneyView(
            journey=journey,
            dormant_after=active[0].timer.due_at if active else None,
            stage_history=list(self._uow.journeys.history.get(member_id, [])),
            touchpoints=sorted(
                (t for t in self._uow.touchpoints.log.values() if t.member_id == member_id),
                key=lambda t: t.requested_at,
            ),
        )

    async def stage_counts(self, brand_id: str, store_id: str | None) -> dict[Stage, int]:
        return dict(
            Counter(
                journey.stage
                for journey in self._uow.journeys.rows.values()
                if journey.brand_id == brand_id
                and journey.stage is not None
                and (store_id is None or journey.store_id == store_id)
            )
        )

    @asynccontextmanager
    async def opened(self) -> AsyncIterator[InMemoryJourneyReader]:
        yield self
