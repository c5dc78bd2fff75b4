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
import json
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Final, cast

from rapport_events.clock import Clock
from rapport_events.contracts.journey import Stage
from rapport_events.directory import DirectoryTables, InMemoryDirectory
from rapport_events.uow import InMemoryDatabase, InMemoryUnitOfWork
from rapport_events.watermarks import InMemoryWatermarks

from journey.application.ports import (
    AssigneeTasks,
    Collected,
    DailyMoves,
    FigureScope,
    GoalConversion,
    GoalOutcome,
    JourneyView,
    MapRecord,
    MapStageMove,
    MapTimer,
    MapVersion,
    MemberPosition,
    Outcome,
    StageCount,
    Task,
    TaskFilter,
    TimelineLine,
    TimerCancelling,
    TouchpointRecord,
    Transition,
    WinBack,
)
from journey.domain.engine import Position
from journey.domain.facts import MemberEvent
from journey.domain.journey import MemberJourney, StageChange
from journey.domain.maps.defaults import DORMANCY_TRIGGER
from journey.domain.timers import Timer
from journey.settings import SERVICE_NAME


@dataclass
class StoredTimer:
    timer: Timer
    created_at: datetime
    map_key: str | None = None
    map_version: int | None = None
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
    maps: dict[tuple[str, str], MapRecord] = field(default_factory=dict)
    map_versions: dict[tuple[str, str], list[MapVersion]] = field(default_factory=dict)
    member_events: dict[str, tuple[MemberEvent, datetime]] = field(default_factory=dict)
    facts: dict[str, dict[str, Any]] = field(default_factory=dict)
    positions: dict[tuple[str, str], MemberPosition] = field(default_factory=dict)
    map_history: list[MapStageMove] = field(default_factory=list)
    timeline: list[TimelineLine] = field(default_factory=list)
    tasks: dict[str, Task] = field(default_factory=dict)
    goals: dict[str, GoalOutcome] = field(default_factory=dict)
    templates: dict[tuple[str, str], tuple[bool, datetime]] = field(default_factory=dict)
    watermarks: InMemoryWatermarks | None = None
    """The consumer's event-time watermarks; None in fakes that run no consumer, where
    nothing can be behind (:data:`NOTHING_BEHIND`)."""

    def stages(self, member_id: str) -> list[Stage]:
        """The stages she has moved to, oldest first."""
        return [change.to_stage for change in self.history.get(member_id, [])]

    def active_timers(
        self, member_id: str, kind: str, slot: str = "", map_key: str | None = None
    ) -> list[StoredTimer]:
        return [
            stored
            for stored in self.timers.values()
            if stored.active
            and (stored.timer.member_id, stored.timer.kind, stored.timer.slot, stored.map_key)
            == (member_id, kind, slot, map_key)
        ]


