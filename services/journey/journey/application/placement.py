"""Placing members on their brand's maps: a batch of events or of due timers at a time.

The consumer's handlers only *collect* the member events of a transaction; :meth:`Placement.
place` then works the whole batch with a handful of statements (load every member's journey,
facts and positions at once, let the engine decide for each event in arrival order, write
every decision at once), which is what lets one journey process keep up with thousands of
events a second. The timer worker does the same with a batch of due timers.

A decision becomes, in the same transaction:

- her positions and fact snapshot; stage moves in the stage history and as ``StageChanged``;
- timers armed under the map version she stands on: each decision's ``cancel`` before its
  ``arm``, in decision order, resolved in memory for timers armed earlier in the batch;
- touchpoints: the log line and a ``TouchpointRequested`` for the notifier; a staff
  touchpoint also becomes a task in the assignee's list; one with a goal opens the goal. A
  touchpoint id already in the log (the same occasion decided again, after a crash or a
  replay) asks for nothing;
- skipped touchpoints in the log with their reason; goals reached; timeline lines.

Timers never run ahead of the events: the worker fires only timers due by the consumer's
event-time watermark (:mod:`rapport_events.watermarks`), so a visit still waiting in Kafka is
consumed before the dormancy timer it would have called off fires. A timer fired more than
:data:`LATE_TIMER` after its due time (the service was down) is marked late on her timeline.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

from rapport_events.consumer import RejectEvent
from rapport_events.contracts.journey import StageChanged, TouchpointRequested
from rapport_events.envelope import DomainEvent, EventEnvelope
from rapport_events.tracing import continued_span

from journey.application.ports import (
    GoalOutcome,
    JourneyUnitOfWork,
    MapStageMove,
    MapTimer,
    MemberPosition,
    Task,
    TimelineLine,
    TimerCancelling,
    TouchpointRecord,
)
from journey.application.running_maps import RunningMaps
from journey.domain.engine import (
    Decision,
    DueTimer,
    Engine,
    PlannedTouchpoint,
    Position,
    TimerCancel,
)
from journey.domain.errors import MemberOfAnotherBrand
from journey.domain.facts import MemberEvent, MemberFacts
from journey.domain.journey import MemberJourney
from journey.domain.timers import Timer, timer_id

PRIMARY_MAP: Final = "lifecycle"
"""The map whose stage is "her stage" in the member API and in ``journeys.stage``."""
LATE_TIMER: Final = timedelta(minutes=1)


@dataclass(frozen=True)
class Cause:
    """What made the decisions: a consumed event or a due timer (ids and tracing)."""

    id: str
    envelope: EventEnvelope | None = None
    traceparent: str | None = None
    tracestate: str | None = None
    correlation_id: str | None = None
    event_id: str | None = None
    late_by: timedelta | None = None

    @classmethod
    def of_event(cls, envelope: EventEnvelope) -> Cause:
        return cls(
            id=envelope.id,
            envelope=envelope,
            traceparent=envelope.traceparent,
            tracestate=envelope.tracestate,
            correlation_id=envelope.correlationid,
            event_id=envelope.id,
        )

    @classmethod
    def of_timer(cls, timer: Timer, now: datetime) -> Cause:
        # What a timer causes stays in the trace and flow of the event that armed it.
        late = now - timer.due_at
        return cls(
            id=timer.timer_id,
            traceparent=timer.traceparent,
            tracestate=timer.tracestate,
            correlation_id=timer.correlation_id,
            event_id=timer.armed_by_event_id,
            late_by=late if late > LATE_TIMER else None,
        )

    def entering(self) -> Cause:
        return Cause(
            f"enter:{self.id}",
            self.envelope,
            self.traceparent,
            self.tracestate,
            self.correlation_id,
            self.event_id,
            self.late_by,
        )


@dataclass
class _Member:
    journey: MemberJourney
    facts: MemberFacts
    positions: dict[str, Position]
    touched: set[str] = field(default_factory=set)
    """Map keys whose position may have changed."""


@dataclass(frozen=True)
class _Request:
    """A touchpoint about to be asked for, with what follows if its id is new."""

    record: TouchpointRecord
    announcement: TouchpointRequested | None
    cause: Cause | None
    task: Task | None = None
    goal: GoalOutcome | None = None


class _Writes:
    """Everything one batch decided, written with about one statement per table."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.moves: list[MapStageMove] = []
        self.timers: dict[tuple[str, str, str, str], MapTimer] = {}
        self._slots: dict[tuple[str, str, str], set[tuple[str, str, str, str]]] = {}
        """The keys of :attr:`timers` by member, map and kind, for cancels."""
        self.cancels: list[tuple[str, str, TimerCancel]] = []
        self.requests: dict[str, _Request] = {}
        self.goals_reached: dict[datetime, list[str]] = {}
        self.timeline: list[TimelineLine] = []
        self.announcements: list[tuple[DomainEvent, str, Cause]] = []

    def cancel(self, member_id: str, map_key: str, cancel: TimerCancel) -> None:
        # Timers this batch armed are called off here, those already stored at the flush.
        for key in list(self._slots.get((member_id, map_key, cancel.kind), ())):
            armed = self.timers[key]
            if cancel.slot in (None, key[3]) and (
                cancel.armed_before is None or armed.timer.armed_for < cancel.armed_before
            ):
                del self.timers[key]
                self._slots[key[:3]].discard(key)
        self.cancels.append((member_id, map_key, cancel))

    def arm(self, timer: MapTimer) -> None:
        key = (timer.timer.member_id, timer.map_key, timer.timer.kind, timer.timer.slot)
        self.timers.pop(key, None)
        self.timers[key] = timer
        self._slots.setdefault(key[:3], set()).add(key)

    def request(self, request: _Request) -> None:
        self.requests.setdefault(request.record.touchpoint_id, request)

    async def flush(self, uow: JourneyUnitOfWork) -> None:
        now = self.now
        await uow.timers.cancel_many(
            [
                TimerCancelling(member_id, cancel.kind, map_key, cancel.slot, cancel.armed_before)
                for member_id, map_key, cancel in dict.fromkeys(self.cancels)
            ],
            now,
        )
        if self.timers:
            await uow.timers.arm_on_maps(list(self.timers.values()), now)
        if self.moves:
            await uow.stage_history.append(self.moves)
        requests = list(self.requests.values())
        new = set(await uow.touchpoints.record_many([r.record for r in requests]))
        asked = [r for r in requests if r.record.touchpoint_id in new]
        tasks = [r.task for r in asked if r.task is not None]
        goals = [r.goal for r in asked if r.goal is not None]
        if tasks:
            await uow.tasks.add(tasks)
            self.timeline.extend(_task_created(task) for task in tasks)
        if goals:
            await uow.goals.open(goals)
        for at, touchpoint_ids in self.goals_reached.items():
            await uow.goals.reach(touchpoint_ids, at)
        if self.timeline:
            await uow.timeline.append(self.timeline)
        for event, brand_id, cause in self.announcements:
            _emit(uow, event, brand_id, cause)
        for request in asked:
            if request.announcement is not None and request.cause is not None:
                _emit(uow, request.announcement, request.record.brand_id, request.cause)


