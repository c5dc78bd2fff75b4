"""Saving a brand's templates and contact policy, and turning a touchpoint request into a
delivery and its result.

A touchpoint is handled in the consumer's unit of work: the duplicate check, the contact
policy's decision, the channel's record of the message, the delivery row and the result event
in the outbox. So a crash either leaves no trace (the touchpoint is redelivered and handled
afresh) or leaves the delivery together with its result event. Deliveries about one member are
decided one at a time (``hold_member``), and a delivery row is unique per touchpoint: a
touchpoint that arrives again, even under a new event id or to two consumers at once, is sent
once.

The brand's contact policy decides, in this order: a marketing message beyond the cap is
capped (``MessageCapped``, never sent); a member message arriving in quiet hours is held
(``MessageHeld``): its rendered text waits in its delivery row until the window opens, when
the release worker (:meth:`NotifierHandlers.release_held_messages`) takes it, checks the cap
again at that moment and sends it, caps it or holds it anew, reporting the result under the
same delivery id. Tasks for staff pass both rules; service messages pass the cap.

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
from rapport_events.contracts.notifier import (
    MessageCapped,
    MessageDelivered,
    MessageDeliveryFailed,
    MessageHeld,
    TemplateSaved,
)
from rapport_events.envelope import EventEnvelope
from rapport_events.tracing import continued_span
from rapport_platform.auth import Principal

from notifier.application.access import (
    acting_brand,
    ensure_may_edit_contact_policy,
    ensure_may_edit_templates,
)
from notifier.application.commands import (
    ReleaseHeldMessages,
    SaveContactPolicy,
    SaveTemplate,
    touchpoint_of,
)
from notifier.application.contact_policy import EffectiveContactPolicy, contact_policy_of
from notifier.application.ports import (
    ChannelReceipt,
    NotifierUnitOfWork,
    StoredContactPolicy,
    StoredTemplate,
)
from notifier.application.references import foreign_reference
from notifier.application.templates import EffectiveTemplate, effective_template
from notifier.domain.contact_policy import ContactPolicy, MarketingCap
from notifier.domain.deliveries import (
    Delivery,
    Message,
    Touchpoint,
    compose_message,
    counts_against_cap,
    keeps_quiet_hours,
)
from notifier.domain.errors import DeliveryRefused, MarketingCapReached, UnknownTemplate
from notifier.domain.templates import Template

log = logging.getLogger(__name__)

_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$")

Outcome = MessageDelivered | MessageDeliveryFailed | MessageCapped | MessageHeld


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
    traceparent: str | None = None
    tracestate: str | None = None

    def compose(self, template: Template) -> Message:
        return compose_message(
            self.touchpoint,
            template,
            delivery_id=self.delivery_id,
            now=self.now,
            trace_id=self.trace_id,
            correlation_id=self.correlation_id,
            traceparent=self.traceparent,
            tracestate=self.tracestate,
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
    """Template and policy changes on a command; deliveries on journey's touchpoint requests;
    held messages released by the worker."""

    def __init__(
        self,
        unit_of_work: Callable[[], NotifierUnitOfWork],
        clock: Clock,
        *,
        delivery_ids: Callable[[], str] = new_delivery_id,
    ) -> None:
        self._unit_of_work = unit_of_work
        self._clock = clock
        self._delivery_ids = delivery_ids

    async def save_template(self, caller: Principal, command: SaveTemplate) -> EffectiveTemplate:
        """Validate and store a brand's template, announcing it with ``TemplateSaved``;
        raises ``InvalidTemplate`` naming the field."""
        ensure_may_edit_templates(caller)
        brand = acting_brand(caller, command.brand_id)
        template = Template(key=command.key, channel=command.channel, body=command.body)
        template.check_savable()
        stored = StoredTemplate(template, updated_at=self._clock.now(), updated_by=caller.subject)
        async with self._unit_of_work() as uow:
            await uow.templates.save(brand, stored)
            uow.emit(template_saved(brand, stored), brand_id=brand)
        return EffectiveTemplate.of(stored)

    async def save_contact_policy(
        self, caller: Principal, command: SaveContactPolicy
    ) -> EffectiveContactPolicy:
        """Validate and store the brand's contact policy; raises ``InvalidContactPolicy``
        naming the field. It applies to every touchpoint decided from then on, and to held
        ones when they are released."""
        ensure_may_edit_contact_policy(caller)
        brand = acting_brand(caller, command.brand_id)
        stored = StoredContactPolicy(
            command.policy(), updated_at=self._clock.now(), updated_by=caller.subject
        )
        async with self._unit_of_work() as uow:
            await uow.contact_policies.save(brand, stored)
        return EffectiveContactPolicy.of(stored)

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
            traceparent=envelope.traceparent,
            tracestate=envelope.tracestate,
        )
        outcome = await self._deliver(uow, attempt)
        uow.emit(outcome, brand_id=event.brand_id, caused_by=envelope)

    async def release_held_messages(self, command: ReleaseHeldMessages | None = None) -> int:
        """Release the held messages whose quiet hours have ended (by now, on the handlers'
        clock, unless the command says otherwise), in one unit of work; returns how many."""
        command = command or ReleaseHeldMessages(now=self._clock.now())
        async with self._unit_of_work() as uow:
            return await self.release_held_in(uow, command)

    async def release_held_in(self, uow: NotifierUnitOfWork, command: ReleaseHeldMessages) -> int:
        """:meth:`release_held_messages` in ``uow``: the rows it takes stay locked until
        ``uow`` ends, so no other worker releases them too."""
        released = 0
        for held in await uow.deliveries.due_held(command.now, command.limit):
            touchpoint = held.touchpoint
            # Never wait on a consumer deciding about her while holding other rows: her
            # message is left for the next round.
            if not await uow.deliveries.try_hold_member(touchpoint.brand_id, touchpoint.member_id):
                continue
            with continued_span(
                "notifier.held.release",
                traceparent=held.traceparent,
                tracestate=held.tracestate,
                correlation_id=held.correlation_id,
                attributes={"rapport.delivery.id": held.delivery_id},
            ):
                policy = await contact_policy_of(uow.contact_policies, touchpoint.brand_id)
                message = held.message_to_release(command.now)
                outcome = await self._send_within_policy(uow, message, policy)
                uow.emit(outcome, brand_id=touchpoint.brand_id)
            released += 1
        return released

    async def _deliver(self, uow: NotifierUnitOfWork, attempt: Attempt) -> Outcome:
        """Send the touchpoint, cap it, hold it, or record why not; the result event always."""
        message: Message | None = None
        try:
            message = attempt.compose(await template_for(uow, attempt.touchpoint))
        except DeliveryRefused as refusal:
            failure = attempt.failure(refusal.reason, message)
            await uow.deliveries.record(failure)
            return delivery_failed(failure, refusal.reason)
        policy = await contact_policy_of(uow.contact_policies, attempt.touchpoint.brand_id)
        return await self._send_within_policy(uow, message, policy)

    async def _send_within_policy(
        self, uow: NotifierUnitOfWork, message: Message, policy: ContactPolicy
    ) -> Outcome:
        """The cap first (a message it refuses is not worth holding), then quiet hours, then
        the channel; ``message.created_at`` is the moment decided on."""
        try:
            await self._check_cap(uow, message, policy.marketing_cap)
        except MarketingCapReached as refusal:
            capped = Delivery.capped(message, refusal.reason)
            await uow.deliveries.record(capped)
            return message_capped(capped)
        quiet = policy.quiet_hours
        held_until = (
            quiet.held_until(message.created_at) if keeps_quiet_hours(message.channel) else None
        )
        if held_until is not None:
            held = Delivery.held(message, quiet.reason, held_until)
            await uow.deliveries.record(held)
            return message_held(held)
        try:
            receipt = await uow.channel.send(message)
        except DeliveryRefused as refusal:
            failure = Delivery.of(message, "failed", refusal.reason)
            await uow.deliveries.record(failure)
            return delivery_failed(failure, refusal.reason)
        return message_delivered(message.touchpoint, receipt)

    async def _check_cap(
        self, uow: NotifierUnitOfWork, message: Message, cap: MarketingCap
    ) -> None:
        touchpoint = message.touchpoint
        if not counts_against_cap(message.channel, touchpoint.marketing):
            return
        sent = await uow.deliveries.marketing_sent_since(
            touchpoint.brand_id, touchpoint.member_id, cap.window_start(message.created_at)
        )
        cap.check(sent, message.created_at)


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


def message_capped(capped: Delivery) -> MessageCapped:
    touchpoint = capped.touchpoint
    assert capped.reason is not None
    return MessageCapped(
        delivery_id=capped.delivery_id,
        touchpoint_id=touchpoint.touchpoint_id,
        member_id=touchpoint.member_id,
        brand_id=touchpoint.brand_id,
        channel=capped.channel,
        template=touchpoint.template,
        reason=capped.reason,
        capped_at=capped.created_at,
    )


def message_held(held: Delivery) -> MessageHeld:
    touchpoint = held.touchpoint
    assert held.reason is not None and held.held_until is not None
    return MessageHeld(
        delivery_id=held.delivery_id,
        touchpoint_id=touchpoint.touchpoint_id,
        member_id=touchpoint.member_id,
        brand_id=touchpoint.brand_id,
        channel=held.channel,
        template=touchpoint.template,
        reason=held.reason,
        held_until=held.held_until,
        held_at=held.created_at,
    )


def template_saved(brand_id: str, stored: StoredTemplate) -> TemplateSaved:
    template = stored.template
    return TemplateSaved(
        brand_id=brand_id,
        key=template.key,
        channel=template.channel,
        is_task=template.is_task,
        saved_at=stored.updated_at,
    )
