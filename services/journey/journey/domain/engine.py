"""The engine: what one event or one due timer does to a member's place on one map (pure).

For each active map of her brand a member has a :class:`Position` (her stage there, the
version she entered with, the goals she is being watched for). The application loads it,
asks the engine, and stores what the :class:`Decision` says: stage moves, timers to arm and
cancel, touchpoints to request (or skipped, with why), goals reached and the timeline lines
explaining all of it. The engine never reads a clock: ``now`` is handed in (the platform
clock in the service, the simulated one in a dry run), which is what makes a dry run over
recorded history decide exactly what the real run decided.

Time rules:

- Conditions are evaluated at the *event time* of their cause (the event's ``at``, or the
  timer's due time), never at arrival.
- Late events: an event older than her current stage (``at < stage_since``) is folded into
  her facts and may fire its triggers and reach goals, but does not move her: a late record
  of a visit from before she went dormant does not win her back. Such a visit does not start
  a new absence either (see :meth:`Engine.on_timer`).
- Late touchpoints: a touchpoint whose moment passed by more than its ``tolerance`` when the
  engine sees it is recorded as skipped, with how late, rather than sent.
- Date triggers are armed for their next occurrence after their cause (her entry, the event
  that made the date known, the occurrence that just fired) that is not already too late to
  send; first-visit and registration anniversaries start a year after the day itself.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Final, Literal, NamedTuple
from zoneinfo import ZoneInfo

from journey.domain.facts import MemberEvent, MemberFacts
from journey.domain.maps.cel import holds, reads
from journey.domain.maps.model import (
    EVENT_KINDS,
    CompiledMap,
    Condition,
    Fact,
    OnDate,
    OnEvent,
    OnInactivity,
    OnStageEntered,
    Stage,
    TouchpointSpec,
    Trigger,
    Wait,
)
from journey.domain.timers import TimerRequest
from journey.domain.touchpoints import touchpoint_id

ANNIVERSARY_FACTS: Final = frozenset({"first_visit_at", "registered_at"})
"""Date facts whose own day is not an occurrence: the first anniversary is a year later."""
WHEN_DECIDED: Final = "when_decided"
"""Timer payload key: "1" when the trigger's ``when`` was decided as the timer was armed."""


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
    absences_fired: dict[str, datetime] = field(default_factory=dict)
    """Inactivity trigger key to the due time it last fired at: activity from before that
    moment, however late it arrives, belongs to the absence already answered."""


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


class TimerCancel(NamedTuple):
    """Active timers to call off: of ``kind``; of ``slot`` only, or every slot for None;
    and only those whose ``armed_for`` is before ``armed_before``, or all for None."""

    kind: str
    slot: str | None
    armed_before: datetime | None = None
    """An event listed in a trigger's ``cancel_on`` calls off the occurrences that were
    waiting at its own time, not those armed by what happened after it (it may arrive late):
    the bound is the event's time, compared with the timers' ``armed_for`` (the instant
    they count from). A date trigger's timer is armed for the day of its occurrence; there
    the bound is the day after the occurrence that was waiting at the event's time."""


@dataclass
class Decision:
    """What to store and do.

    The application applies ``cancel`` *before* ``arm``: an event that calls off a
    trigger's waiting occurrences may also arm a fresh one of it. Each cancel entry calls
    off the member's active timers of its ``kind``, of its ``slot`` (every slot for None),
    armed for an instant strictly before its ``armed_before`` (whatever their instant for
    None): ``timer.armed_for < armed_before``.
    """

    stage_moves: list[StageMove] = field(default_factory=list)
    arm: list[TimerRequest] = field(default_factory=list)
    cancel: list[TimerCancel] = field(default_factory=list)
    """Timers to call off, before ``arm`` is applied; see :class:`TimerCancel`."""
    touchpoints: list[PlannedTouchpoint] = field(default_factory=list)
    skipped: list[SkippedTouchpoint] = field(default_factory=list)
    goals_reached: list[GoalReached] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)
    exited: bool = False


class _Moment:
    """What a condition is evaluated on: the cause's time and the event, if any.

    One moment serves one engine call, over facts that do not change during it: its
    conditions share each fact computed once, and the event's view built once."""

    __slots__ = ("at", "event", "facts", "view")

    def __init__(self, at: datetime, event: MemberEvent | None = None) -> None:
        self.at = at
        self.event = event
        self.facts: dict[str, Any] = {}
        self.view: dict[str, Any] | None = None