NOTHING_BEHIND: Final = datetime.max.replace(tzinfo=UTC)
"""The watermark of a fake without a consumer: every timer due by the clock may fire."""


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

    async def lock_many(self, brands: Mapping[str, str]) -> dict[str, MemberJourney]:
        return {member_id: await self.load(member_id, brands[member_id]) for member_id in brands}

    async def save_many(self, journeys: Sequence[MemberJourney]) -> None:
        for journey in journeys:
            await self.save(journey, [])

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
        self._arm(timer, at, None, None)

    async def arm_on_maps(self, timers: Sequence[MapTimer], at: datetime) -> None:
        for armed in timers:
            self._arm(armed.timer, at, armed.map_key, armed.map_version)

    def _arm(self, timer: Timer, at: datetime, map_key: str | None, version: int | None) -> None:
        if timer.timer_id in self._tables.timers:
            return
        for other in self._tables.active_timers(timer.member_id, timer.kind, timer.slot, map_key):
            other.cancelled_at = at
        self._tables.timers[timer.timer_id] = StoredTimer(timer, at, map_key, version)

    async def cancel_kind(
        self,
        member_id: str,
        kind: str,
        map_key: str | None,
        at: datetime,
        *,
        slot: str | None = None,
        armed_before: datetime | None = None,
    ) -> int:
        cancelled = 0
        for stored in self._tables.timers.values():
            timer = stored.timer
            if (
                stored.active
                and (timer.member_id, timer.kind, stored.map_key) == (member_id, kind, map_key)
                and slot in (None, timer.slot)
                and (armed_before is None or timer.armed_for < armed_before)
            ):
                stored.cancelled_at = at
                cancelled += 1
        return cancelled

    async def cancel_many(self, cancels: Sequence[TimerCancelling], at: datetime) -> None:
        for c in cancels:
            await self.cancel_kind(
                c.member_id, c.kind, c.map_key, at, slot=c.slot, armed_before=c.armed_before
            )

    def _due(self, now: datetime, on_maps: bool) -> list[StoredTimer]:
        # Like the join in PostgreSQL: a timer is only taken with its member's journey.
        due = [
            stored
            for stored in self._tables.timers.values()
            if stored.active
            and stored.timer.due_at <= now
            and (stored.map_key is not None) == on_maps
            and stored.timer.member_id in self._tables.journeys
        ]
        return sorted(due, key=lambda stored: (stored.timer.due_at, stored.timer.timer_id))

    async def due(self, now: datetime, limit: int, kinds: frozenset[str]) -> list[Timer]:
        due = [stored.timer for stored in self._due(now, False) if stored.timer.kind in kinds]
        return due[:limit]

    async def due_on_maps(self, now: datetime, limit: int) -> list[MapTimer]:
        return [
            MapTimer(stored.timer, stored.map_key or "", stored.map_version or 0)
            for stored in self._due(now, True)[:limit]
        ]

    async def mark_fired(self, timer_id: str, at: datetime) -> None:
        stored = self._tables.timers.get(timer_id)
        if stored is not None:
            stored.fired_at = at

    async def mark_fired_many(self, timer_ids: Sequence[str], at: datetime) -> None:
        for timer_id in timer_ids:
            await self.mark_fired(timer_id, at)


class InMemoryTouchpoints:
    def __init__(self, tables: JourneyTables) -> None:
        self._tables = tables

    async def record(self, touchpoint: TouchpointRecord) -> bool:
        if touchpoint.touchpoint_id in self._tables.touchpoints:
            return False
        self._tables.touchpoints[touchpoint.touchpoint_id] = touchpoint
        return True

    async def record_many(self, touchpoints: Sequence[TouchpointRecord]) -> list[str]:
        return [t.touchpoint_id for t in touchpoints if await self.record(t)]

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
        dormancy = self._tables.active_timers(
            member_id, DORMANCY_TRIGGER, map_key="lifecycle"
        ) + self._tables.active_timers(member_id, DORMANCY_TRIGGER)
        touchpoints = [t for t in self._tables.touchpoints.values() if t.member_id == member_id]
        return JourneyView(
            journey=copy.deepcopy(journey),
            dormant_after=dormancy[0].timer.due_at if dormancy else None,
            stage_history=sorted(
                [
                    *self._tables.history.get(member_id, []),
                    *(
                        StageChange(move.from_stage, move.to_stage, move.reason, move.at)
                        for move in self._tables.map_history
                        if move.member_id == member_id and move.map_key == "lifecycle"
                    ),
                ],
                key=lambda change: change.at,
            ),
            touchpoints=sorted(touchpoints, key=lambda t: (t.requested_at, t.touchpoint_id)),
        )

    async def member(self, member_id: str) -> MemberJourney | None:
        return copy.deepcopy(self._tables.journeys.get(member_id))

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


