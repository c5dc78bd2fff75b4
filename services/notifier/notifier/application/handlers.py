"""Saving a brand's templates, and turning a touchpoint request into a delivery and its result.

A touchpoint is handled in the consumer's unit of work: the duplicate check, the cap count,
the channel's record of the message, the failure row and the result event in the outbox. So a
crash either leaves no trace (the touchpoint is redelivered and handled afresh) or leaves the
delivery together with its result event. Deliveries about one member are decided one at a
time (``hold_member``), and a delivery row is unique per touchpoint: a touchpoint that arrives
again, even under a new event id or to two consumers at once, is sent once.

A touchpoint that crosses a brand (its envelope names another brand, or the replica knows its
recipient or store under another one) is refused with ``RejectEvent`` before anything is
written, and the consumer dead-letters it with the reason.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from rapport_events.clock import Clock
from rapport_events.consumer import RejectEvent, brand_mismatch
from rapport_events.contracts.journey import TouchpointRequested
from rapport_events.contracts.notifier import MessageDelivered, MessageDeliveryFailed
from rapport_events.envelope import EventEnvelope
from rapport_platform.auth import Principal

from notifier.application.access import acting_brand, ensure_may_edit_templates
from notifier.application.commands import SaveTemplate, touchpoint_of
from notifier.application.ports import ChannelReceipt, NotifierUnitOfWork, StoredTemplate
from notifier.application.references import foreign_reference
from notifier.application.templates import EffectiveTemplate, effective_template
from notifier.domain.deliveries import (
    WEEKLY_MARKETING_CAP,
    Delivery,
    MarketingCap,
    Message,
    Touchpoint,
    compose_message,
    counts_against_cap,
)
from notifier.domain.errors import DeliveryRefused, UnknownTemplate
from notifier.domain.templates import Template

log = logging.getLogger(__name__)

_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$")

Outcome = MessageDelivered | MessageDeliveryFailed


def new_delivery_id() -> str:
    return "dlv_" + uuid.uuid4().hex


def trace_id_of(traceparent: str | None) -> str | None:
    """The 32-hex trace id of a W3C ``traceparent``; None when absent or not well-formed."""
    if traceparent is None:
        return None
    match = _TRACEPARENT.match(traceparent.strip().lower())
    if match is None or set(match.group(1)) == {"0"}:
        return None
    return match.group(1)


@dataclass(frozen=True)
class Attempt:
    """One try at delivering a touchpoint: the facts its message or its failure carries."""

    touchpoint: Touchpoint
    delivery_id: str
    now: datetime
    trace_id: str | None
    correlation_id: str | None

    def compose(self, template: Template) -> Message:
        return compose_message(
            self.touchpoint,
            template,
            delivery_id=self.delivery_id,
            now=self.now,
            trace_id=self.trace_id,
            correlation_id=self.correlation_id,
        )

    def failure(self, reason: str, message: Message | None) -> Delivery:
        return Delivery.failed(
            self.touchpoint,
            delivery_id=self.delivery_id,
            reason=reason,
            now=self.now,
            channel=message.channel if message else None,
            text=message.text if message else None,
            trace_id=self.trace_id,
            correlation_id=self.correlation_id,
        )


class NotifierHandlers:
    """Template changes on a command; deliveries on journey's touchpoint requests."""

    def __init__(
        self,
        unit_of_work: Callable[[], NotifierUnitOfWork],
        clock: Clock,
        *,
        cap: MarketingCap = WEEKLY_MARKETING_CAP,
        delivery_ids: Callable[[], str] = new_delivery_id,
    ) -> None:
        self._unit_of_work = unit_of_work
        self._clock = clock
        self._cap = cap
        self._delivery_ids = delivery_ids

    async def save_template(self, caller: Principal, command: SaveTemplate) -> EffectiveTemplate:
        """Validate and store a brand's template; raises ``InvalidTemplate`` naming the field."""
        ensure_may_edit_templates(caller)
        brand = acting_brand(caller, command.brand_id)
        template = Template(key=command.key, channel=command.channel, body=command.body)
        template.check_savable()
        stored = StoredTemplate(template, updated_at=self._clock.now(), updated_by=caller.subject)
        async with self._unit_of_work() as uow:
            await uow.templates.save(brand, stored)
        return EffectiveTemplate.of(stored)

    async def on_touchpoint_requested(
        self, event: TouchpointRequested, envelope: EventEnvelope, uow: NotifierUnitOfWork
    ) -> None:
        touchpoint = touchpoint_of(event)
        # The consumer refuses a mismatched envelope before any handler runs; checking it again
        # keeps the handler safe however it is called.
        reason = brand_mismatch(event, envelope) or await foreign_reference(
            uow.directory, touchpoint
        )
        if reason is not None:
            # Before anything is held or written: a refused touchpoint leaves no trace.
            raise RejectEvent(reason)
        await uow.deliveries.hold_member(event.brand_id, event.member_id)
        if await uow.deliveries.exists(event.touchpoint_id):
            log.info("touchpoint %s already handled; ignoring it", event.touchpoint_id)
            return
        attempt = Attempt(
            touchpoint=touchpoint,
            delivery_id=self._delivery_ids(),
            now=uow.clock.now(),
            trace_id=trace_id_of(envelope.traceparent),
            correlation_id=envelope.correlationid,
        )
        outcome = await self._deliver(uow, attempt)
        uow.emit(outcome, brand_id=event.brand_id, caused_by=envelope)

    async def _deliver(self, uow: NotifierUnitOfWork, attempt: Attempt) -> Outcome:
        """Send the touchpoint, or record why not; the result event either way."""
        message: Message | None = None
        try:
            message = attempt.compose(await template_for(uow, attempt.touchpoint))
            await self._check_cap(uow, message)
            receipt = await uow.channel.send(message)
        except DeliveryRefused as refusal:
            failure = attempt.failure(refusal.reason, message)
            await uow.deliveries.record(failure)
            return delivery_failed(failure, refusal.reason)
        return message_delivered(attempt.touchpoint, receipt)

    async def _check_cap(self, uow: NotifierUnitOfWork, message: Message) -> None:
        touchpoint = message.touchpoint
        if not counts_against_cap(message.channel, touchpoint.marketing):
            return
        sent = await uow.deliveries.marketing_sent_since(
            touchpoint.brand_id, touchpoint.member_id, self._cap.window_start(message.created_at)
        )
        self._cap.check(sent, message.created_at)


async def template_for(uow: NotifierUnitOfWork, touchpoint: Touchpoint) -> Template:
    template = await effective_template(uow.templates, touchpoint.brand_id, touchpoint.template)
    if template is None:
        raise UnknownTemplate(f"no template {touchpoint.template!r} for this brand")
    return template


def message_delivered(touchpoint: Touchpoint, receipt: ChannelReceipt) -> MessageDelivered:
    return MessageDelivered(
        delivery_id=receipt.delivery_id,
        touchpoint_id=touchpoint.touchpoint_id,
        member_id=touchpoint.member_id,
        brand_id=touchpoint.brand_id,
        channel=receipt.channel,
        template=touchpoint.template,
        delivered_at=receipt.delivered_at,
    )


def delivery_failed(failure: Delivery, reason: str) -> MessageDeliveryFailed:
    touchpoint = failure.touchpoint
    return MessageDeliveryFailed(
        delivery_id=failure.delivery_id,
        touchpoint_id=touchpoint.touchpoint_id,
        member_id=touchpoint.member_id,
        brand_id=touchpoint.brand_id,
        channel=failure.channel,
        template=touchpoint.template,
        reason=reason,
        failed_at=failure.created_at,
    )
