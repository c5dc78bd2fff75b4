"""What the application needs from storage; PostgreSQL and in-memory adapters implement it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal, Protocol

from rapport_events.contracts.journey import Stage
from rapport_events.directory import Directory
from rapport_events.envelope import EventEnvelope
from rapport_events.uow import UnitOfWorkPort

from journey.domain.engine import Position
from journey.domain.facts import MemberEvent
from journey.domain.journey import MemberJourney, StageChange
from journey.domain.timers import Timer

TouchpointStatus = Literal["requested", "delivered", "failed", "capped", "held", "skipped"]
Outcome = Literal["delivered", "failed", "capped", "held", "skipped"]
"""What can become of a requested touchpoint: only a delivery is final."""


@dataclass(frozen=True)
class TouchpointRecord:
    """One line of a member's touchpoint log."""

    touchpoint_id: str
    member_id: str
    brand_id: str
    template: str
    channel: str
    status: TouchpointStatus
    requested_at: datetime
    reason: str | None = None
    resolved_at: datetime | None = None
    map_key: str | None = None
    """The map whose trigger asked for it; None for the old rulebook's."""
    trigger: str | None = None


class Journeys(Protocol):
    async def load(self, member_id: str, brand_id: str) -> MemberJourney:
        """Her journey, locked until the transaction ends; a blank one if she is unknown.

        Two first events about one member handled side by side (a registration and a visit
        from different topics) must not both start a journey: the second waits for the first.
        """
        ...

    async def get(self, member_id: str) -> MemberJourney | None:
        """Her journey, locked until the transaction ends."""
        ...

    async def save(self, journey: MemberJourney, changes: list[StageChange]) -> None:
        """Store the journey and append ``changes`` to its stage history."""
        ...

    async def lock_many(self, brands: Mapping[str, str]) -> dict[str, MemberJourney]:
        """The journeys of these members (member id to the brand a new one starts in),
        created where missing and locked in member order until the transaction ends."""
        ...

    async def save_many(self, journeys: Sequence[MemberJourney]) -> None:
        """Store these journeys' profile, figures and stage in one statement."""
        ...


@dataclass(frozen=True)
class MapTimer:
    """A timer a map armed: the engine's trigger key is its kind, and it belongs to the map
    version the member stood on when it was armed."""

    timer: Timer
    map_key: str
    map_version: int


@dataclass(frozen=True)
class TimerCancelling:
    """Active timers of a member to call off (see :meth:`Timers.cancel_kind`)."""

    member_id: str
    kind: str
    map_key: str | None
    slot: str | None = None
    armed_before: datetime | None = None


class Timers(Protocol):
    async def arm(self, timer: Timer, at: datetime) -> None:
        """Arm ``timer`` (the old rulebook's: no map), cancelling the member's other active
        timer of its kind and slot outside any map.

        Arming a timer id that already exists changes nothing.
        """
        ...

    async def arm_on_maps(self, timers: Sequence[MapTimer], at: datetime) -> None:
        """Arm map timers in a few statements, each cancelling the member's other active
        timer of its map, kind and slot; ids already known are left as they are. The
        caller holds the members' journeys, which serialises arming per member."""
        ...

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
        """Call off the member's active timers of ``kind`` on ``map_key`` (None: armed
        outside any map): of ``slot`` only, or every slot; and only those armed for an
        instant before ``armed_before`` when it is given. How many there were."""
        ...

    async def cancel_many(self, cancels: Sequence[TimerCancelling], at: datetime) -> None:
        """:meth:`cancel_kind` for many at once, in one statement."""
        ...

    async def due(self, now: datetime, limit: int, kinds: frozenset[str]) -> list[Timer]:
        """Active timers of ``kinds`` armed outside any map, due by ``now``, earliest first,
        locked together with their journeys until the transaction ends; those another
        transaction holds are skipped, so two workers never take the same timer."""
        ...

    async def due_on_maps(self, now: datetime, limit: int) -> list[MapTimer]:
        """Active map timers due by ``now``, earliest first, locked like :meth:`due`."""
        ...

    async def mark_fired(self, timer_id: str, at: datetime) -> None: ...

    async def mark_fired_many(self, timer_ids: Sequence[str], at: datetime) -> None: ...


class Touchpoints(Protocol):
    async def record(self, touchpoint: TouchpointRecord) -> bool:
        """Add a requested touchpoint to the log; False when its id is already there."""
        ...

    async def record_many(self, touchpoints: Sequence[TouchpointRecord]) -> list[str]:
        """Add these to the log in one statement; the ids that were new, in order."""
        ...

    async def resolve(
        self, touchpoint_id: str, member_id: str, status: Outcome, reason: str | None, at: datetime
    ) -> bool:
        """Record the notifier's outcome on the member's touchpoint; a delivery is final, a
        failure may still be followed by a delivery. False when nothing changed (unknown,
        another member's, or already delivered)."""
        ...


