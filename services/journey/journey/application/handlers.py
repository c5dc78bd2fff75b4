"""Reacting to members' events and firing due timers, through the brand's journey maps.

The consumer's handlers translate and collect: each member event is kept as journey keeps
it (:mod:`journey.application.member_events`) and placed with the rest of its transaction
by :class:`~journey.application.placement.Placement` in the consumer's finish step (one
batch, a few statements). Everything a batch causes (positions, facts, stage moves, timers,
touchpoints, tasks, goals, timeline, the events it emits) commits with the inbox rows of
its events, or none of it does.

A journey is its brand's: an event about a member whose journey another brand holds is
refused (:class:`~journey.domain.errors.MemberOfAnotherBrand`) before it touches anything.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from rapport_events.clock import Clock
from rapport_events.contracts.identity import MemberBoundToAssociate
from rapport_events.contracts.notifier import (
    MessageCapped,
    MessageDelivered,
    MessageDeliveryFailed,
    MessageHeld,
    TemplateSaved,
)
from rapport_events.envelope import DomainEvent, EventEnvelope

from journey.application.commands import FireDueTimers
from journey.application.member_events import member_event
from journey.application.placement import Placement
from journey.application.ports import JourneyUnitOfWork, Outcome, TimelineLine
from journey.application.tasks import reassign_open_tasks

DeliveryResult = MessageDelivered | MessageDeliveryFailed | MessageCapped | MessageHeld


class JourneyHandlers:
    """Journey's reactions: consumed events (in the consumer's unit of work, placed in its
    finish step) and due timers (in a unit of work of their own)."""

    def __init__(
        self,
        unit_of_work: Callable[[], JourneyUnitOfWork],
        clock: Clock,
        placement: Placement,
    ) -> None:
        self._unit_of_work = unit_of_work
        self._clock = clock
        self.placement = placement

    async def on_member_event(
        self, event: DomainEvent, envelope: EventEnvelope, uow: JourneyUnitOfWork
    ) -> None:
        """Keep the event for the batch's placement."""
        kept = member_event(event, envelope)
        if kept is not None:
            uow.collected.events.append((kept, envelope))

    async def on_member_bound(
        self, event: MemberBoundToAssociate, envelope: EventEnvelope, uow: JourneyUnitOfWork
    ) -> None:
        """A binding is a member event like the others; a hand-over also moves her open
        tasks to her new associate (alerts stay with the store manager)."""
        await self.on_member_event(event, envelope, uow)
        journey = await uow.journeys.get(event.member_id)
        if journey is not None:
            journey.ensure_brand(event.brand_id)
            await reassign_open_tasks(uow, event.member_id, event.associate_id)

    async def on_delivery_result(
        self, event: DeliveryResult, envelope: EventEnvelope, uow: JourneyUnitOfWork
    ) -> None:
        """Note the notifier's outcome on the touchpoint log and her timeline; sent and
        failed messages are also member events maps may react to (goals, figures). Other
        services' touchpoints (not in the log) change nothing."""
        journey = await uow.journeys.get(event.member_id)
        if journey is None:
            return
        journey.ensure_brand(event.brand_id)
        status, reason, at = _outcome(event)
        if not await uow.touchpoints.resolve(
            event.touchpoint_id, event.member_id, status, reason, at
        ):
            return
        await uow.timeline.append(
            [
                TimelineLine(
                    brand_id=journey.brand_id,
                    member_id=journey.member_id,
                    at=at,
                    kind=f"touchpoint_{status}",
                    rule=event.template,
                    reason=reason or f"{event.template} {status} on {event.channel}",
                    store_id=journey.store_id,
                    associate_id=journey.associate_id,
                    detail={"touchpoint_id": event.touchpoint_id, "channel": event.channel},
                )
            ]
        )
        if isinstance(event, MessageDelivered | MessageDeliveryFailed):
            await self.on_member_event(event, envelope, uow)

    async def on_template_saved(
        self, event: TemplateSaved, envelope: EventEnvelope, uow: JourneyUnitOfWork
    ) -> None:
        """Remember which templates the brand has, for checking the maps it publishes."""
        await uow.templates.remember(event.brand_id, event.key, event.is_task, event.saved_at)

    async def place(self, uow: JourneyUnitOfWork) -> None:
        """The consumer's finish step: place what this transaction's handlers collected."""
        await self.placement.place(uow)

    async def fire_due_timers(self, command: FireDueTimers | None = None) -> int:
        """Fire map timers due by now (on the handlers' clock unless the command says) and
        by the consumer's event-time watermark, in one unit of work; how many fired."""
        command = command or FireDueTimers(now=self._clock.now())
        async with self._unit_of_work() as uow:
            return await self.placement.fire_due(uow, command.now, command.limit)


def _outcome(event: DeliveryResult) -> tuple[Outcome, str | None, datetime]:
    if isinstance(event, MessageDelivered):
        return "delivered", None, event.delivered_at
    if isinstance(event, MessageDeliveryFailed):
        return "failed", event.reason, event.failed_at
    if isinstance(event, MessageCapped):
        return "capped", event.reason, event.capped_at
    return "held", f"{event.reason}; held until {event.held_until.isoformat()}", event.held_at
