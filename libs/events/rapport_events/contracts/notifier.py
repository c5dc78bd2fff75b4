"""Events published by the notifier service, and the templates it has built in.

``rapport.notifier.deliveries`` (keyed by member id) carries what became of each touchpoint:
delivered, failed, capped by the brand's marketing cap, or held for the end of its quiet hours
(a held touchpoint is reported again when it is released). ``rapport.notifier.templates``
(keyed by brand id) carries every template a brand saves, so that journey can keep a replica
of which templates exist per brand.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from pydantic import AwareDatetime, Field

from rapport_events.envelope import DomainEvent
from rapport_events.registry import registry
from rapport_events.topics import NOTIFIER_DELIVERIES, NOTIFIER_TEMPLATES

BUILT_IN_TEMPLATES: Mapping[str, bool] = MappingProxyType(
    {
        # member messages (sms; a brand may save its own version on another channel)
        "welcome_back": False,
        "care_guide_24h": False,
        "birthday_greeting": False,
        "first_visit_voucher": False,
        "seasonal_package_offer": False,
        "seasonal_care_reminder": False,
        "nail_refill_reminder": False,
        "anniversary_gift": False,
        "deep_cleaning_voucher": False,
        "review_invitation": False,
        # tasks for staff (channel task)
        "churn_risk_alert": True,
        "birthday_task": True,
        "follow_up_call_task": True,
        "deep_cleaning_due_task": True,
        "dedicated_technician_task": True,
    }
)
"""Every template key the notifier has built in, each with whether it is a task for staff.

Every brand has these without saving anything; journey validates maps against them (and its
replica of ``TemplateSaved``) without importing the notifier. The notifier's own
``DEFAULT_TEMPLATES`` is tested to match this table.
"""


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


@registry.contract
class MessageCapped(DomainEvent):
    """A marketing message not sent: the member had her brand's share of marketing pushes in
    the rolling window. Nothing is retried; the touchpoint ends here."""

    event_type = "rapport.notifier.message.capped"
    topic = NOTIFIER_DELIVERIES

    delivery_id: str
    touchpoint_id: str
    member_id: str
    brand_id: str
    channel: str
    template: str
    reason: str = Field(examples=["weekly marketing cap reached (2 per 7 days)"])
    capped_at: AwareDatetime


@registry.contract
class MessageHeld(DomainEvent):
    """A member message that arrived in her brand's quiet hours, kept until they end. The
    same ``delivery_id`` is reported again when it is released: delivered, capped (the cap is
    checked again then) or failed; a release that falls in quiet hours again (the notifier was
    down, the clock jumped) holds it anew with a later ``held_until``."""

    event_type = "rapport.notifier.message.held"
    topic = NOTIFIER_DELIVERIES

    delivery_id: str
    touchpoint_id: str
    member_id: str
    brand_id: str
    channel: str
    template: str
    reason: str = Field(examples=["quiet hours 21:00-08:00 (Asia/Shanghai)"])
    held_until: AwareDatetime = Field(description="when the quiet hours end and it is sent")
    held_at: AwareDatetime


@registry.contract
class TemplateSaved(DomainEvent):
    """A brand saved its own version of a template (a built-in key or one of its own)."""

    event_type = "rapport.notifier.template.saved"
    topic = NOTIFIER_TEMPLATES
    subject_field = "brand_id"

    brand_id: str
    key: str = Field(examples=["welcome_back"])
    channel: str = Field(examples=["sms"])
    is_task: bool = Field(description="a task for staff (channel task), not a member message")
    saved_at: AwareDatetime
