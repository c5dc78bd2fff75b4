"""Events published by the journey service."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field

from rapport_events.envelope import DomainEvent
from rapport_events.registry import registry
from rapport_events.topics import JOURNEY_STAGES, JOURNEY_TOUCHPOINTS

Stage = Literal["new", "potential", "high_value", "dormant", "churn_risk", "won_back"]
Audience = Literal["member", "associate", "store_manager"]
Channel = Literal["sms", "wechat", "app", "task"]


@registry.contract
class StageChanged(DomainEvent):
    event_type = "rapport.journey.stage.changed"
    topic = JOURNEY_STAGES

    member_id: str
    brand_id: str
    from_stage: Stage | None
    to_stage: Stage
    reason: str = Field(examples=["second visit", "no visit for 30 days"])
    changed_at: AwareDatetime


@registry.contract
class TouchpointRequested(DomainEvent):
    """Journey asks the notifier to reach a person about a member."""

    event_type = "rapport.journey.touchpoint.requested"
    topic = JOURNEY_TOUCHPOINTS

    touchpoint_id: str
    member_id: str
    brand_id: str
    store_id: str | None = None
    template: str = Field(examples=["welcome_back"])
    audience: Audience = "member"
    channel: Channel = "sms"
    recipient_id: str = Field(description="member id, or the staff id of a task's assignee")
    marketing: bool = Field(description="counts against the weekly marketing cap")
    variables: dict[str, str] = Field(default_factory=dict)
    requested_at: AwareDatetime
