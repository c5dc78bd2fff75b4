"""The engine: what one event or one due timer does to a member's place on one map (pure).

INTERFACE FIRST (being implemented): the dataclasses below are the contract between the
engine and the application; the bodies of :class:`Engine` are filled in by the engine work.

For each active map of her brand a member has a :class:`Position` (her stage there, the
version she entered with, the goals she is being watched for). The application loads it,
asks the engine, and stores what the :class:`Decision` says: stage moves, timers to arm and
cancel, touchpoints to request (or skipped, with why), goals reached and the timeline lines
explaining all of it. The engine never reads a clock: ``now`` is handed in (the platform
clock in the service, the simulated one in a dry run), which is what makes a dry run over
recorded history decide exactly what the real run decided.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from journey.domain.facts import MemberEvent, MemberFacts
from journey.domain.maps.model import CompiledMap, TouchpointSpec
from journey.domain.timers import TimerRequest


@dataclass(frozen=True)
class OpenGoal:
    """A goal being watched: ``event`` before ``deadline`` counts for ``trigger``."""

    trigger: str
    touchpoint_id: str
    event: str
    opened_at: datetime
    deadline: datetime


@dataclass
class Position:
    """Her place on one map; mutated by the engine, stored by the application."""

    map_key: str
    version: int
    """The map version she entered with; she stays on it until she exits."""
    stage: str | None
    stage_since: datetime | None
    entered_at: datetime
    fired_once: set[str] = field(default_factory=set)
    """Keys of ``once`` triggers that fired for her."""
    open_goals: list[OpenGoal] = field(default_factory=list)
    exited_at: datetime | None = None


@dataclass(frozen=True)
class DueTimer:
    """A timer the engine armed, handed back when it is due. ``kind`` is the trigger key."""

    timer_id: str
    kind: str
    slot: str
    due_at: datetime
    armed_for: datetime
    payload: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StageMove:
    from_stage: str | None
    to_stage: str
    reason: str
    """Why, in words (``stages[3].entry.when held: facts.days_since_last_visit >= 30``)."""
    rule: str
    """The stage key, or the trigger key whose firing re-evaluated her."""
    at: datetime
    """Event time of the cause (the visit's, or the timer's due time)."""


@dataclass(frozen=True)
class PlannedTouchpoint:
    """A touchpoint to request now. Recipients are resolved by the application: the member,
    her bound associate (``facts.associate_id``) or her store's manager."""

    touchpoint_id: str
    trigger: str
    occasion: str
    spec: TouchpointSpec
    moment: datetime
    """When it was meant to happen (event time plus wait, or the timer's due time)."""
    variables: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SkippedTouchpoint:
    touchpoint_id: str
    trigger: str
    occasion: str
    moment: datetime
    reason: str
    """``late by 3 days (tolerance P1D)``, ``no bound associate``, ..."""


@dataclass(frozen=True)
class GoalReached:
    goal: OpenGoal
    event_id: str
    at: datetime


TimelineKind = Literal[
    "entered",
    "stage_changed",
    "trigger_fired",
    "touchpoint_requested",
    "touchpoint_skipped",
    "goal_reached",
    "goal_expired",
    "exited",
    "condition_error",
]


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: TimelineKind
    map_key: str
    version: int
    rule: str
    reason: str
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class Decision:
    stage_moves: list[StageMove] = field(default_factory=list)
    arm: list[TimerRequest] = field(default_factory=list)
    cancel: list[tuple[str, str]] = field(default_factory=list)
    """(kind, slot) of active timers to call off."""
    touchpoints: list[PlannedTouchpoint] = field(default_factory=list)
    skipped: list[SkippedTouchpoint] = field(default_factory=list)
    goals_reached: list[GoalReached] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)
    exited: bool = False


class Engine:
    """Runs one compiled map version."""

    def __init__(self, journey_map: CompiledMap) -> None:
        self.map = journey_map

    def enter(self, facts: MemberFacts, at: datetime, now: datetime) -> tuple[Position, Decision]:
        """Her first sight on this map (at event time ``at``): the initial stage (or a
        higher one her facts already earn), and the timers of her date triggers."""
        raise NotImplementedError

    def on_event(
        self, position: Position, facts: MemberFacts, event: MemberEvent, now: datetime
    ) -> Decision:
        """``facts`` already include ``event``. Late events (older than her current stage)
        update facts but do not move her; see the engine's module notes."""
        raise NotImplementedError

    def on_timer(
        self, position: Position, facts: MemberFacts, timer: DueTimer, now: datetime
    ) -> Decision:
        raise NotImplementedError