@dataclass(frozen=True)
class JourneyView:
    journey: MemberJourney
    dormant_after: datetime | None
    """Due time of her active dormancy timer."""
    stage_history: list[StageChange]
    touchpoints: list[TouchpointRecord]


class JourneyViews(Protocol):
    """The read side behind the HTTP API (no locks)."""

    async def journey(self, member_id: str) -> JourneyView | None:
        """Her journey with its stage history (oldest first), the due time of her active
        dormancy timer and her touchpoints (by request time, then id)."""
        ...

    async def stage_counts(self, brand_id: str, store_id: str | None) -> dict[Stage, int]:
        """Members per stage; members seen but not yet placed on the map are left out."""
        ...

    async def member(self, member_id: str) -> MemberJourney | None:
        """Her journey alone (no locks): what scoping a read about her needs."""
        ...


# ----------------------------------------------------------------------------- maps


@dataclass(frozen=True)
class MapVersion:
    """A published version of a map: immutable once written."""

    brand_id: str
    key: str
    version: int
    title: str
    document: Mapping[str, Any]
    published_at: datetime
    published_by: str
    republished_from: int | None = None
    """The earlier version whose document this one publishes again (a rollback)."""


@dataclass(frozen=True)
class MapRecord:
    """A brand's map: its draft, and which of its versions runs."""

    brand_id: str
    key: str
    title: str
    draft: Mapping[str, Any] | None
    draft_saved_at: datetime | None
    draft_saved_by: str | None
    active_version: int | None
    """None before the first publication."""
    latest_version: int = 0
    """The highest version published (0: none)."""


class Maps(Protocol):
    async def save_draft(
        self,
        brand_id: str,
        key: str,
        title: str,
        document: Mapping[str, Any],
        at: datetime,
        by: str,
    ) -> MapRecord:
        """Create the map or replace its draft; published versions are untouched."""
        ...

    async def get(self, brand_id: str, key: str) -> MapRecord | None: ...

    async def lock(self, brand_id: str, key: str) -> MapRecord | None:
        """The map, locked until the transaction ends: publications of one map queue here."""
        ...

    async def page(self, brand_id: str, after: str | None, limit: int) -> list[MapRecord]:
        """The brand's maps by key, those after ``after``."""
        ...

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
        """Write the next version of a map the caller has :meth:`lock`-ed and make it the
        active one."""
        ...

    async def version(self, brand_id: str, key: str, version: int) -> MapVersion | None: ...

    async def versions(self, brand_id: str, key: str) -> list[MapVersion]:
        """Every published version, oldest first."""
        ...

    async def active(self, brand_id: str) -> list[MapVersion]:
        """The version each map of the brand runs, by key (maps never published left out)."""
        ...


# ----------------------------------------------------------------------------- engine state


