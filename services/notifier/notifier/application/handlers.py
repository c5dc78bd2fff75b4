"""Turning a touchpoint request into a delivery and its result event.

Everything happens in the consumer's transaction: the duplicate check, the cap count, the
channel's record of the message, the failure row and the result event in the outbox. So a
crash either leaves no trace (the touchpoint is redelivered and handled afresh) or leaves the
delivery together with its result event; and because a delivery row is unique per touchpoint,
a touchpoint that arrives again, even under a new event id, is never sent twice.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from typing import Generic, TypeVar

from rapport_events.consumer import RejectEvent
from rapport_events.contracts.journey import TouchpointRequested
from rapport_events.contracts.notifier import MessageDelivered, MessageDeliveryFailed
from rapport_events.envelope import EventEnvelope

from notifier.application.ports import DeliveryPorts, Transaction
from notifier.application.templates import effective_template
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

log = logging.getLogger(__name__)

_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$")

TX = TypeVar("TX", bound=Transaction)


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


def touchpoint_of(event: TouchpointRequested) -> Touchpoint:
    return Touchpoint(
        touchpoint_id=event.touchpoint_id,
        brand_id=event.brand_id,
        member_id=event.member_id,
        recipient_id=event.recipient_id,
        template=event.template,
        channel=event.channel,
        audience=event.audience,
        marketing=event.marketing,
        store_id=event.store_id,
        variables=dict(event.variables),
    )


class DeliverTouchpoint(Generic[TX]):
    """Handler of ``TouchpointRequested``; ``ports`` binds the adapters to the transaction."""

    def __init__(
        self,
        ports: Callable[[TX], DeliveryPorts],
        *,
        cap: MarketingCap = WEEKLY_MARKETING_CAP,
        delivery_ids: Callable[[], str] = new_delivery_id,
    ) -> None:
        self._ports = ports
        self._cap = cap
        self._delivery_ids = delivery_ids

    async def __call__(self, event: TouchpointRequested, envelope: EventEnvelope, uow: TX) -> None:
        if envelope.brandid != event.brand_id:
            raise RejectEvent(
                f"brand_id {event.brand_id!r} does not match the envelope's brandid "
                f"{envelope.brandid!r}"
            )
        ports = self._ports(uow)
        if await ports.deliveries.exists(event.touchpoint_id):
            log.info("touchpoint %s already handled; ignoring it", event.touchpoint_id)
            return
        touchpoint = touchpoint_of(event)
        now = uow.clock.now()
        delivery_id = self._delivery_ids()
        trace_id = trace_id_of(envelope.traceparent)
        message: Message | None = None
        try:
            template = await effective_template(ports.templates, event.brand_id, event.template)
            if template is None:
                raise UnknownTemplate(f"no template {event.template!r} for this brand")
            message = compose_message(
                touchpoint,
                template,
                delivery_id=delivery_id,
                now=now,
                trace_id=trace_id,
                correlation_id=envelope.correlationid,
            )
            if counts_against_cap(message.channel, touchpoint.marketing):
                sent = await ports.deliveries.marketing_sent_since(
                    event.brand_id, event.member_id, self._cap.window_start(now)
                )
                self._cap.check(sent, now)
            receipt = await ports.channel.send(message)
        except DeliveryRefused as refusal:
            failure = Delivery.failed(
                touchpoint,
                delivery_id=delivery_id,
                reason=refusal.reason,
                now=now,
                channel=message.channel if message else None,
                text=message.text if message else None,
                trace_id=trace_id,
                correlation_id=envelope.correlationid,
            )
            await ports.deliveries.record(failure)
            uow.emit(
                MessageDeliveryFailed(
                    delivery_id=failure.delivery_id,
                    touchpoint_id=event.touchpoint_id,
                    member_id=event.member_id,
                    brand_id=event.brand_id,
                    channel=failure.channel,
                    template=event.template,
                    reason=refusal.reason,
                    failed_at=now,
                ),
                brand_id=event.brand_id,
                caused_by=envelope,
            )
            return
        uow.emit(
            MessageDelivered(
                delivery_id=receipt.delivery_id,
                touchpoint_id=event.touchpoint_id,
                member_id=event.member_id,
                brand_id=event.brand_id,
                channel=receipt.channel,
                template=event.template,
                delivered_at=receipt.delivered_at,
            ),
            brand_id=event.brand_id,
            caused_by=envelope,
        )