class Engine:
    """Runs one compiled map version."""

    def __init__(self, journey_map: CompiledMap) -> None:
        self.map = journey_map
        self.zone = ZoneInfo(journey_map.timezone)
        self._by_priority: tuple[Stage, ...] = tuple(
            sorted(journey_map.stages, key=lambda stage: -stage.priority)
        )
        triggers = journey_map.triggers
        self._triggers: dict[str, Trigger] = {}
        for trigger in triggers:
            self._triggers.setdefault(trigger.key, trigger)  # the first, as map.trigger finds
        self._initial = journey_map.stage(journey_map.initial_stage)
        self._date_triggers = tuple(t for t in triggers if isinstance(t.on, OnDate))
        self._entry_timers = tuple(t for t in triggers if isinstance(t.on, OnDate | OnInactivity))
        self._on_entering: dict[str, tuple[Trigger, ...]] = _index(
            (t.on.stage, t) for t in triggers if isinstance(t.on, OnStageEntered)
        )
        self._cancelled_by: dict[str, tuple[Trigger, ...]] = _index(
            (kind, t) for t in triggers for kind in dict.fromkeys(t.cancel_on)
        )
        # The triggers an event kind may concern, in map order (their order in decisions).
        self._reacting_to: dict[str, tuple[Trigger, ...]] = _index(
            (kind, t)
            for t in triggers
            for kind in (
                (t.on.event,)
                if isinstance(t.on, OnEvent)
                else tuple(dict.fromkeys(t.on.activity))
                if isinstance(t.on, OnInactivity)
                else _DATE_EVENTS.get(t.on.fact, ())
                if isinstance(t.on, OnDate)
                else ()
            )
        )
        self._descriptions = {id(t): _describe(t) for t in triggers}  # the map holds them
        # Members share birthdays: an occurrence is computed once per trigger, day and year.
        self._occurrences: dict[tuple[OnDate, int, int, int], tuple[date, datetime]] = {}
        # Keyed by identity: the map holds its conditions for as long as the engine runs.
        self._checks = {
            id(condition): _Check(condition, journey_map.facts)
            for condition in _conditions(journey_map)
        }
        read = reads(check.condition.source for check in self._checks.values())
        self._event_fields = read["event"]
        self._stage_checks: tuple[tuple[Stage, _Check | None], ...] = tuple(
            (stage, None if stage.entry is None else self._checks[id(stage.entry)])
            for stage in self._by_priority
        )

    # ------------------------------------------------------------------ entry points

    def enter(
        self,
        facts: MemberFacts,
        at: datetime,
        now: datetime,
        *,
        previous: Position | None = None,
    ) -> tuple[Position, Decision]:
        """Her first sight on this map (at event time ``at``): the initial stage (or a
        higher one her facts already earn), and the timers of her date triggers.

        The event she is seen with is not handled here: the application hands it to
        :meth:`on_event` next. ``previous`` is the position she exited (re-entry on an
        ``always`` map): her ``once`` triggers stay fired.
        """
        decision = Decision()
        position = Position(
            map_key=self.map.key,
            version=self.map.version,
            stage=None,
            stage_since=None,
            entered_at=at,
            fired_once=set(previous.fired_once) if previous is not None else set(),
        )
        moment = _Moment(at)
        initial = self._initial
        floor = initial.priority if initial is not None else None
        landed = self._holding_stage(position, facts, moment, decision, above=floor)
        stage_key, reason = (
            (landed.key, _held(landed.entry))
            if landed is not None and landed.entry is not None
            else (self.map.initial_stage, "initial stage")
        )
        position.stage, position.stage_since = stage_key, at
        decision.stage_moves.append(StageMove(None, stage_key, reason, stage_key, at))
        self._line(decision, at, "entered", stage_key, reason, {"stage": stage_key})
        if self._exits(position, facts, moment, decision):
            return position, decision
        self._stage_entered(position, facts, moment, stage_key, now, decision)
        for trigger in self._entry_timers:
            if isinstance(trigger.on, OnDate):
                self._arm_date(trigger, trigger.on, facts, at, now, decision)
            elif isinstance(trigger.on, OnInactivity):
                latest = facts.latest_activity(trigger.on.activity)
                if latest is not None:
                    self._arm_inactivity(trigger, trigger.on, position, latest, decision)
        return position, decision

    def on_event(
        self, position: Position, facts: MemberFacts, event: MemberEvent, now: datetime
    ) -> Decision:
        """``facts`` already include ``event``. Late events (older than her current stage)
        update facts but do not move her; see the module notes."""
        decision = Decision()
        if position.exited_at is not None:
            return decision  # an exited position listens to nothing; see may_reenter
        moment = _Moment(event.at, event)
        late = position.stage_since is not None and event.at < position.stage_since
        moves = [] if late else self._restage(position, facts, moment, None, decision)
        if self._exits(position, facts, moment, decision):
            return decision
        # Goals first: a goal this very event opens is not reached by it.
        self._reach_goals(position, facts, moment, decision)
        self._expire_goals(position, event.at, decision)
        for move in moves:
            self._stage_entered(position, facts, moment, move.to_stage, now, decision)
        for trigger in self._cancelled_by.get(event.kind, ()):
            decision.cancel.append(
                TimerCancel(trigger.key, None, self._waiting_at(trigger, facts, event.at))
            )
        for trigger in self._reacting_to.get(event.kind, ()):
            on = trigger.on
            if isinstance(on, OnEvent) and on.event == event.kind:
                self._event_trigger(trigger, position, facts, moment, now, decision)
            elif isinstance(on, OnInactivity) and event.kind in on.activity:
                if facts.latest_activity(on.activity) == event.at:
                    self._arm_inactivity(trigger, on, position, event.at, decision)
            elif isinstance(on, OnDate) and self._date_changed_by(on.fact, facts, event):
                self._arm_date(trigger, on, facts, event.at, now, decision)
        return decision

    def on_timer(
        self, position: Position, facts: MemberFacts, timer: DueTimer, now: datetime
    ) -> Decision:
        """A timer this engine armed is due (``timer.kind`` is the trigger key)."""
        decision = Decision()
        trigger = self._triggers.get(timer.kind)
        if position.exited_at is not None or trigger is None:
            return decision
        moment = _Moment(timer.due_at)
        self._expire_goals(position, timer.due_at, decision)
        on = trigger.on
        if isinstance(on, OnInactivity):
            self._inactivity_due(trigger, on, position, facts, timer, now, decision)
        elif isinstance(on, OnDate):
            self._date_due(trigger, on, position, facts, timer, now, decision)
        elif timer.payload.get(WHEN_DECIDED) == "1" or self._when(
            trigger, facts, moment, position, decision
        ):
            self._fire(trigger, position, facts, timer.slot, timer.due_at, now, decision)
        return decision

    def _after(self, wait: Wait, instant: datetime) -> datetime:
        """``instant`` moved by ``wait``, its months counted on the map's calendar: six months
        after 07:30 on 31 August in Shanghai (still 30 August in UTC) is 28 February there."""
        if wait.months == 0:
            return wait.after(instant)
        months = Wait(months=wait.months, negative=wait.negative)
        moved = months.after(instant.astimezone(self.zone)).astimezone(UTC)
        return Wait(span=wait.span, negative=wait.negative).after(moved)

    def may_reenter(self, position: Position) -> bool:
        """Whether the application should enter her again on her next event."""
        return position.exited_at is not None and self.map.reentry == "always"

    # ------------------------------------------------------------------ stages

    def _holding_stage(
        self,
        position: Position,
        facts: MemberFacts,
        moment: _Moment,
        decision: Decision,
        *,
        above: int | None = None,
    ) -> Stage | None:
        """The highest-priority stage whose entry holds (only those above ``above``)."""
        current = position.stage
        for stage, check in self._stage_checks:
            if above is not None and stage.priority <= above:
                return None
            if check is None:
                continue
            result = check.evaluate(facts, moment, self._event_view(check, moment), current)
            if result is True:
                return stage
            if result is not False:
                self._error(check.condition, result, stage.key, moment.at, decision)
        return None

    def _restage(
        self,
        position: Position,
        facts: MemberFacts,
        moment: _Moment,
        rule: str | None,
        decision: Decision,
    ) -> list[StageMove]:
        stage = self._holding_stage(position, facts, moment, decision)
        if stage is None or stage.key == position.stage or stage.entry is None:
            return []
        move = StageMove(
            from_stage=position.stage,
            to_stage=stage.key,
            reason=_held(stage.entry),
            rule=rule or stage.key,
            at=moment.at,
        )
        position.stage, position.stage_since = stage.key, moment.at
        decision.stage_moves.append(move)
        self._line(
            decision,
            moment.at,
            "stage_changed",
            move.rule,
            move.reason,
            {"from": move.from_stage, "to": move.to_stage},
        )
        return [move]

    def _exits(
        self, position: Position, facts: MemberFacts, moment: _Moment, decision: Decision
    ) -> bool:
        condition = self.map.exit_when
        if condition is None:
            return False
        if not self._holds(condition, facts, moment, position.stage, "exit", decision):
            return False
        position.exited_at = moment.at
        decision.exited = True
        # Nothing she was waiting for happens any more.
        for trigger in self.map.triggers:
            decision.cancel.append(TimerCancel(trigger.key, None))
        for goal in position.open_goals:
            self._line(decision, moment.at, "goal_expired", goal.trigger, "exited", _goal(goal))
        position.open_goals = []
        self._line(decision, moment.at, "exited", "exit", _held(condition))
        return True

    # ------------------------------------------------------------------ triggers

    def _stage_entered(
        self,
        position: Position,
        facts: MemberFacts,
        moment: _Moment,
        stage: str,
        now: datetime,
        decision: Decision,
    ) -> None:
        triggers = self._on_entering.get(stage, ())
        if not triggers:
            return
        occasion = f"{stage}@{moment.at.isoformat()}"
        for trigger in triggers:
            if trigger.once and trigger.key in position.fired_once:
                continue
            if trigger.wait.is_zero:
                if self._when(trigger, facts, moment, position, decision):
                    self._fire(trigger, position, facts, occasion, moment.at, now, decision)
                continue
            # With a causing event the condition is decided on it; otherwise when it is due.
            decided = moment.event is not None
            if decided and not self._when(trigger, facts, moment, position, decision):
                continue
            decision.arm.append(
                TimerRequest(
                    kind=trigger.key,
                    due_at=self._after(trigger.wait, moment.at),
                    armed_for=moment.at,
                    slot=occasion,
                    payload={WHEN_DECIDED: "1" if decided else "0", "stage": stage},
                )
            )

    def _event_trigger(
        self,
        trigger: Trigger,
        position: Position,
        facts: MemberFacts,
        moment: _Moment,
        now: datetime,
        decision: Decision,
    ) -> None:
        event = moment.event
        assert event is not None
        if trigger.once and trigger.key in position.fired_once:
            return
        # An event trigger is decided on its event, even when it waits.
        if not self._when(trigger, facts, moment, position, decision):
            return
        if trigger.wait.is_zero:
            self._fire(trigger, position, facts, event.event_id, event.at, now, decision)
            return
        decision.arm.append(
            TimerRequest(
                kind=trigger.key,
                due_at=self._after(trigger.wait, event.at),
                armed_for=event.at,
                slot=event.event_id,
                payload={WHEN_DECIDED: "1", "event_id": event.event_id},
            )
        )

    def _arm_inactivity(
        self,
        trigger: Trigger,
        on: OnInactivity,
        position: Position,
        latest: datetime,
        decision: Decision,
    ) -> None:
        answered = position.absences_fired.get(trigger.key)
        if answered is not None and latest < answered:
            return  # activity from before an absence already answered: not a new absence
        decision.arm.append(
            TimerRequest(kind=trigger.key, due_at=self._after(on.after, latest), armed_for=latest)
        )

    def _inactivity_due(
        self,
        trigger: Trigger,
        on: OnInactivity,
        position: Position,
        facts: MemberFacts,
        timer: DueTimer,
        now: datetime,
        decision: Decision,
    ) -> None:
        latest = facts.latest_activity(on.activity)
        if latest is None or latest > timer.armed_for:
            return  # stale: she was active since; that activity armed a newer timer
        answered = position.absences_fired.get(trigger.key)
        if answered is not None and timer.armed_for < answered:
            return  # this absence was already answered
        moment = _Moment(timer.due_at)
        position.absences_fired[trigger.key] = timer.due_at
        moves = self._restage(position, facts, moment, trigger.key, decision)
        if self._exits(position, facts, moment, decision):
            return
        for move in moves:
            self._stage_entered(position, facts, moment, move.to_stage, now, decision)
        if self._when(trigger, facts, moment, position, decision):
            occasion = timer.armed_for.isoformat()
            self._fire(trigger, position, facts, occasion, timer.due_at, now, decision)

    def _date_due(
        self,
        trigger: Trigger,
        on: OnDate,
        position: Position,
        facts: MemberFacts,
        timer: DueTimer,
        now: datetime,
        decision: Decision,
    ) -> None:
        anchor = self._anchor(on.fact, facts)
        day = timer.armed_for.date()
        if anchor is None or self._occurrence(on, anchor, day.year)[0] != day:
            return  # the date changed since this timer was armed; its new timer stands
        moment = _Moment(timer.due_at)
        if self._when(trigger, facts, moment, position, decision):
            self._fire(trigger, position, facts, day.isoformat(), timer.due_at, now, decision)
        if on.yearly:
            self._arm_date(trigger, on, facts, timer.due_at, now, decision)

    def _fire(
        self,
        trigger: Trigger,
        position: Position,
        facts: MemberFacts,
        occasion: str,
        moment: datetime,
        now: datetime,
        decision: Decision,
    ) -> None:
        """The trigger's moment came: its filters, then its touchpoint (sent or skipped)."""
        if trigger.stages and position.stage not in trigger.stages:
            return
        if trigger.once:
            if trigger.key in position.fired_once:
                return
            position.fired_once.add(trigger.key)
        self._line(
            decision,
            moment,
            "trigger_fired",
            trigger.key,
            self._descriptions.get(id(trigger)) or _describe(trigger),
            {"occasion": occasion, "stage": position.stage},
        )
        spec = trigger.touchpoint
        if spec is None:
            return
        tp_id = touchpoint_id(facts.member_id, f"{self.map.key}/{trigger.key}", occasion)
        reason = self._why_not(spec, facts, moment, now)
        if reason is not None:
            decision.skipped.append(SkippedTouchpoint(tp_id, trigger.key, occasion, moment, reason))
            self._line(
                decision,
                moment,
                "touchpoint_skipped",
                trigger.key,
                reason,
                {"touchpoint_id": tp_id, "template": spec.template, "to": spec.to},
            )
            return
        variables = {**spec.variables, "surname": facts.surname or "", "title": facts.title}
        if spec.is_task and spec.due_in is not None:
            due = spec.due_in.after(moment).astimezone(self.zone).date()
            variables["due_date"] = due.isoformat()
        decision.touchpoints.append(
            PlannedTouchpoint(tp_id, trigger.key, occasion, spec, moment, variables)
        )
        detail: dict[str, Any] = {
            "touchpoint_id": tp_id,
            "template": spec.template,
            "to": spec.to,
            "category": spec.category,
        }
        if trigger.goal is not None:
            goal = OpenGoal(
                trigger=trigger.key,
                touchpoint_id=tp_id,
                event=trigger.goal.event,
                opened_at=moment,
                deadline=self._after(trigger.goal.within, moment),
            )
            if all(open_goal.touchpoint_id != tp_id for open_goal in position.open_goals):
                position.open_goals.append(goal)
            detail["goal"] = {"event": goal.event, "deadline": goal.deadline.isoformat()}
        self._line(decision, moment, "touchpoint_requested", trigger.key, spec.template, detail)

    def _why_not(
        self, spec: TouchpointSpec, facts: MemberFacts, moment: datetime, now: datetime
    ) -> str | None:
        if now > spec.tolerance.after(moment):
            return f"late by {_span(now - moment)} (tolerance {spec.tolerance.text})"
        if spec.to == "associate" and not facts.associate_id:
            return "no bound associate"
        if spec.to == "store_manager" and not facts.store_id:
            return "no home store"
        return None

    def _when(
        self,
        trigger: Trigger,
        facts: MemberFacts,
        moment: _Moment,
        position: Position,
        decision: Decision,
    ) -> bool:
        if trigger.when is None:
            return True
        return self._holds(trigger.when, facts, moment, position.stage, trigger.key, decision)

    def _waiting_at(self, trigger: Trigger, facts: MemberFacts, at: datetime) -> datetime:
        """The ``armed_before`` bound calling off what of ``trigger`` was waiting at ``at``."""
        on = trigger.on
        if not isinstance(on, OnDate):
            return at
        anchor = self._anchor(on.fact, facts)
        waiting = None if anchor is None else self.next_occurrence(trigger, on, anchor, at, at)
        if waiting is None:
            return at
        return datetime.combine(waiting[0], time(), UTC) + timedelta(days=1)

    # ------------------------------------------------------------------ goals

    def _reach_goals(
        self, position: Position, facts: MemberFacts, moment: _Moment, decision: Decision
    ) -> None:
        if not position.open_goals:
            return
        event = moment.event
        assert event is not None
        still_open: list[OpenGoal] = []
        for goal in position.open_goals:
            if goal.event == event.kind and goal.opened_at <= event.at <= goal.deadline:
                trigger = self._triggers.get(goal.trigger)
                condition = trigger.goal.when if trigger and trigger.goal else None
                if condition is None or self._holds(
                    condition, facts, moment, position.stage, goal.trigger, decision
                ):
                    decision.goals_reached.append(GoalReached(goal, event.event_id, event.at))
                    self._line(
                        decision,
                        event.at,
                        "goal_reached",
                        goal.trigger,
                        f"{goal.event} within the goal's window",
                        {**_goal(goal), "event_id": event.event_id},
                    )
                    continue
            still_open.append(goal)
        position.open_goals = still_open

    def _expire_goals(self, position: Position, at: datetime, decision: Decision) -> None:
        if not position.open_goals:
            return
        for goal in [goal for goal in position.open_goals if goal.deadline < at]:
            self._line(decision, at, "goal_expired", goal.trigger, "deadline passed", _goal(goal))
        position.open_goals = [goal for goal in position.open_goals if goal.deadline >= at]

    # ------------------------------------------------------------------ dates

    def _date_changed_by(self, fact: str, facts: MemberFacts, event: MemberEvent) -> bool:
        """Whether ``event`` made the date fact known or changed it."""
        if fact in {"birthday", "registered_at"}:
            return event.kind == "member.registered"
        if fact == "first_visit_at":
            return event.kind == "visit.completed" and facts.first_visit_at == event.at
        return False

    def _anchor(self, fact: str, facts: MemberFacts) -> date | None:
        """The calendar day a date trigger counts from, in the map's time zone."""
        value = facts.date_fact(fact)
        if isinstance(value, datetime):
            return value.astimezone(self.zone).date()
        return value

    def _occurrence(self, on: OnDate, anchor: date, year: int) -> tuple[date, datetime]:
        """The anniversary day in ``year`` (29 Feb is 28 Feb in other years) and the
        instant the trigger's moment falls on for it."""
        key = (on, anchor.month, anchor.day, year)
        known = self._occurrences.get(key)
        if known is not None:
            return known
        if anchor.month == 2 and anchor.day == 29 and not calendar.isleap(year):
            day = date(year, 2, 28)
        else:
            day = date(year, anchor.month, anchor.day)
        wall = on.offset.after(datetime.combine(day, on.at))
        occurrence = day, wall.replace(tzinfo=self.zone).astimezone(UTC)
        if len(self._occurrences) >= _OCCURRENCES_KEPT:
            self._occurrences.clear()
        self._occurrences[key] = occurrence
        return occurrence

    def next_occurrence(
        self, trigger: Trigger, on: OnDate, anchor: date, after: datetime, now: datetime
    ) -> tuple[date, datetime] | None:
        """The first occurrence strictly after ``after`` that is not already too late at
        ``now`` to send; None when a one-off date has passed."""
        first_year = anchor.year + 1 if on.fact in ANNIVERSARY_FACTS and on.yearly else anchor.year
        tolerance = trigger.touchpoint.tolerance if trigger.touchpoint else None
        if not on.yearly:
            day, instant = self._occurrence(on, anchor, anchor.year)
            return (day, instant) if self._in_time(instant, after, now, tolerance) else None
        reach = abs(on.offset.months) // 12 + on.offset.span.days // 365 + 2
        horizon = max(after, now).year + reach
        for year in range(max(first_year, after.year - reach), horizon + 1):
            day, instant = self._occurrence(on, anchor, year)
            if self._in_time(instant, after, now, tolerance):
                return day, instant
        return None

    @staticmethod
    def _in_time(instant: datetime, after: datetime, now: datetime, tolerance: Wait | None) -> bool:
        if instant <= after:
            return False
        return tolerance is None or now <= tolerance.after(instant)

    def _arm_date(
        self,
        trigger: Trigger,
        on: OnDate,
        facts: MemberFacts,
        after: datetime,
        now: datetime,
        decision: Decision,
    ) -> None:
        anchor = self._anchor(on.fact, facts)
        if anchor is None:
            return
        occurrence = self.next_occurrence(trigger, on, anchor, after, now)
        if occurrence is None:
            return
        day, instant = occurrence
        decision.arm.append(
            TimerRequest(
                kind=trigger.key,
                due_at=instant,
                armed_for=datetime.combine(day, time(), UTC),
                payload={"date": day.isoformat()},
            )
        )

    # ------------------------------------------------------------------ conditions

    def _holds(
        self,
        condition: Condition,
        facts: MemberFacts,
        moment: _Moment,
        stage: str | None,
        rule: str,
        decision: Decision,
    ) -> bool:
        check = self._checks.get(id(condition))
        if check is None or check.condition is not condition:
            # Not one of this map's conditions; evaluated all the same.
            check = self._checks[id(condition)] = _Check(condition, self.map.facts)
        result = check.evaluate(facts, moment, self._event_view(check, moment), stage)
        if result is True or result is False:
            return result
        self._error(condition, result, rule, moment.at, decision)
        return False

    def _event_view(self, check: _Check, moment: _Moment) -> dict[str, Any] | None:
        """The ``event`` variable, built once per moment with every field a condition reads."""
        if not check.event or moment.event is None:
            return None
        if moment.view is None:
            moment.view = _view(moment.event, self._event_fields)
        return moment.view

    def _error(
        self, condition: Condition, result: Any, rule: str, at: datetime, decision: Decision
    ) -> None:
        reason = result if isinstance(result, str) else f"{condition.path}: not a bool"
        self._line(decision, at, "condition_error", rule, reason, {"path": condition.path})

    def _line(
        self,
        decision: Decision,
        at: datetime,
        kind: TimelineKind,
        rule: str,
        reason: str,
        detail: Mapping[str, Any] | None = None,
    ) -> None:
        decision.timeline.append(
            TimelineEntry(at, kind, self.map.key, self.map.version, rule, reason, detail or {})
        )


