"""Events published by the journey service."""

from __future__ import annotations

from typing import Annotated, Final, Literal

from pydantic import AwareDatetime, Field

from rapport_events.envelope import DomainEvent
from rapport_events.registry import registry
from rapport_events.topics import JOURNEY_STAGES, JOURNEY_TOUCHPOINTS

DEFAULT_STAGES: Final = ("new", "potential", "high_value", "dormant", "churn_risk", "won_back")
"""The stages of the default map every brand starts with; a brand's own maps name theirs."""
Stage = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$", examples=list(DEFAULT_STAGES))]
Audience = Literal["member", "associate", "store_manager"]
Channel = Literal["sms", "wechat", "app", "task"]


@registry.contract
class StageChanged(DomainEvent):
    event_type = "rapport.journey.stage.changed"
    topic = JOURNEY_STAGES

    member_id: str
    brand_id: str
    map_key: str = Field(default="lifecycle", description="the map she moved on")
    map_version: int = Field(default=0, ge=0, description="the map version she stands on")
    from_stage: Stage | None
    to_stage: Stage
    reason: str = Field(examples=["facts.visit_count >= 2", "no visit for 30 days"])
    changed_at: AwareDatetime = Field(description="event time of what moved her")


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
    map_key: str | None = Field(default=None, description="the map whose trigger asked for it")
    trigger: str | None = Field(default=None, examples=["welcome_back"])
    requested_at: AwareDatetime
