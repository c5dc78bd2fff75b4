"""Reacting to members' events and firing due timers.

Every function runs inside one unit of work: the journey's new state, its stage history,
its timers, its touchpoint log and the events it emits commit together, or none of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from rapport_events.contracts.identity import MemberBoundToAssociate, MemberRegistered
from rapport_events.contracts.journey import StageChanged, TouchpointRequested
from rapport_events.contracts.notifier import MessageDelivered, MessageDeliveryFailed
from rapport_events.contracts.service_orders import VisitCompleted
from rapport_events.envelope import EventEnvelope
from rapport_events.tracing import continued_span

from journey.application.ports import JourneyUnitOfWork, TouchpointRecord
from journey.domain.journey import MemberJourney, Visit
from journey.domain.rules import Reaction, Rulebook, standard_rulebook
from journey.domain.timers import Timer, timer_id

STANDARD_RULES: Final = standard_rulebook()
TIMER_BATCH: Final = 100


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


async def member_registered(
    event: MemberRegistered,
    envelope: EventEnvelope,
    uow: JourneyUnitOfWork,
    rules: Rulebook = STANDARD_RULES,
) -> None:
    journey = await uow.journeys.load(event.member_id, event.brand_id)
    journey.register(
        store_id=event.store_id,
        surname=event.surname,
        gender=event.gender,
        preferred_channel=event.preferred_channel,
        birthday=event.birthday,
        at=event.registered_at,
    )
    reaction = rules.on_registered(journey, event.registered_at)
    await _apply(uow, journey, reaction, _Cause.event(envelope), uow.clock.now())


async def member_bound(
    event: MemberBoundToAssociate, envelope: EventEnvelope, uow: JourneyUnitOfWork
) -> None:
    journey = await uow.journeys.load(event.member_id, event.brand_id)
    journey.bind(event.associate_id, event.store_id)
    await _apply(uow, journey, Reaction(), _Cause.event(envelope), uow.clock.now())


async def visit_completed(
    event: VisitCompleted,
    envelope: EventEnvelope,
    uow: JourneyUnitOfWork,
    rules: Rulebook = STANDARD_RULES,
) -> None:
    visit = Visit(
        visit_id=event.visit_id,
        store_id=event.store_id,
        service_code=event.service_code,
        amount=event.amount,
        at=event.completed_at,
    )
    journey = await uow.journeys.load(event.member_id, event.brand_id)
    journey.record_visit(visit)
    reaction = rules.on_visit(journey, visit)
    await _apply(uow, journey, reaction, _Cause.event(envelope), uow.clock.now())


async def delivery_result(
    event: MessageDelivered | MessageDeliveryFailed, uow: JourneyUnitOfWork
) -> None:
    """Note the notifier's outcome on the touchpoint log; other services' touchpoints
    (not in the log) are none of journey's business."""
    if isinstance(event, MessageDelivered):
        await uow.touchpoints.resolve(event.touchpoint_id, "delivered", None, event.delivered_at)
    else:
        await uow.touchpoints.resolve(event.touchpoint_id, "failed", event.reason, event.failed_at)


async def fire_due_timers(
    uow: JourneyUnitOfWork,
    now: datetime,
    limit: int = TIMER_BATCH,
    *,
    rules: Rulebook = STANDARD_RULES,
) -> int:
    """Hand every timer due by ``now`` to the rule owning its kind; returns how many fired.

    Kinds no rule owns are left alone for a version of the service that knows them.
    """
    timers = await uow.timers.due(now, limit, rules.timer_kinds)
    for timer in timers:
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
                continue
            reaction = rules.on_timer(journey, timer, now)
            await _apply(uow, journey, reaction, _Cause.timer(timer), now, facts_changed=False)
    return len(timers)


async def _apply(
    uow: JourneyUnitOfWork,
    journey: MemberJourney,
    reaction: Reaction,
    cause: _Cause,
    now: datetime,
    *,
    facts_changed: bool = True,
) -> None:
    changes = journey.take_changes()
    if changes or facts_changed:
        await uow.journeys.save(journey, changes)
    for change in changes:
        uow.emit(
            StageChanged(
                member_id=journey.member_id,
                brand_id=journey.brand_id,
                from_stage=change.from_stage,
                to_stage=change.to_stage,
                reason=change.reason,
                changed_at=change.at,
            ),
            brand_id=journey.brand_id,
            caused_by=cause.envelope,
        )
    for request in reaction.timers:
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
        await uow.timers.arm(timer, now)
    for touchpoint in reaction.touchpoints:
        first_request = await uow.touchpoints.record(
            TouchpointRecord(
                touchpoint_id=touchpoint.touchpoint_id,
                member_id=journey.member_id,
                brand_id=journey.brand_id,
                template=touchpoint.template,
                channel=touchpoint.channel,
                status="requested",
                requested_at=now,
            )
        )
        if not first_request:
            continue
        uow.emit(
            TouchpointRequested(
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
            ),
            brand_id=journey.brand_id,
            caused_by=cause.envelope,
        )