def event_view(event: MemberEvent) -> dict[str, Any]:
    """The ``event`` variable of a condition: ``type``, ``id``, ``at`` and the contract's
    fields as CEL values (amounts as doubles, times as timestamps)."""
    return _view(event, None)


def _view(event: MemberEvent, fields: frozenset[str] | None) -> dict[str, Any]:
    """:func:`event_view` with only ``fields`` (all of them for None)."""
    kind = EVENT_KINDS.get(event.kind)
    types = kind.fields if kind is not None else {}
    view: dict[str, Any] = {}
    for name, value in event.data.items():
        if fields is None or name in fields:
            view[name] = _cel_value(types.get(name), value)
    own = {"type": event.kind, "id": event.event_id, "at": event.at}
    view.update(own if fields is None else {k: v for k, v in own.items() if k in fields})
    return view


_DATE_EVENTS: Final[Mapping[str, tuple[str, ...]]] = {
    "birthday": ("member.registered",),
    "registered_at": ("member.registered",),
    "first_visit_at": ("visit.completed",),
}
"""The events that may make a date fact known or change it (see ``_date_changed_by``)."""


_OCCURRENCES_KEPT: Final = 50_000
_ABSENT: Final = object()
_MEMO_SIZE: Final = 4096
_MEMO_TYPES: Final = frozenset({int, float, str, bool, type(None), object})
"""Types of the inputs a result is remembered for (``object``: the field-absent marker)."""