class MemberEvents(Protocol):
    """The journey's own record of the member events it consumed."""

    async def add(self, events: Sequence[MemberEvent], recorded_at: datetime) -> list[str]:
        """Record the events not recorded yet (by event id), in one statement; the ids of
        those that were new, in the order given."""
        ...

    async def page(
        self,
        brand_id: str,
        member_id: str | None,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> list[MemberEvent]:
        """The brand's (or one member's) events in event time, then id, after ``after``."""
        ...


async def replay(
    events: MemberEvents, brand_id: str, member_id: str | None = None, page_size: int = 1000
) -> AsyncIterator[MemberEvent]:
    """Every recorded event of the brand (or of one member) in event-time order, page by
    page, so a replay of a year of history holds one page in memory."""
    after: tuple[datetime, str] | None = None
    while True:
        page = await events.page(brand_id, member_id, after, page_size)
        for event in page:
            yield event
        if len(page) < page_size:
            return
        after = (page[-1].at, page[-1].event_id)


class FactSnapshots(Protocol):
    """A snapshot of each member's facts, kept on her journey row."""

    async def load(self, member_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The snapshots of those members who have one."""
        ...

    async def save(self, snapshots: Mapping[str, Mapping[str, Any]]) -> None:
        """Replace the snapshots of members whose journey exists, in one statement."""
        ...


@dataclass(frozen=True)
class MemberPosition:
    member_id: str
    brand_id: str
    position: Position


class Positions(Protocol):
    """Each member's position on each map (her stage, version, open goals)."""

    async def load(self, member_ids: Sequence[str]) -> dict[str, dict[str, Position]]:
        """Positions of those members by member, then map key, in one query."""
        ...

    async def save(self, positions: Sequence[MemberPosition]) -> None:
        """Insert or replace these positions in one statement."""
        ...


@dataclass(frozen=True)
class MapStageMove:
    """A line of her stage history on a map."""

    member_id: str
    brand_id: str
    map_key: str
    from_stage: str | None
    to_stage: str
    reason: str
    at: datetime


class StageHistory(Protocol):
    async def append(self, moves: Sequence[MapStageMove]) -> None:
        """Append map stage moves in one statement."""
        ...


# ----------------------------------------------------------------------------- timeline

TimelineKindName = str
"""The engine's kinds (``stage_changed``, ``trigger_fired``...) and the application's
(``task_created``, ``task_done``, ``touchpoint_capped``...)."""


@dataclass(frozen=True)
class TimelineLine:
    brand_id: str
    member_id: str
    at: datetime
    kind: TimelineKindName
    rule: str
    reason: str
    store_id: str | None = None
    associate_id: str | None = None
    map_key: str | None = None
    version: int | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)
    id: int = 0
    """Given by the store on append; orders lines of the same instant."""


class Timeline(Protocol):
    async def append(self, lines: Sequence[TimelineLine]) -> None:
        """Append in one statement, numbered in the order given."""
        ...

    async def page(
        self, member_id: str, after: tuple[datetime, int] | None, limit: int
    ) -> list[TimelineLine]:
        """Her lines by time, then id, after ``after``."""
        ...


# ----------------------------------------------------------------------------- tasks

TaskAudience = Literal["associate", "store_manager"]
TaskStatus = Literal["open", "done", "cancelled"]
TaskPriority = Literal["low", "normal", "high", "urgent"]
PRIORITY_ORDER: Mapping[str, int] = {"urgent": 0, "high": 1, "normal": 2, "low": 3}
"""How a priority sorts in a task list: the most urgent first."""


@dataclass(frozen=True)
class Task:
    """A staff touchpoint: the task of an associate, or an alert of a store manager."""

    task_id: str
    """The touchpoint's id."""
    brand_id: str
    member_id: str
    store_id: str | None
    assignee_id: str
    audience: TaskAudience
    template: str
    map_key: str
    version: int
    trigger: str
    priority: TaskPriority
    due_at: datetime
    created_at: datetime
    status: TaskStatus = "open"
    postponed_until: datetime | None = None
    outcome: str | None = None
    suggestion: Mapping[str, Any] | None = None
    """What its "send" action sends the member: template, category, variables."""
    closed_at: datetime | None = None

    @property
    def due_by(self) -> datetime:
        """When it is due now: its postponement, if any, replaces its due time."""
        return self.postponed_until or self.due_at

    @property
    def urgency(self) -> tuple[datetime, int, str]:
        """The sort key of a task list (and its cursor)."""
        return (self.due_by, PRIORITY_ORDER[self.priority], self.task_id)


@dataclass(frozen=True)
class TaskFilter:
    brand_id: str
    store_id: str | None = None
    assignee_id: str | None = None
    status: TaskStatus | None = None


class Tasks(Protocol):
    async def add(self, tasks: Sequence[Task]) -> list[str]:
        """Add the tasks whose ids are new, in one statement; their ids."""
        ...

    async def get(self, task_id: str) -> Task | None:
        """The task, locked until the transaction ends."""
        ...

    async def save(self, task: Task) -> None:
        """Store its status, postponement, outcome, assignee and closing time."""
        ...

    async def page(
        self, where: TaskFilter, after: tuple[datetime, int, str] | None, limit: int
    ) -> list[Task]:
        """Tasks matching ``where`` by urgency (:attr:`Task.urgency`), after ``after``."""
        ...

    async def reassign_open(self, member_id: str, assignee_id: str) -> int:
        """Hand her open associate tasks to ``assignee_id``; how many moved."""
        ...


# ----------------------------------------------------------------------------- goals


@dataclass(frozen=True)
class GoalOutcome:
    touchpoint_id: str
    brand_id: str
    map_key: str
    version: int
    trigger: str
    member_id: str
    store_id: str | None
    associate_id: str | None
    opened_at: datetime
    deadline: datetime
    reached_at: datetime | None = None


class GoalOutcomes(Protocol):
    async def open(self, goals: Sequence[GoalOutcome]) -> None:
        """Record goals being watched (known touchpoint ids left as they are)."""
        ...

    async def reach(self, touchpoint_ids: Sequence[str], at: datetime) -> int:
        """Mark them reached at ``at`` where not reached yet and ``at`` is by the deadline;
        how many were."""
        ...


# ----------------------------------------------------------------------------- figures


@dataclass(frozen=True)
class FigureScope:
    """Whose figures: a brand, narrowed to a store or an associate."""

    brand_id: str
    store_id: str | None = None
    associate_id: str | None = None


@dataclass(frozen=True)
class StageCount:
    map_key: str
    stage: str
    members: int


@dataclass(frozen=True)
class Transition:
    map_key: str
    from_stage: str | None
    to_stage: str
    members: int
    moves: int


@dataclass(frozen=True)
class DailyMoves:
    """Stage moves of one day (UTC) on one map, from one stage to another."""

    day: date
    map_key: str
    from_stage: str | None
    to_stage: str
    moves: int


@dataclass(frozen=True)
class StageDay:
    """How many members stood on ``stage`` of ``map_key`` at the end of ``day`` (UTC)."""

    day: date
    map_key: str
    stage: str
    members: int


@dataclass(frozen=True)
class GoalConversion:
    map_key: str
    trigger: str
    opened: int
    reached: int


@dataclass(frozen=True)
class WinBack:
    map_key: str
    became_dormant: int
    returned: int


@dataclass(frozen=True)
class AssigneeTasks:
    assignee_id: str
    open: int
    overdue: int


class Figures(Protocol):
    """Aggregates for HQ, each one query."""

    async def stage_counts(self, scope: FigureScope) -> list[StageCount]:
        """Members standing on each stage of each map now (exited members left out)."""
        ...

    async def transitions(
        self, scope: FigureScope, since: datetime, until: datetime
    ) -> list[Transition]:
        """Map stage moves in ``[since, until)``, per map and pair of stages."""
        ...

    async def daily_moves(self, scope: FigureScope, until: datetime) -> list[DailyMoves]:
        """Every stage move before ``until`` of the members in scope, counted per day, map
        and (from, to): what members per stage over time are summed from."""
        ...

    async def goal_conversions(
        self, scope: FigureScope, since: datetime, until: datetime
    ) -> list[GoalConversion]:
        """Goals opened in ``[since, until)`` and how many of them were reached."""
        ...

    async def win_backs(
        self,
        scope: FigureScope,
        since: datetime,
        until: datetime,
        dormant_stage: str,
        returned_stage: str,
        activity_kind: str,
    ) -> list[WinBack]:
        """Per map, members who moved to ``dormant_stage`` in ``[since, until)``, and how
        many of them later moved to ``returned_stage`` or had an ``activity_kind`` event."""
        ...

    async def tasks_per_assignee(self, scope: FigureScope, now: datetime) -> list[AssigneeTasks]:
        """Open tasks per assignee and how many are overdue at ``now``."""
        ...


class TemplateReplica(Protocol):
    """Which templates each brand saved in the notifier (fed by ``TemplateSaved``)."""

    async def remember(self, brand_id: str, key: str, is_task: bool, saved_at: datetime) -> None:
        """Insert or replace; an older save than the one known changes nothing."""
        ...

    async def of(self, brand_id: str) -> dict[str, bool]:
        """The brand's own templates, each with whether it is a staff task."""
        ...


@dataclass
class Collected:
    """The member events one consumer transaction's handlers collected, each with the
    envelope it came in, for the batch's placement (see ``application/placement.py``)."""

    events: list[tuple[MemberEvent, EventEnvelope]] = field(default_factory=list)

    def take(self) -> list[tuple[MemberEvent, EventEnvelope]]:
        taken, self.events = self.events, []
        return taken


class JourneyUnitOfWork(UnitOfWorkPort, Protocol):
    """The repositories, the replica of identity's directory and the event outbox of one
    transaction."""

    @property
    def collected(self) -> Collected: ...

    @property
    def templates(self) -> TemplateReplica: ...

    async def event_time_watermark(self) -> datetime | None:
        """How far in event time the consumer has read every partition; None before it
        has read any (see ``rapport_events.watermarks``)."""
        ...

    @property
    def journeys(self) -> Journeys: ...

    @property
    def timers(self) -> Timers: ...

    @property
    def touchpoints(self) -> Touchpoints: ...

    @property
    def views(self) -> JourneyViews: ...

    @property
    def directory(self) -> Directory: ...

    @property
    def maps(self) -> Maps: ...

    @property
    def member_events(self) -> MemberEvents: ...

    @property
    def facts(self) -> FactSnapshots: ...

    @property
    def positions(self) -> Positions: ...

    @property
    def stage_history(self) -> StageHistory: ...

    @property
    def timeline(self) -> Timeline: ...

    @property
    def tasks(self) -> Tasks: ...

    @property
    def goals(self) -> GoalOutcomes: ...

    @property
    def figures(self) -> Figures: ...