class InMemoryMaps:
    def __init__(self, tables: JourneyTables) -> None:
        self._tables = tables

    async def save_draft(
        self,
        brand_id: str,
        key: str,
        title: str,
        document: Mapping[str, Any],
        at: datetime,
        by: str,
    ) -> MapRecord:
        current = self._tables.maps.get((brand_id, key))
        saved = MapRecord(
            brand_id=brand_id,
            key=key,
            title=title,
            draft=copy.deepcopy(dict(document)),
            draft_saved_at=at,
            draft_saved_by=by,
            active_version=current.active_version if current else None,
        )
        self._tables.maps[(brand_id, key)] = saved
        return self._with_latest(saved)

    def _with_latest(self, record: MapRecord) -> MapRecord:
        versions = self._tables.map_versions.get((record.brand_id, record.key), [])
        return replace(copy.deepcopy(record), latest_version=len(versions))

    async def get(self, brand_id: str, key: str) -> MapRecord | None:
        record = self._tables.maps.get((brand_id, key))
        return self._with_latest(record) if record is not None else None

    async def lock(self, brand_id: str, key: str) -> MapRecord | None:
        return await self.get(brand_id, key)

    async def page(self, brand_id: str, after: str | None, limit: int) -> list[MapRecord]:
        keys = sorted(
            key
            for brand, key in self._tables.maps
            if brand == brand_id and (after is None or key > after)
        )
        return [self._with_latest(self._tables.maps[(brand_id, key)]) for key in keys[:limit]]

    async def publish(
        self,
        brand_id: str,
        key: str,
        document: Mapping[str, Any],
        title: str,
        at: datetime,
        by: str,
        republished_from: int | None = None,
    ) -> MapVersion:
        record = self._tables.maps[(brand_id, key)]
        versions = self._tables.map_versions.setdefault((brand_id, key), [])
        published = MapVersion(
            brand_id=brand_id,
            key=key,
            version=len(versions) + 1,
            title=title,
            document=copy.deepcopy(dict(document)),
            published_at=at,
            published_by=by,
            republished_from=republished_from,
        )
        versions.append(published)
        self._tables.maps[(brand_id, key)] = replace(record, active_version=published.version)
        return copy.deepcopy(published)

    async def version(self, brand_id: str, key: str, version: int) -> MapVersion | None:
        versions = self._tables.map_versions.get((brand_id, key), [])
        found = next((v for v in versions if v.version == version), None)
        return copy.deepcopy(found)

    async def versions(self, brand_id: str, key: str) -> list[MapVersion]:
        return copy.deepcopy(self._tables.map_versions.get((brand_id, key), []))

    async def active(self, brand_id: str) -> list[MapVersion]:
        running = []
        for (brand, key), record in sorted(self._tables.maps.items()):
            if brand == brand_id and record.active_version is not None:
                found = await self.version(brand, key, record.active_version)
                if found is not None:
                    running.append(found)
        return running


def _event_order(event: MemberEvent) -> tuple[datetime, str]:
    return (event.at, event.event_id)


