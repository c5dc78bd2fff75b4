"""Reacting to members' events and firing due timers.

Everything one event or one batch of timers causes happens inside one unit of work: the
journey's new state, its stage history, its timers, its touchpoint log and the events it
emits commit together, or none of them.

A journey is its brand's: an event about a member whose journey another brand holds is
refused (:class:`~journey.domain.errors.MemberOfAnotherBrand`) before it touches anything.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from rapport_events.clock import Clock
from rapport_events.contracts.identity import MemberBoundToAssociate, MemberRegistered
from rapport_events.contracts.journey import StageChanged, TouchpointRequested
from rapport_events.contracts.notifier import MessageDelivered, MessageDeliveryFailed
from rapport_events.contracts.service_orders import VisitCompleted
from rapport_events.envelope import EventEnvelope
from rapport_events.tracing import continued_span

from journey.application.commands import FireDueTimers
from journey.application.ports import JourneyUnitOfWork, TouchpointRecord
from journey.domain.journey import MemberJourney, StageChange, Visit
from journey.domain.rules import NOTHING, Reaction, Rulebook, standard_rulebook
from journey.domain.timers import Timer, TimerRequest, timer_id
from journey.domain.touchpoints import Touchpoint

STANDARD_RULES: Final = standard_rulebook()


@dataclass(frozen=True)
class _Cause:
    """What made the journey move: a consumed event, or a timer coming due."""

    id: str
    envelope: EventEnvelope | None
    traceparent: str | None
    tracestate: str | None
    correlation_id: str | None
    event_id: str | None

    @classmethod
    def event(cls, envelope: EventEnvelope) -> _Cause:
        return cls(
            id=envelope.id,
            envelope=envelope,
            traceparent=envelope.traceparent,
            tracestate=envelope.tracestate,
            correlation_id=envelope.correlationid,
            event_id=envelope.id,
        )

    @classmethod
    def timer(cls, timer: Timer) -> _Cause:
        # A timer armed by a timer stays in the trace of the event that armed the first one.
        return cls(
            id=timer.timer_id,
            envelope=None,
            traceparent=timer.traceparent,
            tracestate=timer.tracestate,
            correlation_id=timer.correlation_id,
            event_id=timer.armed_by_event_id,
        )


class JourneyHandlers:
    """Journey's reactions: consumed events (in the consumer's unit of work) and due timers
    (in a unit of work of their own), each decided by the rulebook."""

    def __init__(
        self,
        unit_of_work: Callable[[], JourneyUnitOfWork],
        clock: Clock,
        *,
        rules: Rulebook = STANDARD_RULES,
    ) -> None:
        self._unit_of_work = unit_of_work
        self._clock = clock
        self.rules = rules

    async def on_member_registered(
        self, event: MemberRegistered, envelope: EventEnvelope, uow: JourneyUnitOfWork
    ) -> None:
        journey = await _journey_of(uow, event.member_id, event.brand_id)
        journey.register(
            store_id=event.store_id,
            surname=event.surname,
            gender=event.gender,
            preferred_channel=event.preferred_channel,
            birthday=event.birthday,
            at=event.registered_at,
        )
        reaction = self.rules.on_registered(journey, event.registered_at)
        await _apply(uow, journey, reaction, _Cause.event(envelope), uow.clock.now())

    async def on_member_bound(
        self, event: MemberBoundToAssociate, envelope: EventEnvelope, uow: JourneyUnitOfWork
    ) -> None:
        journey = await _journey_of(uow, event.member_id, event.brand_id)
        journey.bind(event.associate_id, event.store_id)
        await _apply(uow, journey, NOTHING, _Cause.event(envelope), uow.clock.now())

    async def on_visit_completed(
        self, event: VisitCompleted, envelope: EventEnvelope, uow: JourneyUnitOfWork
    ) -> None:
        visit = Visit(
            visit_id=event.visit_id,
            store_id=event.store_id,
            service_code=event.service_code,
            amount=event.amount,
            at=event.completed_at,
        )
        journey = await _journey_of(uow, event.member_id, event.brand_id)
        journey.record_visit(visit)
        reaction = self.rules.on_visit(journey, visit)
        await _apply(uow, journey, reaction, _Cause.event(envelope), uow.clock.now())

    async def on_delivery_result(
        self,
        event: MessageDelivered | MessageDeliveryFailed,
        envelope: EventEnvelope,
        uow: JourneyUnitOfWork,
    ) -> None:
        """Note the notifier's outcome on the touchpoint log; other services' touchpoints
        (not in the log) are none of journey's business, and a result naming another
        member's touchpoint changes nothing."""
        journey = await uow.journeys.get(event.member_id)
        if journey is not None:  # a result about another brand's member is not ours to note
            journey.ensure_brand(event.brand_id)
        touchpoints = uow.touchpoints
        if isinstance(event, MessageDelivered):
            await touchpoints.resolve(
                event.touchpoint_id, event.member_id, "delivered", None, event.delivered_at
            )
        else:
            await touchpoints.resolve(
                event.touchpoint_id, event.member_id, "failed", event.reason, event.failed_at
            )

    async def fire_due_timers(self, command: FireDueTimers | None = None) -> int:
        """Hand every timer due (by now, on the handlers' clock, unless the command says
        otherwise) to the rule owning its kind, in one unit of work; returns how many fired.

        Kinds no rule owns are left alone for a version of the service that knows them.
        """
        command = command or FireDueTimers(now=self._clock.now())
        async with self._unit_of_work() as uow:
            timers = await uow.timers.due(command.now, command.limit, self.rules.timer_kinds)
            for timer in timers:
                await self._fire(uow, timer, command.now)
        return len(timers)

    async def _fire(self, uow: JourneyUnitOfWork, timer: Timer, now: datetime) -> None:
        # Marked first, so a rule re-arming its own slot does not cancel the firing timer.
        await uow.timers.mark_fired(timer.timer_id, now)
        # What a timer causes belongs to the trace and the flow of the event that armed it.
        with continued_span(
            "journey.timer.fire",
            traceparent=timer.traceparent,
            tracestate=timer.tracestate,
            correlation_id=timer.correlation_id,
            attributes={"rapport.timer.kind": timer.kind, "rapport.timer.id": timer.timer_id},
        ):
            journey = await uow.journeys.get(timer.member_id)
            if journey is None:
                return
            reaction = self.rules.on_timer(journey, timer, now)
            await _apply(uow, journey, reaction, _Cause.timer(timer), now, facts_changed=False)