class _Check:
    """One condition as the engine evaluates it: with only the variables and fields it
    reads (converting values for CEL costs far more than evaluating), and remembering its
    result for inputs it has already seen. CEL is pure, so a condition over the same
    inputs decides the same; inputs other than plain scalars (lists, timestamps, ``now``)
    are evaluated every time."""

    __slots__ = (
        "condition",
        "event",
        "event_fields",
        "facts",
        "memo",
        "names",
        "now",
        "reads_facts",
        "stage",
    )

    def __init__(self, condition: Condition, declared: Mapping[str, Fact]) -> None:
        self.condition = condition
        read = reads((condition.source,))
        names = read["facts"]
        variables = set(condition.program.variables())  # type: ignore[attr-defined]
        self.reads_facts = "facts" in variables
        self.facts: tuple[tuple[str, Fact], ...] = (
            tuple((name, fact) for name, fact in declared.items() if names is None or name in names)
            if self.reads_facts
            else ()
        )
        self.names = tuple(name for name, _ in self.facts)
        self.event = "event" in variables
        fields = read["event"]
        self.event_fields = None if fields is None else tuple(sorted(fields))
        self.stage = "stage" in variables
        self.now = "now" in variables
        self.memo: dict[tuple[Any, ...], bool | str] | None = (
            None if self.now or (self.event and self.event_fields is None) else {}
        )

    def evaluate(
        self,
        member: MemberFacts,
        moment: _Moment,
        event: Mapping[str, Any] | None,
        stage: str | None,
    ) -> bool | str:
        # Each fact is computed once per moment, for whichever condition reads it first.
        facts = moment.facts
        values: list[Any] = []
        for name, fact in self.facts:
            value = facts.get(name, _ABSENT)
            if value is _ABSENT:
                value = facts[name] = member.value(fact, moment.at)
            values.append(value)
        memo = self.memo
        key = None if memo is None else self._key(values, event, stage)
        if key is not None:
            assert memo is not None
            known = memo.get(key)
            if known is not None:
                return known
        context: dict[str, Any] = {}
        if self.reads_facts:
            context["facts"] = dict(zip(self.names, values, strict=True))
        if self.event:
            fields = self.event_fields
            context["event"] = (
                event
                if event is None or fields is None
                else {name: event[name] for name in fields if name in event}
            )
        if self.stage:
            context["stage"] = stage
        if self.now:
            context["now"] = moment.at
        result = holds(self.condition, context)
        if key is not None:
            assert memo is not None
            if len(memo) >= _MEMO_SIZE:
                memo.clear()
            memo[key] = result
        return result

    def _key(
        self, facts: list[Any], event: Mapping[str, Any] | None, stage: str | None
    ) -> tuple[Any, ...] | None:
        """The inputs with their types (1, 1.0 and True are one dict key but not one CEL
        value), or None when one is not a plain scalar."""
        values = facts
        if self.event:
            values = [*values, event is not None]
            if event is not None:
                assert self.event_fields is not None
                values.extend([event.get(name, _ABSENT) for name in self.event_fields])
        if self.stage:
            values = [*values, stage]
        types = tuple(map(type, values))
        if not _MEMO_TYPES.issuperset(types):
            return None
        return (*values, *types)


