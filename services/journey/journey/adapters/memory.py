"""Journeys, timers and touchpoints in memory: the fakes unit tests run the application on.

They keep the contracts of the PostgreSQL adapters (``tests/contract/journey`` runs both):
one journey per member, one active timer per member, kind and slot, timer and touchpoint
ids recorded once, a delivery is final. Each unit of work works on a copy of the tables that
is put back only on a clean exit; units of work run one at a time, which is what the row
locks and ``SKIP LOCKED`` of PostgreSQL give the cases the contracts care about. Journeys
are copied in and out, so a caller sees only what was saved.
"""

from __future__ import annotations

import copy
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, cast

from rapport_events.clock import Clock
from rapport_events.contracts.journey import Stage
from rapport_events.directory import DirectoryTables, InMemoryDirectory
from rapport_events.uow import InMemoryDatabase, InMemoryUnitOfWork

from journey.application.ports import JourneyView, Outcome, TouchpointRecord
from journey.domain.journey import MemberJourney, StageChange
from journey.domain.rules import DORMANCY_TIMER
from journey.domain.timers import Timer


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
class JourneyTables:
    """Everything journey stores, as PostgreSQL's tables hold it."""

    journeys: dict[str, MemberJourney] = field(default_factory=dict)
    history: dict[str, list[StageChange]] = field(default_factory=dict)
    timers: dict[str, StoredTimer] = field(default_factory=dict)
    """By timer id, in the order they were armed."""
    touchpoints: dict[str, TouchpointRecord] = field(default_factory=dict)
    directory: DirectoryTables = field(default_factory=DirectoryTables)
    """The replica of identity's directory."""

    def stages(self, member_id: str) -> list[Stage]:
        """The stages she has moved to, oldest first."""
        return [change.to_stage for change in self.history.get(member_id, [])]

    def active_timers(self, member_id: str, kind: str, slot: str = "") -> list[StoredTimer]:
        return [
            stored
            for stored in self.timers.values()
            if stored.active
            and (stored.timer.member_id, stored.timer.kind, stored.timer.slot)
            == (member_id, kind, slot)
        ]


def journey_database() -> InMemoryDatabase:
    """An empty in-memory database with journey's tables."""
    return InMemoryDatabase(JourneyTables())


def tables_of(database: InMemoryDatabase) -> JourneyTables:
    """The committed tables of ``database``."""
    return cast(JourneyTables, database.tables)


class InMemoryJourneys:
    def __init__(self, tables: JourneyTables) -> None:
        self._tables = tables

    async def get(self, member_id: str) -> MemberJourney | None:
        journey = self._tables.journeys.get(member_id)
        return copy.deepcopy(journey) if journey is not None else None

    async def load(self, member_id: str, brand_id: str) -> MemberJourney:
        blank = MemberJourney(member_id=member_id, brand_id=brand_id)
        return copy.deepcopy(self._tables.journeys.setdefault(member_id, blank))

    async def save(self, journey: MemberJourney, changes: list[StageChange]) -> None:
        if journey.member_id not in self._tables.journeys:
            return  # as an UPDATE of a row nobody loaded
        self._tables.journeys[journey.member_id] = replace(
            copy.deepcopy(journey), pending_changes=[]
        )
        self._tables.history.setdefault(journey.member_id, []).extend(changes)


class InMemoryTimers:
    def __init__(self, tables: JourneyTables) -> None:
        self._tables = tables

    async def arm(self, timer: Timer, at: datetime) -> None:
        if timer.timer_id in self._tables.timers:
            return
        for other in self._tables.active_timers(timer.member_id, timer.kind, timer.slot):
            other.cancelled_at = at
        self._tables.timers[timer.timer_id] = StoredTimer(timer, created_at=at)

    async def due(self, now: datetime, limit: int, kinds: frozenset[str]) -> list[Timer]:
        # Like the join in PostgreSQL: a timer is only taken with its member's journey.
        due = [
            stored.timer
            for stored in self._tables.timers.values()
            if stored.active
            and stored.timer.due_at <= now
            and stored.timer.kind in kinds
            and stored.timer.member_id in self._tables.journeys
        ]
        return sorted(due, key=lambda timer: (timer.due_at, timer.timer_id))[:limit]

    async def mark_fired(self, timer_id: str, at: datetime) -> None:
        stored = self._tables.timers.get(timer_id)
        if stored is not None:
            stored.fired_at = at


class InMemoryTouchpoints:
    def __init__(self, tables: JourneyTables) -> None:
        self._tables = tables

    async def record(self, touchpoint: TouchpointRecord) -> bool:
        if touchpoint.touchpoint_id in self._tables.touchpoints:
            return False
        self._tables.touchpoints[touchpoint.touchpoint_id] = touchpoint
        return True

    async def resolve(
        self, touchpoint_id: str, member_id: str, status: Outcome, reason: str | None, at: datetime
    ) -> bool:
        current = self._tables.touchpoints.get(touchpoint_id)
        if current is None or current.member_id != member_id or current.status == "delivered":
            return False
        resolved = replace(current, status=status, reason=reason, resolved_at=at)
        self._tables.touchpoints[touchpoint_id] = resolved
        return True


class InMemoryJourneyViews:
    def __init__(self, tables: JourneyTables) -> None:
        self._tables = tables

    async def journey(self, member_id: str) -> JourneyView | None:
        journey = self._tables.journeys.get(member_id)
        if journey is None:
            return None
        dormancy = self._tables.active_timers(member_id, DORMANCY_TIMER)
        touchpoints = [t for t in self._tables.touchpoints.values() if t.member_id == member_id]
        return JourneyView(
            journey=copy.deepcopy(journey),
            dormant_after=dormancy[0].timer.due_at if dormancy else None,
            stage_history=list(self._tables.history.get(member_id, [])),
            touchpoints=sorted(touchpoints, key=lambda t: (t.requested_at, t.touchpoint_id)),
        )

    async def stage_counts(self, brand_id: str, store_id: str | None) -> dict[Stage, int]:
        return dict(
            Counter(
                journey.stage
                for journey in self._tables.journeys.values()
                if journey.brand_id == brand_id
                and journey.stage is not None
                and (store_id is None or journey.store_id == store_id)
            )
        )


class InMemoryJourneyUnitOfWork(InMemoryUnitOfWork):
    """The in-memory twin of :class:`~journey.adapters.postgres.PostgresJourneyUnitOfWork`."""

    journeys: InMemoryJourneys
    timers: InMemoryTimers
    touchpoints: InMemoryTouchpoints
    views: InMemoryJourneyViews
    directory: InMemoryDirectory

    def __init__(
        self, database: InMemoryDatabase, *, source: str = "/rapport/journey", clock: Clock
    ) -> None:
        super().__init__(database, source=source, clock=clock)

    def _bind(self, tables: Any) -> None:
        journey_tables = cast(JourneyTables, tables)
        self.journeys = InMemoryJourneys(journey_tables)
        self.timers = InMemoryTimers(journey_tables)
        self.touchpoints = InMemoryTouchpoints(journey_tables)
        self.views = InMemoryJourneyViews(journey_tables)
        self.directory = InMemoryDirectory(journey_tables.directory)