def _task_created(task: Task) -> TimelineLine:
    return TimelineLine(
        brand_id=task.brand_id,
        member_id=task.member_id,
        at=task.created_at,
        kind="task_created",
        rule=task.trigger,
        reason=f"{task.template} for {task.audience} {task.assignee_id}, "
        f"due {task.due_at:%Y-%m-%d}",
        store_id=task.store_id,
        associate_id=task.assignee_id if task.audience == "associate" else None,
        map_key=task.map_key,
        version=task.version,
        detail={"task_id": task.task_id, "priority": task.priority},
    )


def _emit(uow: JourneyUnitOfWork, event: DomainEvent, brand_id: str, cause: Cause) -> None:
    """Emit ``event`` in the flow of its cause: the consumed event's, or, for a timer, the
    trace and correlation of the event that armed it (days ago)."""
    if cause.envelope is not None:
        uow.emit(event, brand_id=brand_id, caused_by=cause.envelope)
        return
    with continued_span(
        "journey.timer.fire",
        traceparent=cause.traceparent,
        tracestate=cause.tracestate,
        correlation_id=cause.correlation_id,
        attributes={"rapport.timer.id": cause.id},
    ):
        uow.emit(event, brand_id=brand_id)


class Placement:
    """Runs the brand's maps over batches of member events and of due timers."""

    def __init__(self, maps: RunningMaps) -> None:
        self.maps = maps

    # ------------------------------------------------------------------ events

    async def place(self, uow: JourneyUnitOfWork) -> None:
        """Work every member event the transaction's handlers collected."""
        collected = uow.collected.take()
        if not collected:
            return
        now = uow.clock.now()
        fresh = set(await uow.member_events.add([event for event, _ in collected], now))
        # Recorded for the first time, and once each (a duplicate in the batch counts once).
        collected = list(
            {e.event_id: (e, envelope) for e, envelope in collected if e.event_id in fresh}.values()
        )
        if not collected:
            return
        members = await self._load(uow, {e.member_id: e.brand_id for e, _ in collected})
        for event, _ in collected:
            try:
                members[event.member_id].journey.ensure_brand(event.brand_id)
            except MemberOfAnotherBrand as refusal:
                # No retry can make another brand's event acceptable.
                raise RejectEvent(refusal.message) from refusal
        writes = _Writes(now)
        for event, envelope in collected:
            member = members[event.member_id]
            member.facts.apply(event)
            member.journey.follow(member.facts)
            await self._on_event(uow, member, event, Cause.of_event(envelope), writes)
        await self._save(uow, members.values(), writes)

    async def _on_event(
        self,
        uow: JourneyUnitOfWork,
        member: _Member,
        event: MemberEvent,
        cause: Cause,
        writes: _Writes,
    ) -> None:
        now = writes.now
        for active in await self.maps.active(uow, event.brand_id):
            key = active.map.key
            position = member.positions.get(key)
            if position is None or (await self._pinned(uow, member, position)).may_reenter(
                position
            ):
                position, entered = active.enter(member.facts, event.at, now, previous=position)
                member.positions[key] = position
                await self._apply(uow, member, active, entered, cause.entering(), writes)
            engine = await self._pinned(uow, member, position)
            decision = engine.on_event(position, member.facts, event, now)
            await self._apply(uow, member, engine, decision, cause, writes)
            member.touched.add(key)

    # ------------------------------------------------------------------ timers

    async def fire_due(self, uow: JourneyUnitOfWork, now: datetime, limit: int) -> int:
        """Fire the map timers due by ``now`` and by the event-time watermark; how many."""
        watermark = await uow.event_time_watermark()
        if watermark is None:
            return 0  # nothing consumed yet: what happened before any due time is unknown
        timers = await uow.timers.due_on_maps(min(now, watermark), limit)
        if not timers:
            return 0
        # Marked first, so a trigger re-arming its own slot does not cancel the firing one.
        await uow.timers.mark_fired_many([due.timer.timer_id for due in timers], now)
        members = await self._load(uow, {t.timer.member_id: t.timer.brand_id for t in timers})
        writes = _Writes(now)
        for due in timers:
            timer, member = due.timer, members[due.timer.member_id]
            position = member.positions.get(due.map_key)
            if position is None:
                continue
            engine = await self._pinned(uow, member, position)
            decision = engine.on_timer(
                position,
                member.facts,
                DueTimer(
                    timer_id=timer.timer_id,
                    kind=timer.kind,
                    slot=timer.slot,
                    due_at=timer.due_at,
                    armed_for=timer.armed_for,
                    payload=timer.payload,
                ),
                now,
            )
            await self._apply(uow, member, engine, decision, Cause.of_timer(timer, now), writes)
            member.touched.add(due.map_key)
        await self._save(uow, members.values(), writes)
        return len(timers)

    # ------------------------------------------------------------------ shared

    async def _load(self, uow: JourneyUnitOfWork, brands: Mapping[str, str]) -> dict[str, _Member]:
        ids = sorted(brands)
        journeys = await uow.journeys.lock_many(brands)
        snapshots = await uow.facts.load(ids)
        positions = await uow.positions.load(ids)
        members: dict[str, _Member] = {}
        for member_id in ids:
            journey = journeys[member_id]
            snapshot = snapshots.get(member_id)
            facts = (
                MemberFacts.restore(snapshot)
                if snapshot
                else MemberFacts(member_id, journey.brand_id)
            )
            members[member_id] = _Member(journey, facts, dict(positions.get(member_id, {})))
        return members

    async def _pinned(self, uow: JourneyUnitOfWork, member: _Member, position: Position) -> Engine:
        """The engine of the version she stands on: she stays on it until she exits."""
        return await self.maps.version(
            uow, member.journey.brand_id, position.map_key, position.version
        )

    async def _save(
        self, uow: JourneyUnitOfWork, members: Iterable[_Member], writes: _Writes
    ) -> None:
        members = list(members)
        await writes.flush(uow)
        await uow.positions.save(
            [
                MemberPosition(m.journey.member_id, m.journey.brand_id, m.positions[key])
                for m in members
                for key in sorted(m.touched)
            ]
        )
        await uow.facts.save({m.journey.member_id: m.facts.snapshot() for m in members})
        await uow.journeys.save_many([m.journey for m in members])

    async def _apply(
        self,
        uow: JourneyUnitOfWork,
        member: _Member,
        engine: Engine,
        decision: Decision,
        cause: Cause,
        writes: _Writes,
    ) -> None:
        self._moves(member, engine, decision, cause, writes)
        self._timers(member, engine, decision, cause, writes)
        for planned in decision.touchpoints:
            await self._request(uow, member, engine, planned, cause, writes)
        for skipped in decision.skipped:
            trigger = engine.map.trigger(skipped.trigger)
            template = trigger.touchpoint.template if trigger and trigger.touchpoint else ""
            writes.request(
                _Request(
                    self._record(
                        member,
                        engine,
                        skipped.touchpoint_id,
                        skipped.trigger,
                        template,
                        "",
                        writes.now,
                        "skipped",
                        skipped.reason,
                    ),
                    None,
                    None,
                )
            )
        for reached in decision.goals_reached:
            writes.goals_reached.setdefault(reached.at, []).append(reached.goal.touchpoint_id)
        journey = member.journey
        for entry in decision.timeline:
            detail: dict[str, Any] = dict(entry.detail)
            if cause.late_by is not None:
                detail["timer_late_by_seconds"] = int(cause.late_by.total_seconds())
            writes.timeline.append(
                TimelineLine(
                    brand_id=journey.brand_id,
                    member_id=journey.member_id,
                    at=entry.at,
                    kind=entry.kind,
                    rule=entry.rule,
                    reason=entry.reason,
                    store_id=journey.store_id,
                    associate_id=journey.associate_id,
                    map_key=entry.map_key,
                    version=entry.version,
                    detail=detail,
                )
            )

    def _moves(
        self, member: _Member, engine: Engine, decision: Decision, cause: Cause, writes: _Writes
    ) -> None:
        journey, journey_map = member.journey, engine.map
        for move in decision.stage_moves:
            writes.moves.append(
                MapStageMove(
                    journey.member_id,
                    journey.brand_id,
                    journey_map.key,
                    move.from_stage,
                    move.to_stage,
                    move.reason,
                    move.at,
                )
            )
            if journey_map.key == PRIMARY_MAP:
                journey.stage = move.to_stage
            changed = StageChanged(
                member_id=journey.member_id,
                brand_id=journey.brand_id,
                map_key=journey_map.key,
                map_version=journey_map.version,
                from_stage=move.from_stage,
                to_stage=move.to_stage,
                reason=move.reason,
                changed_at=move.at,
            )
            writes.announcements.append((changed, journey.brand_id, cause))

    def _timers(
        self, member: _Member, engine: Engine, decision: Decision, cause: Cause, writes: _Writes
    ) -> None:
        journey, key = member.journey, engine.map.key
        for cancel in decision.cancel:
            writes.cancel(journey.member_id, key, cancel)
        for request in decision.arm:
            timer = Timer(
                timer_id=timer_id(journey.member_id, request.kind, request.slot, cause.id),
                member_id=journey.member_id,
                brand_id=journey.brand_id,
                kind=request.kind,
                due_at=request.due_at,
                armed_for=request.armed_for,
                slot=request.slot,
                payload=request.payload,
                armed_by_event_id=cause.event_id,
                traceparent=cause.traceparent,
                tracestate=cause.tracestate,
                correlation_id=cause.correlation_id,
            )
            writes.arm(MapTimer(timer, key, engine.map.version))

    async def _request(
        self,
        uow: JourneyUnitOfWork,
        member: _Member,
        engine: Engine,
        planned: PlannedTouchpoint,
        cause: Cause,
        writes: _Writes,
    ) -> None:
        journey, spec, now = member.journey, planned.spec, writes.now
        recipient = await self._recipient(uow, member, planned)
        if recipient is None:
            reason = f"no store manager known for store {journey.store_id}"
            writes.request(
                _Request(
                    self._record(
                        member,
                        engine,
                        planned.touchpoint_id,
                        planned.trigger,
                        spec.template,
                        "task",
                        now,
                        "skipped",
                        reason,
                    ),
                    None,
                    None,
                )
            )
            return
        channel = "task" if spec.is_task else journey.preferred_channel
        announcement = TouchpointRequested(
            touchpoint_id=planned.touchpoint_id,
            member_id=journey.member_id,
            brand_id=journey.brand_id,
            store_id=journey.store_id,
            template=spec.template,
            audience=spec.to,
            channel=channel,
            recipient_id=recipient,
            marketing=spec.category == "marketing",
            variables=dict(planned.variables),
            map_key=engine.map.key,
            trigger=planned.trigger,
            requested_at=now,
        )
        trigger = engine.map.trigger(planned.trigger)
        goal = trigger.goal if trigger is not None else None
        writes.request(
            _Request(
                self._record(
                    member,
                    engine,
                    planned.touchpoint_id,
                    planned.trigger,
                    spec.template,
                    channel,
                    now,
                    "requested",
                    None,
                ),
                announcement,
                cause,
                task=self._task(member, engine, planned, recipient, now) if spec.is_task else None,
                goal=GoalOutcome(
                    touchpoint_id=planned.touchpoint_id,
                    brand_id=journey.brand_id,
                    map_key=engine.map.key,
                    version=engine.map.version,
                    trigger=planned.trigger,
                    member_id=journey.member_id,
                    store_id=journey.store_id,
                    associate_id=journey.associate_id,
                    opened_at=planned.moment,
                    deadline=goal.within.after(planned.moment),
                )
                if goal is not None
                else None,
            )
        )

    async def _recipient(
        self, uow: JourneyUnitOfWork, member: _Member, planned: PlannedTouchpoint
    ) -> str | None:
        journey = member.journey
        if planned.spec.to == "member":
            return journey.member_id
        if planned.spec.to == "associate":
            return member.facts.associate_id or journey.associate_id
        if journey.store_id is None:
            return None
        managers = await uow.directory.store_managers(journey.store_id)
        return managers[0].staff_id if managers else None

    def _task(
        self,
        member: _Member,
        engine: Engine,
        planned: PlannedTouchpoint,
        assignee: str,
        now: datetime,
    ) -> Task:
        journey, spec = member.journey, planned.spec
        suggestion = spec.suggestion
        return Task(
            task_id=planned.touchpoint_id,
            brand_id=journey.brand_id,
            member_id=journey.member_id,
            store_id=journey.store_id,
            assignee_id=assignee,
            audience="store_manager" if spec.to == "store_manager" else "associate",
            template=spec.template,
            map_key=engine.map.key,
            version=engine.map.version,
            trigger=planned.trigger,
            priority=spec.priority,
            due_at=spec.due_in.after(planned.moment) if spec.due_in else planned.moment,
            created_at=now,
            suggestion={
                "template": suggestion.template,
                "category": suggestion.category,
                "variables": {
                    "surname": member.facts.surname or "",
                    "title": member.facts.title,
                    **suggestion.variables,
                },
            }
            if suggestion is not None
            else None,
        )

    @staticmethod
    def _record(
        member: _Member,
        engine: Engine,
        touchpoint_id: str,
        trigger: str,
        template: str,
        channel: str,
        now: datetime,
        status: Any,
        reason: str | None,
    ) -> TouchpointRecord:
        return TouchpointRecord(
            touchpoint_id=touchpoint_id,
            member_id=member.journey.member_id,
            brand_id=member.journey.brand_id,
            template=template,
            channel=channel,
            status=status,
            requested_at=now,
            reason=reason,
            resolved_at=now if status == "skipped" else None,
            map_key=engine.map.key,
            trigger=trigger,
        )
