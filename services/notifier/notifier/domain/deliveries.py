"""Touchpoints, the messages made from them, and the contact rules that may stop them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal

from notifier.domain.errors import ChannelMismatch
from notifier.domain.templates import ChannelName, Template, check_text_length

DeliveryStatus = Literal["delivered", "failed", "capped", "held"]
"""``held`` waits for the end of quiet hours and becomes one of the others when released."""
Audience = Literal["member", "associate", "store_manager"]


@dataclass(frozen=True)
class Touchpoint:
    """A request to reach one person about one member, as journey asked for it."""

    touchpoint_id: str
    brand_id: str
    member_id: str
    recipient_id: str
    template: str
    channel: ChannelName
    audience: Audience = "member"
    marketing: bool = False
    store_id: str | None = None
    variables: Mapping[str, str] = field(default_factory=dict)

    def render_variables(self) -> dict[str, str]:
        """The touchpoint's variables over the facts every template may use."""
        facts = {"member_id": self.member_id}
        if self.store_id is not None:
            facts["store_id"] = self.store_id
        return {**facts, **self.variables}


def resolve_channel(requested: ChannelName, template: Template) -> ChannelName:
    """The channel a touchpoint goes out on.

    A task template makes a task whatever channel was asked for: its text is written for
    staff and it has a staff recipient. A member message is sent on the channel journey chose
    from the member's preference; it cannot be turned into a task.
    """
    if template.is_task:
        return "task"
    if requested == "task":
        raise ChannelMismatch(
            f"template {template.key} is a message for {template.channel}, not a task"
        )
    return requested


def counts_against_cap(channel: ChannelName, marketing: bool) -> bool:
    """Tasks address staff, so only member messages flagged as marketing count."""
    return marketing and channel != "task"


def keeps_quiet_hours(channel: ChannelName) -> bool:
    """Quiet hours spare the member's night; tasks for staff are not held."""
    return channel != "task"


@dataclass(frozen=True)
class Message:
    """A rendered text ready for a channel."""

    delivery_id: str
    touchpoint: Touchpoint
    channel: ChannelName
    text: str
    created_at: datetime
    trace_id: str | None = None
    correlation_id: str | None = None
    traceparent: str | None = None
    tracestate: str | None = None


def compose_message(
    touchpoint: Touchpoint,
    template: Template,
    *,
    delivery_id: str,
    now: datetime,
    trace_id: str | None = None,
    correlation_id: str | None = None,
    traceparent: str | None = None,
    tracestate: str | None = None,
) -> Message:
    """Render ``template`` for ``touchpoint`` and apply the channel's length rule.

    Raises a :class:`~notifier.domain.errors.DeliveryRefused` with the reason.
    """
    channel = resolve_channel(touchpoint.channel, template)
    text = template.render(touchpoint.render_variables())
    check_text_length(channel, text)
    return Message(
        delivery_id=delivery_id,
        touchpoint=touchpoint,
        channel=channel,
        text=text,
        created_at=now,
        trace_id=trace_id,
        correlation_id=correlation_id,
        traceparent=traceparent,
        tracestate=tracestate,
    )


@dataclass(frozen=True)
class Delivery:
    """What became of one touchpoint: one record per touchpoint, sent or not.

    A held delivery keeps the message it will send (its text, channel and trace) until the
    quiet hours end; released, the same record becomes delivered, capped or failed.
    """

    delivery_id: str
    touchpoint: Touchpoint
    channel: ChannelName
    status: DeliveryStatus
    created_at: datetime
    text: str | None = None
    reason: str | None = None
    trace_id: str | None = None
    correlation_id: str | None = None
    held_until: datetime | None = None
    traceparent: str | None = None
    tracestate: str | None = None

    @classmethod
    def of(cls, message: Message, status: DeliveryStatus, reason: str | None = None) -> Delivery:
        return cls(
            delivery_id=message.delivery_id,
            touchpoint=message.touchpoint,
            channel=message.channel,
            status=status,
            created_at=message.created_at,
            text=message.text,
            reason=reason,
            trace_id=message.trace_id,
            correlation_id=message.correlation_id,
            traceparent=message.traceparent,
            tracestate=message.tracestate,
        )

    @classmethod
    def delivered(cls, message: Message) -> Delivery:
        return cls.of(message, "delivered")

    @classmethod
    def capped(cls, message: Message, reason: str) -> Delivery:
        return cls.of(message, "capped", reason)

    @classmethod
    def held(cls, message: Message, reason: str, until: datetime) -> Delivery:
        return replace(cls.of(message, "held", reason), held_until=until)

    @classmethod
    def failed(
        cls,
        touchpoint: Touchpoint,
        *,
        delivery_id: str,
        reason: str,
        now: datetime,
        channel: ChannelName | None = None,
        text: str | None = None,
        trace_id: str | None = None,
        correlation_id: str | None = None,
    ) -> Delivery:
        return cls(
            delivery_id=delivery_id,
            touchpoint=touchpoint,
            channel=channel or touchpoint.channel,
            status="failed",
            created_at=now,
            text=text,
            reason=reason,
            trace_id=trace_id,
            correlation_id=correlation_id,
        )

    def message_to_release(self, now: datetime) -> Message:
        """The held message, to be sent (or capped) at ``now``."""
        if self.status != "held" or self.text is None:
            raise ValueError(f"delivery {self.delivery_id} holds no message")
        return Message(
            delivery_id=self.delivery_id,
            touchpoint=self.touchpoint,
            channel=self.channel,
            text=self.text,
            created_at=now,
            trace_id=self.trace_id,
            correlation_id=self.correlation_id,
            traceparent=self.traceparent,
            tracestate=self.tracestate,
        )
