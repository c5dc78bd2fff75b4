"""Dry run: a map version replayed over recorded member events with a simulated clock (pure).

Nothing is sent and nothing is stored. Each member's events are handled in event-time order
and her timers are kept in memory with the service's semantics (:mod:`journey.domain.timers`:
arming replaces her active timer of the same kind and slot; a decision's cancellations come
before its arms, each calling off the timers of its kind and slot armed for an instant before
its bound, see :class:`journey.domain.engine.TimerCancel`); before each event every timer
due at or before it fires, in due order, and at the end every timer due up to ``until``.
``now`` is always the simulated moment (the event's time or the timer's due time), so
nothing is ever late: a real run whose consumer kept up decides the same touchpoints, with
the same ids.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from journey.domain.engine import Decision, DueTimer, Engine, Position, TimelineEntry
from journey.domain.facts import MemberEvent, MemberFacts
from journey.domain.maps.model import CompiledMap
from journey.domain.timers import timer_id


class MemberReplay:
    """One member on one map: her facts, position and pending timers, in memory."""

    def __init__(self, engine: Engine, member_id: str, brand_id: str) -> None:
        self.engine = engine
        self.facts = MemberFacts(member_id, brand_id)
        self.position: Position | None = None
        self.timers: dict[tuple[str, str], DueTimer] = {}
        self.decisions: list[Decision] = []

    @property
    def member_id(self) -> str:
        return self.facts.member_id

    def handle(self, event: MemberEvent, now: datetime | None = None) -> list[Decision]:
        """Fold ``event`` in and let the engine decide (entering her first if need be)."""
        moment = event.at if now is None else now
        self.facts.apply(event)
        decisions: list[Decision] = []
        if self.position is None or self.engine.may_reenter(self.position):
            self.position, entered = self.engine.enter(
                self.facts, event.at, moment, previous=self.position
            )
            decisions.append(self._apply(entered, cause=f"enter:{event.event_id}"))
        decisions.append(
            self._apply(
                self.engine.on_event(self.position, self.facts, event, moment),
                cause=event.event_id,
            )
        )
        return decisions

    def next_due(self) -> DueTimer | None:
        return min(self.timers.values(), key=_due_order, default=None)

    def fire_due(self, until: datetime, now: datetime | None = None) -> list[Decision]:
        """Fire every timer due at or before ``until``, earliest first."""
        decisions: list[Decision] = []
        while (timer := self.next_due()) is not None and timer.due_at <= until:
            decisions.append(self.fire(timer, now))
        return decisions

    def fire(self, timer: DueTimer, now: datetime | None = None) -> Decision:
        del self.timers[(timer.kind, timer.slot)]
        if self.position is None:
            return Decision()
        moment = timer.due_at if now is None else now
        decision = self.engine.on_timer(self.position, self.facts, timer, moment)
        return self._apply(decision, cause=timer.timer_id)

    def _apply(self, decision: Decision, *, cause: str) -> Decision:
        for kind, slot, armed_before in decision.cancel:
            for key in [
                key
                for key, timer in self.timers.items()
                if key[0] == kind
                and slot in (None, key[1])
                and (armed_before is None or timer.armed_for < armed_before)
            ]:
                del self.timers[key]
        for request in decision.arm:
            self.timers[(request.kind, request.slot)] = DueTimer(
                timer_id=timer_id(self.member_id, request.kind, request.slot, cause),
                kind=request.kind,
                slot=request.slot,
                due_at=request.due_at,
                armed_for=request.armed_for,
                payload=request.payload,
            )
        self.decisions.append(decision)
        return decision

    @property
    def timeline(self) -> list[TimelineEntry]:
        return [entry for decision in self.decisions for entry in decision.timeline]


def _due_order(timer: DueTimer) -> tuple[datetime, str, str]:
    return timer.due_at, timer.kind, timer.slot


@dataclass
class SimulationReport:
    map_key: str
    version: int
    until: datetime
    members: int = 0
    members_per_stage: dict[str, int] = field(default_factory=dict)
    """Where members stand at ``until``; exited members are counted under ``exited``."""
    exited: int = 0
    stage_moves: dict[str, int] = field(default_factory=dict)
    """``from->to`` (``->new`` for entering the map) to how many times."""
    stage_moves_by_day: dict[str, int] = field(default_factory=dict)
    touchpoints_by_trigger: dict[str, int] = field(default_factory=dict)
    touchpoints_by_template: dict[str, int] = field(default_factory=dict)
    touchpoints_by_audience: dict[str, int] = field(default_factory=dict)
    """``member`` messages, ``associate`` tasks and ``store_manager`` alerts."""
    touchpoints_by_day: dict[str, int] = field(default_factory=dict)
    skipped_by_reason: dict[str, int] = field(default_factory=dict)
    goals_opened: dict[str, int] = field(default_factory=dict)
    goals_reached: dict[str, int] = field(default_factory=dict)
    touchpoint_ids: list[str] = field(default_factory=list)
    """Every touchpoint that would be requested, in the order it would be."""
    timelines: dict[str, list[TimelineEntry]] = field(default_factory=dict, repr=False)

    def timeline(self, member_id: str) -> list[TimelineEntry]:
        return self.timelines.get(member_id, [])

    def figures(self) -> dict[str, Any]:
        """The report as JSON values (without the timelines)."""
        return {
            "map_key": self.map_key,
            "version": self.version,
            "until": self.until.isoformat(),
            "members": self.members,
            "exited": self.exited,
            **{name: dict(getattr(self, name)) for name in COUNTED},
            "touchpoint_ids": list(self.touchpoint_ids),
        }


COUNTED = (
    "members_per_stage",
    "stage_moves",
    "stage_moves_by_day",
    "touchpoints_by_trigger",
    "touchpoints_by_template",
    "touchpoints_by_audience",
    "touchpoints_by_day",
    "skipped_by_reason",
    "goals_opened",
    "goals_reached",
)


def simulate(
    journey_map: CompiledMap,
    events: Iterable[MemberEvent],
    *,
    until: datetime,
    timelines_for: Collection[str] | None = None,
) -> SimulationReport:
    """Replay ``events`` (any arrival order) against ``journey_map`` up to ``until``.

    ``timelines_for`` names the members whose timelines the report keeps (None: everyone;
    a brand-wide dry run passes an empty collection).
    """
    engine = Engine(journey_map)
    by_member: dict[str, list[MemberEvent]] = defaultdict(list)
    for event in events:
        if event.at <= until:
            by_member[event.member_id].append(event)
    tally = _Tally(ZoneInfo(journey_map.timezone))
    report = SimulationReport(journey_map.key, journey_map.version, until)
    stages: Counter[str] = Counter()
    for member_id in sorted(by_member):
        history = sorted(by_member[member_id], key=lambda event: (event.at, event.event_id))
        replay = MemberReplay(engine, member_id, history[0].brand_id)
        for event in history:
            tally.add(replay.fire_due(event.at))
            tally.add(replay.handle(event))
        tally.add(replay.fire_due(until))
        report.members += 1
        position = replay.position
        if position is not None and position.exited_at is not None:
            report.exited += 1
        elif position is not None and position.stage is not None:
            stages[position.stage] += 1
        if timelines_for is None or member_id in timelines_for:
            report.timelines[member_id] = replay.timeline
    report.members_per_stage = dict(stages)
    tally.fill(report)
    return report


class _Tally:
    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self.counters: dict[str, Counter[str]] = {
            name: Counter() for name in COUNTED if name != "members_per_stage"
        }
        self.touchpoint_ids: list[str] = []

    def day(self, instant: datetime) -> str:
        return instant.astimezone(self.zone).date().isoformat()

    def add(self, decisions: list[Decision]) -> None:
        c = self.counters
        for decision in decisions:
            for move in decision.stage_moves:
                c["stage_moves"][f"{move.from_stage or ''}->{move.to_stage}"] += 1
                c["stage_moves_by_day"][self.day(move.at)] += 1
            for planned in decision.touchpoints:
                c["touchpoints_by_trigger"][planned.trigger] += 1
                c["touchpoints_by_template"][planned.spec.template] += 1
                c["touchpoints_by_audience"][planned.spec.to] += 1
                c["touchpoints_by_day"][self.day(planned.moment)] += 1
                self.touchpoint_ids.append(planned.touchpoint_id)
            for skipped in decision.skipped:
                reason = "late" if skipped.reason.startswith("late") else skipped.reason
                c["skipped_by_reason"][reason] += 1
            for entry in decision.timeline:
                if entry.kind == "touchpoint_requested" and "goal" in entry.detail:
                    c["goals_opened"][entry.rule] += 1
            for reached in decision.goals_reached:
                c["goals_reached"][reached.goal.trigger] += 1

    def fill(self, report: SimulationReport) -> None:
        for name, counter in self.counters.items():
            setattr(report, name, dict(sorted(counter.items())))
        report.touchpoint_ids = self.touchpoint_ids


def compare(draft: SimulationReport, published: SimulationReport) -> dict[str, Any]:
    """What the draft would do differently: per figure, the keys whose counts differ (with
    both counts and draft minus published), and the touchpoints only one of them requests."""
    differences: dict[str, Any] = {}
    for name in (*COUNTED, "members", "exited"):
        ours, theirs = getattr(draft, name), getattr(published, name)
        if isinstance(ours, int):
            if ours != theirs:
                differences[name] = {"draft": ours, "published": theirs, "delta": ours - theirs}
            continue
        changed = {
            key: {
                "draft": ours.get(key, 0),
                "published": theirs.get(key, 0),
                "delta": ours.get(key, 0) - theirs.get(key, 0),
            }
            for key in sorted(set(ours) | set(theirs))
            if ours.get(key, 0) != theirs.get(key, 0)
        }
        if changed:
            differences[name] = changed
    draft_ids, published_ids = set(draft.touchpoint_ids), set(published.touchpoint_ids)
    if draft_ids != published_ids:
        differences["touchpoint_ids"] = {
            "only_in_draft": sorted(draft_ids - published_ids),
            "only_in_published": sorted(published_ids - draft_ids),
        }
    return differences
