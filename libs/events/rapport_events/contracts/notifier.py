"""Events published by the notifier service on ``rapport.notifier.deliveries``."""

from __future__ import annotations

from pydantic import AwareDatetime, Field

from rapport_events.envelope import DomainEvent
from rapport_events.registry import registry
from rapport_events.topics import NOTIFIER_DELIVERIES


@registry.contract
class MessageDelivered(DomainEvent):
    event_type = "rapport.notifier.message.delivered"
    topic = NOTIFIER_DELIVERIES

    delivery_id: str
    touchpoint_id: str
    member_id: str
    brand_id: str
    channel: str
    template: str
    delivered_at: AwareDatetime


@registry.contract
class MessageDeliveryFailed(DomainEvent):
    event_type = "rapport.notifier.message.delivery-failed"
    topic = NOTIFIER_DELIVERIES

    delivery_id: str
    touchpoint_id: str
    member_id: str
    brand_id: str
    channel: str
    template: str
    reason: str = Field(examples=["member has no contact for channel sms"])
    failed_at: AwareDatetime
