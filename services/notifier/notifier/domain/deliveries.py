"""Touchpoints, the messages made from them, and the contact rules that may stop them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from notifier.domain.errors import ChannelMismatch, MarketingCapReached
from notifier.domain.templates import ChannelName, Template, check_text_length

DeliveryStatus = Literal["delivered", "failed"]
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


@dataclass(frozen=True)
class MarketingCap:
    """At most ``limit`` marketing pushes per member in any rolling ``window``."""

    limit: int = 2
    window: timedelta = timedelta(days=7)

    def window_start(self, now: datetime) -> datetime:
        return now - self.window

    def check(self, sent_at: Iterable[datetime], now: datetime) -> None:
        """Raise :class:`MarketingCapReached` when another push now would break the cap.

        A push sent exactly ``window`` ago has left the window.
        """
        start = self.window_start(now)
        recent = sum(1 for instant in sent_at if instant > start)
        if recent >= self.limit:
            raise MarketingCapReached(
                f"weekly marketing cap reached ({self.limit} per {self.window.days} days)"
            )


WEEKLY_MARKETING_CAP = MarketingCap()


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


def compose_message(
    touchpoint: Touchpoint,
    template: Template,
    *,
    delivery_id: str,
    now: datetime,
    trace_id: str | None = None,
    correlation_id: str | None = None,
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
    )


@dataclass(frozen=True)
class Delivery:
    """What became of one touchpoint: one record per touchpoint, sent or not."""

    delivery_id: str
    touchpoint: Touchpoint
    channel: ChannelName
    status: DeliveryStatus
    created_at: datetime
    text: str | None = None
    reason: str | None = None
    trace_id: str | None = None
    correlation_id: str | None = None

    @classmethod
    def delivered(cls, message: Message) -> Delivery:
        return cls(
            delivery_id=message.delivery_id,
            touchpoint=message.touchpoint,
            channel=message.channel,
            status="delivered",
            created_at=message.created_at,
            text=message.text,
            trace_id=message.trace_id,
            correlation_id=message.correlation_id,
        )

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