async def _journey_of(uow: JourneyUnitOfWork, member_id: str, brand_id: str) -> MemberJourney:
    """Her journey, a blank one of ``brand_id`` if she is new; refused if another brand's.

    Checked on the locked row: of two first events about her side by side, the second reads
    the journey the first started, whichever brand it says.
    """
    journey = await uow.journeys.load(member_id, brand_id)
    journey.ensure_brand(brand_id)
    return journey


async def _apply(
    uow: JourneyUnitOfWork,
    journey: MemberJourney,
    reaction: Reaction,
    cause: _Cause,
    now: datetime,
    *,
    facts_changed: bool = True,
) -> None:
    """Make what the rules decided happen: the journey and its stage changes, the timers
    they arm, the touchpoints they request."""
    await _save_and_announce(uow, journey, cause, facts_changed=facts_changed)
    await _arm_timers(uow, journey, reaction.timers, cause, now)
    await _request_touchpoints(uow, journey, reaction.touchpoints, cause, now)


async def _save_and_announce(
    uow: JourneyUnitOfWork, journey: MemberJourney, cause: _Cause, *, facts_changed: bool
) -> None:
    changes = journey.take_changes()
    if changes or facts_changed:
        await uow.journeys.save(journey, changes)
    for change in changes:
        announcement = _stage_changed(journey, change)
        uow.emit(announcement, brand_id=journey.brand_id, caused_by=cause.envelope)


def _stage_changed(journey: MemberJourney, change: StageChange) -> StageChanged:
    return StageChanged(
        member_id=journey.member_id,
        brand_id=journey.brand_id,
        from_stage=change.from_stage,
        to_stage=change.to_stage,
        reason=change.reason,
        changed_at=change.at,
    )


async def _arm_timers(
    uow: JourneyUnitOfWork,
    journey: MemberJourney,
    requests: Sequence[TimerRequest],
    cause: _Cause,
    now: datetime,
) -> None:
    for request in requests:
        await uow.timers.arm(_timer(journey, request, cause), now)


def _timer(journey: MemberJourney, request: TimerRequest, cause: _Cause) -> Timer:
    return Timer(
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


async def _request_touchpoints(
    uow: JourneyUnitOfWork,
    journey: MemberJourney,
    touchpoints: Sequence[Touchpoint],
    cause: _Cause,
    now: datetime,
) -> None:
    """Log each touchpoint and ask for it; one already in the log was asked for before."""
    for touchpoint in touchpoints:
        if await uow.touchpoints.record(_logged(journey, touchpoint, now)):
            uow.emit(
                _touchpoint_requested(journey, touchpoint, now),
                brand_id=journey.brand_id,
                caused_by=cause.envelope,
            )


def _logged(journey: MemberJourney, touchpoint: Touchpoint, now: datetime) -> TouchpointRecord:
    return TouchpointRecord(
        touchpoint_id=touchpoint.touchpoint_id,
        member_id=journey.member_id,
        brand_id=journey.brand_id,
        template=touchpoint.template,
        channel=touchpoint.channel,
        status="requested",
        requested_at=now,
    )


def _touchpoint_requested(
    journey: MemberJourney, touchpoint: Touchpoint, now: datetime
) -> TouchpointRequested:
    return TouchpointRequested(
        touchpoint_id=touchpoint.touchpoint_id,
        member_id=journey.member_id,
        brand_id=journey.brand_id,
        store_id=journey.store_id,
        template=touchpoint.template,
        audience=touchpoint.audience,
        channel=touchpoint.channel,
        recipient_id=touchpoint.recipient_id,
        marketing=touchpoint.marketing,
        variables=dict(touchpoint.variables),
        requested_at=now,
    )