def _index(pairs: Iterable[tuple[str, Trigger]]) -> dict[str, tuple[Trigger, ...]]:
    index: dict[str, list[Trigger]] = {}
    for key, trigger in pairs:
        index.setdefault(key, []).append(trigger)
    return {key: tuple(found) for key, found in index.items()}


def _conditions(journey_map: CompiledMap) -> Iterator[Condition]:
    for stage in journey_map.stages:
        if stage.entry is not None:
            yield stage.entry
    for trigger in journey_map.triggers:
        if trigger.when is not None:
            yield trigger.when
        if trigger.goal is not None and trigger.goal.when is not None:
            yield trigger.goal.when
    if journey_map.exit_when is not None:
        yield journey_map.exit_when


def _cel_value(value_type: str | None, value: Any) -> Any:
    if value is None:
        return None
    try:
        if value_type == "double":
            return float(Decimal(str(value)))
        if value_type == "int" and not isinstance(value, bool):
            return int(value)
        if value_type == "timestamp" and isinstance(value, str):
            instant = datetime.fromisoformat(value)
            return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)
    except (ValueError, InvalidOperation):
        return value
    return value


def _held(condition: Condition | None) -> str:
    return "initial stage" if condition is None else f"{condition.path} held: {condition.source}"


def _describe(trigger: Trigger) -> str:
    on = trigger.on
    if isinstance(on, OnEvent):
        what = f"on {on.event}"
    elif isinstance(on, OnStageEntered):
        what = f"on entering {on.stage}"
    elif isinstance(on, OnInactivity):
        what = f"no {' or '.join(on.activity)} for {on.after.text}"
    else:
        what = f"{on.fact} {on.offset.text}" if not on.offset.is_zero else f"on {on.fact}"
    return what if trigger.wait.is_zero else f"{what}, after {trigger.wait.text}"


def _goal(goal: OpenGoal) -> dict[str, Any]:
    return {
        "touchpoint_id": goal.touchpoint_id,
        "event": goal.event,
        "deadline": goal.deadline.isoformat(),
    }


def _span(span: timedelta) -> str:
    """A lateness in words: ``3 days``, ``5 hours``, ``12 minutes``."""
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        count = int(span.total_seconds() // size)
        if count >= 1:
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{int(span.total_seconds())} seconds"
