"""Reacting to members' events and firing timers.

Every function runs inside one unit of work: the journey's new state, its stage history,
its timers and the events it emits commit together.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from rapport_events.contracts.identity import MemberBoundToAssociate, MemberRegistered
from rapport_events.contracts.journey import StageChanged
from rapport_events.contracts.notifier import MessageDelivered, MessageDeliveryFailed
from rapport_events.contracts.service_orders import VisitCompleted
from rapport_events.envelope import EventEnvelope
from rapport_events.tracing import continued_span

from journey.application.ports import Emitter, JourneyStore, TouchpointRecord
from journey.domain.journey import LifecycleRules, MemberJourney
from journey.domain.timers import DORMANCY, Timer
from journey.domain.touchpoints import welcome_back


async def _journey(store: JourneyStore, member_id: str, brand_id: str) -> MemberJourney:
    return await store.get(member_id) or MemberJourney(member_id=member_id, brand_id=brand_id)


async def _save(
    store: JourneyStore,
    emitter: Emitter,
    journey: MemberJourney,
    caused_by: EventEnvelope | None,
) -> None:
    changes = journey.take_changes()
    await store.save(journey, changes)
    for change in changes:
        emitter.emit(
            StageChanged(
                member_id=journey.member_id,
                brand_id=journey.brand_id,
                from_stage=change.from_stage,
                to_stage=change.to_stage,
                reason=change.reason,
                changed_at=change.at,
            ),
            brand_id=journey.brand_id,
            caused_by=caused_by,
        )


async def member_registered(
    event: MemberRegistered, envelope: EventEnvelope, store: JourneyStore, emitter: Emitter
) -> None:
    journey = await _journey(store, event.member_id, event.brand_id)
    journey.register(
        store_id=event.store_id,
        surname=event.surname,
        gender=event.gender,
        preferred_channel=event.preferred_channel,
        at=event.registered_at,
    )
    await _save(store, emitter, journey, envelope)


async def member_bound(
    event: MemberBoundToAssociate, envelope: EventEnvelope, store: JourneyStore, emitter: Emitter
) -> None:
    journey = await _journey(store, event.member_id, event.brand_id)
    journey.bind(event.associate_id, event.store_id)
    await _save(store, emitter, journey, envelope)


async def visit_completed(
    event: VisitCompleted,
    envelope: EventEnvelope,
    store: JourneyStore,
    emitter: Emitter,
    rules: LifecycleRules,
) -> None:
    journey = await _journey(store, event.member_id, event.brand_id)
    journey.record_visit(event.completed_at, event.store_id, rules)
    await _save(store, emitter, journey, envelope)
    due = journey.dormancy_due(rules)
    if due is not None and journey.last_visit_at == event.completed_at:
        await store.arm(
            Timer(
                timer_id="tmr_" + uuid.uuid4().hex,
                member_id=journey.member_id,
                brand_id=journey.brand_id,
                kind=DORMANCY,
                due_at=due,
                armed_for=event.completed_at,
                armed_by_event_id=envelope.id,
                traceparent=envelope.traceparent,
                tracestate=envelope.tracestate,
                correlation_id=envelope.correlationid,
            )
        )


async def delivery_result(
    event: MessageDelivered | MessageDeliveryFailed, store: JourneyStore
) -> None:
    if isinstance(event, MessageDelivered):
        await store.resolve_touchpoint(event.touchpoint_id, "delivered", None, event.delivered_at)
    else:
        await store.resolve_touchpoint(event.touchpoint_id, "failed", event.reason, event.failed_at)


async def fire_due_timers(
    store: JourneyStore, emitter: Emitter, now: datetime, rules: LifecycleRules, limit: int = 100
) -> int:
    """Apply every timer due by ``now``; returns how many were taken."""
    timers = await store.due_timers(now, limit)
    for timer in timers:
        # The work a timer does continues the trace of the event that armed it.
        with continued_span(
            "journey.timer.fire",
            traceparent=timer.traceparent,
            tracestate=timer.tracestate,
            correlation_id=timer.correlation_id,
            attributes={"rapport.timer.kind": timer.kind, "rapport.member_id": timer.member_id},
        ):
            if timer.kind == DORMANCY:
                await _dormancy(timer, store, emitter, now, rules)
            await store.mark_fired(timer.timer_id, now)
    return len(timers)


async def _dormancy(
    timer: Timer, store: JourneyStore, emitter: Emitter, now: datetime, rules: LifecycleRules
) -> None:
    journey = await store.get(timer.member_id)
    if journey is None or not journey.is_quiet_since(timer.armed_for, now, rules):
        return  # she came back after the timer was armed: nothing to do
    if not journey.go_dormant(now, rules):
        return
    await _save(store, emitter, journey, None)
    touchpoint = welcome_back(journey, occasion=timer.timer_id, now=now)
    emitter.emit(touchpoint, brand_id=journey.brand_id)
    await store.record_touchpoint(
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