class InMemoryMemberEvents:
    def __init__(self, tables: JourneyTables) -> None:
        self._tables = tables

    async def add(self, events: Sequence[MemberEvent], recorded_at: datetime) -> list[str]:
        added = []
        for event in events:
            if event.event_id not in self._tables.member_events:
                self._tables.member_events[event.event_id] = (copy.deepcopy(event), recorded_at)
                added.append(event.event_id)
        return added

    async def page(
        self,
        brand_id: str,
        member_id: str | None,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> list[MemberEvent]:
        matching = sorted(
            (
                event
                for event, _ in self._tables.member_events.values()
                if event.brand_id == brand_id
                and (member_id is None or event.member_id == member_id)
                and (after is None or _event_order(event) > after)
            ),
            key=_event_order,
        )
        return copy.deepcopy(matching[:limit])


class InMemoryFactSnapshots:
    def __init__(self, tables: JourneyTables) -> None:
        self._tables = tables

    async def load(self, member_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        return {
            member_id: copy.deepcopy(self._tables.facts[member_id])
            for member_id in member_ids
            if member_id in self._tables.facts
        }

    async def save(self, snapshots: Mapping[str, Mapping[str, Any]]) -> None:
        for member_id, snapshot in snapshots.items():
            if member_id in self._tables.journeys:  # as an UPDATE of her journey row
                # Through JSON, as jsonb stores it: what comes back is what PostgreSQL gives.
                self._tables.facts[member_id] = json.loads(json.dumps(dict(snapshot)))


class InMemoryPositions:
    def __init__(self, tables: JourneyTables) -> None:
        self._tables = tables

    async def load(self, member_ids: Sequence[str]) -> dict[str, dict[str, Position]]:
        wanted = set(member_ids)
        loaded: dict[str, dict[str, Position]] = defaultdict(dict)
        for (member_id, map_key), stored in self._tables.positions.items():
            if member_id in wanted:
                loaded[member_id][map_key] = copy.deepcopy(stored.position)
        return dict(loaded)

    async def save(self, positions: Sequence[MemberPosition]) -> None:
        for stored in positions:
            key = (stored.member_id, stored.position.map_key)
            self._tables.positions[key] = copy.deepcopy(stored)


class InMemoryStageHistory:
    def __init__(self, tables: JourneyTables) -> None:
        self._tables = tables

    async def append(self, moves: Sequence[MapStageMove]) -> None:
        self._tables.map_history.extend(moves)


class InMemoryTimeline:
    def __init__(self, tables: JourneyTables) -> None:
        self._tables = tables

    async def append(self, lines: Sequence[TimelineLine]) -> None:
        for line in lines:
            numbered = replace(line, id=len(self._tables.timeline) + 1)
            self._tables.timeline.append(copy.deepcopy(numbered))

    async def page(
        self, member_id: str, after: tuple[datetime, int] | None, limit: int
    ) -> list[TimelineLine]:
        lines = sorted(
            (
                line
                for line in self._tables.timeline
                if line.member_id == member_id and (after is None or (line.at, line.id) > after)
            ),
            key=lambda line: (line.at, line.id),
        )
        return copy.deepcopy(lines[:limit])


class InMemoryTasks:
    def __init__(self, tables: JourneyTables) -> None:
        self._tables = tables

    async def add(self, tasks: Sequence[Task]) -> list[str]:
        added = []
        for task in tasks:
            if task.task_id not in self._tables.tasks:
                self._tables.tasks[task.task_id] = copy.deepcopy(task)
                added.append(task.task_id)
        return added

    async def get(self, task_id: str) -> Task | None:
        return copy.deepcopy(self._tables.tasks.get(task_id))

    async def save(self, task: Task) -> None:
        current = self._tables.tasks.get(task.task_id)
        if current is not None:
            self._tables.tasks[task.task_id] = replace(
                current,
                status=task.status,
                postponed_until=task.postponed_until,
                outcome=task.outcome,
                assignee_id=task.assignee_id,
                closed_at=task.closed_at,
            )

    async def page(
        self, where: TaskFilter, after: tuple[datetime, int, str] | None, limit: int
    ) -> list[Task]:
        matching = sorted(
            (
                task
                for task in self._tables.tasks.values()
                if task.brand_id == where.brand_id
                and (where.store_id is None or task.store_id == where.store_id)
                and (where.assignee_id is None or task.assignee_id == where.assignee_id)
                and (where.status is None or task.status == where.status)
                and (after is None or task.urgency > after)
            ),
            key=lambda task: task.urgency,
        )
        return copy.deepcopy(matching[:limit])

    async def reassign_open(self, member_id: str, assignee_id: str) -> int:
        moved = 0
        for task_id, task in self._tables.tasks.items():
            if (
                task.member_id == member_id
                and task.status == "open"
                and (task.audience == "associate")
            ):
                self._tables.tasks[task_id] = replace(task, assignee_id=assignee_id)
                moved += 1
        return moved


class InMemoryGoalOutcomes:
    def __init__(self, tables: JourneyTables) -> None:
        self._tables = tables

    async def open(self, goals: Sequence[GoalOutcome]) -> None:
        for goal in goals:
            self._tables.goals.setdefault(goal.touchpoint_id, goal)

    async def reach(self, touchpoint_ids: Sequence[str], at: datetime) -> int:
        reached = 0
        for touchpoint_id in touchpoint_ids:
            goal = self._tables.goals.get(touchpoint_id)
            if goal is not None and goal.reached_at is None and at <= goal.deadline:
                self._tables.goals[touchpoint_id] = replace(goal, reached_at=at)
                reached += 1
        return reached


class InMemoryFigures:
    def __init__(self, tables: JourneyTables) -> None:
        self._tables = tables

    def _members(self, scope: FigureScope) -> set[str]:
        """Her journey places her in the scope: her brand, home store and associate."""
        return {
            journey.member_id
            for journey in self._tables.journeys.values()
            if journey.brand_id == scope.brand_id
            and (scope.store_id is None or journey.store_id == scope.store_id)
            and (scope.associate_id is None or journey.associate_id == scope.associate_id)
        }

    async def stage_counts(self, scope: FigureScope) -> list[StageCount]:
        members = self._members(scope)
        counted = Counter(
            (stored.position.map_key, stored.position.stage)
            for stored in self._tables.positions.values()
            if stored.member_id in members
            and stored.brand_id == scope.brand_id
            and stored.position.exited_at is None
            and stored.position.stage is not None
        )
        return [
            StageCount(map_key, stage, count)
            for (map_key, stage), count in sorted(counted.items())
            if stage is not None
        ]

    async def transitions(
        self, scope: FigureScope, since: datetime, until: datetime
    ) -> list[Transition]:
        members = self._members(scope)
        moves: dict[tuple[str, str | None, str], list[str]] = defaultdict(list)
        for move in self._tables.map_history:
            if move.member_id in members and since <= move.at < until:
                moves[(move.map_key, move.from_stage, move.to_stage)].append(move.member_id)
        return [
            Transition(map_key, from_stage, to_stage, len(set(who)), len(who))
            for (map_key, from_stage, to_stage), who in sorted(
                moves.items(), key=lambda item: (item[0][0], item[0][1] or "", item[0][2])
            )
        ]

    async def daily_moves(self, scope: FigureScope, until: datetime) -> list[DailyMoves]:
        members = self._members(scope)
        counted = Counter(
            (move.at.astimezone(UTC).date(), move.map_key, move.from_stage, move.to_stage)
            for move in self._tables.map_history
            if move.member_id in members and move.brand_id == scope.brand_id and move.at < until
        )
        return [
            DailyMoves(day, map_key, from_stage, to_stage, moves)
            for (day, map_key, from_stage, to_stage), moves in sorted(
                counted.items(),
                key=lambda item: (item[0][0], item[0][1], item[0][2] or "", item[0][3]),
            )
        ]

    async def goal_conversions(
        self, scope: FigureScope, since: datetime, until: datetime
    ) -> list[GoalConversion]:
        opened: Counter[tuple[str, str]] = Counter()
        reached: Counter[tuple[str, str]] = Counter()
        for goal in self._tables.goals.values():
            if (
                goal.brand_id == scope.brand_id
                and (scope.store_id is None or goal.store_id == scope.store_id)
                and (scope.associate_id is None or goal.associate_id == scope.associate_id)
                and since <= goal.opened_at < until
            ):
                opened[(goal.map_key, goal.trigger)] += 1
                reached[(goal.map_key, goal.trigger)] += goal.reached_at is not None
        return [
            GoalConversion(map_key, trigger, count, reached[(map_key, trigger)])
            for (map_key, trigger), count in sorted(opened.items())
        ]

    async def win_backs(
        self,
        scope: FigureScope,
        since: datetime,
        until: datetime,
        dormant_stage: str,
        returned_stage: str,
        activity_kind: str,
    ) -> list[WinBack]:
        members = self._members(scope)
        dormant_since: dict[tuple[str, str], datetime] = {}
        for move in self._tables.map_history:
            key = (move.map_key, move.member_id)
            if (
                move.member_id in members
                and move.to_stage == dormant_stage
                and since <= move.at < until
                and (key not in dormant_since or move.at < dormant_since[key])
            ):
                dormant_since[key] = move.at
        became: Counter[str] = Counter()
        returned: Counter[str] = Counter()
        for (map_key, member_id), at in dormant_since.items():
            became[map_key] += 1
            returned[map_key] += self._returned(
                map_key, member_id, at, returned_stage, activity_kind
            )
        return [WinBack(key, count, returned[key]) for key, count in sorted(became.items())]

    def _returned(
        self, map_key: str, member_id: str, after: datetime, stage: str, activity_kind: str
    ) -> bool:
        moved = any(
            move.map_key == map_key
            and move.member_id == member_id
            and move.to_stage == stage
            and move.at > after
            for move in self._tables.map_history
        )
        return moved or any(
            event.member_id == member_id and event.kind == activity_kind and event.at > after
            for event, _ in self._tables.member_events.values()
        )

    async def tasks_per_assignee(self, scope: FigureScope, now: datetime) -> list[AssigneeTasks]:
        open_tasks: Counter[str] = Counter()
        overdue: Counter[str] = Counter()
        for task in self._tables.tasks.values():
            if (
                task.brand_id == scope.brand_id
                and task.status == "open"
                and (scope.store_id is None or task.store_id == scope.store_id)
                and (scope.associate_id is None or task.assignee_id == scope.associate_id)
            ):
                open_tasks[task.assignee_id] += 1
                overdue[task.assignee_id] += task.due_by < now
        return [
            AssigneeTasks(assignee, count, overdue[assignee])
            for assignee, count in sorted(open_tasks.items())
        ]


class InMemoryTemplateReplica:
    def __init__(self, tables: JourneyTables) -> None:
        self._tables = tables

    async def remember(self, brand_id: str, key: str, is_task: bool, saved_at: datetime) -> None:
        known = self._tables.templates.get((brand_id, key))
        if known is None or known[1] <= saved_at:
            self._tables.templates[(brand_id, key)] = (is_task, saved_at)

    async def of(self, brand_id: str) -> dict[str, bool]:
        return {
            key: is_task
            for (brand, key), (is_task, _) in self._tables.templates.items()
            if brand == brand_id
        }


class InMemoryJourneyUnitOfWork(InMemoryUnitOfWork):
    """The in-memory twin of :class:`~journey.adapters.postgres.PostgresJourneyUnitOfWork`."""

    journeys: InMemoryJourneys
    timers: InMemoryTimers
    touchpoints: InMemoryTouchpoints
    views: InMemoryJourneyViews
    directory: InMemoryDirectory
    maps: InMemoryMaps
    member_events: InMemoryMemberEvents
    facts: InMemoryFactSnapshots
    positions: InMemoryPositions
    stage_history: InMemoryStageHistory
    timeline: InMemoryTimeline
    tasks: InMemoryTasks
    goals: InMemoryGoalOutcomes
    figures: InMemoryFigures
    collected: Collected
    templates: InMemoryTemplateReplica

    async def event_time_watermark(self) -> datetime | None:
        tables = cast(JourneyTables, self.tables)
        if tables.watermarks is None:
            return NOTHING_BEHIND
        return tables.watermarks.event_time_watermark(SERVICE_NAME)

    def __init__(
        self, database: InMemoryDatabase, *, source: str = "/rapport/journey", clock: Clock
    ) -> None:
        super().__init__(database, source=source, clock=clock)

    def _bind(self, tables: Any) -> None:
        journey_tables = cast(JourneyTables, tables)
        self.collected = Collected()
        self.templates = InMemoryTemplateReplica(journey_tables)
        self.journeys = InMemoryJourneys(journey_tables)
        self.timers = InMemoryTimers(journey_tables)
        self.touchpoints = InMemoryTouchpoints(journey_tables)
        self.views = InMemoryJourneyViews(journey_tables)
        self.directory = InMemoryDirectory(journey_tables.directory)
        self.maps = InMemoryMaps(journey_tables)
        self.member_events = InMemoryMemberEvents(journey_tables)
        self.facts = InMemoryFactSnapshots(journey_tables)
        self.positions = InMemoryPositions(journey_tables)
        self.stage_history = InMemoryStageHistory(journey_tables)
        self.timeline = InMemoryTimeline(journey_tables)
        self.tasks = InMemoryTasks(journey_tables)
        self.goals = InMemoryGoalOutcomes(journey_tables)
        self.figures = InMemoryFigures(journey_tables)
