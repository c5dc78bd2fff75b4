"""The HTTP API's response models and the examples ``/docs`` shows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from rapport_events.contracts.journey import Stage

from journey.application.ports import JourneyView, TouchpointRecord, TouchpointStatus
from journey.application.queries import StageCounts
from journey.domain.journey import StageChange

MEMBER_EXAMPLE = "mbr_6f2c1a9e4b7d4e0f8a3b5c7d9e1f2a4b"
STORE_EXAMPLE = "sto_3b9d7f1e5a2c4e6b8d0f1a3c5e7b9d2f"
ASSOCIATE_EXAMPLE = "stf_8e4a2c6b0d1f4a3e9c7b5d2f1e0a6c8b"
TOUCHPOINT_EXAMPLE = "tpt_5b1f0e0c8f9a4c55a7e1d7c3b2a19f60"

JOURNEY_EXAMPLE: dict[str, Any] = {
    "member_id": MEMBER_EXAMPLE,
    "store_id": STORE_EXAMPLE,
    "associate_id": ASSOCIATE_EXAMPLE,
    "stage": "dormant",
    "visit_count": 2,
    "first_visit_at": "2026-03-01T10:30:00Z",
    "last_visit_at": "2026-03-04T15:00:00Z",
    "dormant_after": None,
    "stage_history": [
        {
            "from_stage": None,
            "to_stage": "new",
            "reason": "registered",
            "changed_at": "2026-03-01T10:00:00Z",
        },
        {
            "from_stage": "new",
            "to_stage": "potential",
            "reason": "second visit",
            "changed_at": "2026-03-04T15:00:00Z",
        },
        {
            "from_stage": "potential",
            "to_stage": "dormant",
            "reason": "no visit for 30 days",
            "changed_at": "2026-04-03T15:00:02Z",
        },
    ],
    "touchpoints": [
        {
            "touchpoint_id": TOUCHPOINT_EXAMPLE,
            "template": "welcome_back",
            "channel": "wechat",
            "status": "delivered",
            "reason": None,
            "requested_at": "2026-04-03T15:00:02Z",
            "resolved_at": "2026-04-03T15:00:03Z",
        }
    ],
}

STAGE_COUNTS_EXAMPLE: dict[str, Any] = {
    "store_id": None,
    "members": 196,
    "stages": {
        "new": 120,
        "potential": 48,
        "high_value": 0,
        "dormant": 21,
        "churn_risk": 0,
        "won_back": 7,
    },
}


class StageChangeOut(BaseModel):
    from_stage: Stage | None
    to_stage: Stage
    reason: str
    changed_at: datetime

    @classmethod
    def of(cls, change: StageChange) -> StageChangeOut:
        return cls(
            from_stage=change.from_stage,
            to_stage=change.to_stage,
            reason=change.reason,
            changed_at=change.at,
        )


class TouchpointOut(BaseModel):
    touchpoint_id: str
    template: str
    channel: str
    status: TouchpointStatus
    reason: str | None = Field(description="Why the delivery failed, when it did.")
    requested_at: datetime
    resolved_at: datetime | None

    @classmethod
    def of(cls, touchpoint: TouchpointRecord) -> TouchpointOut:
        return cls(
            touchpoint_id=touchpoint.touchpoint_id,
            template=touchpoint.template,
            channel=touchpoint.channel,
            status=touchpoint.status,
            reason=touchpoint.reason,
            requested_at=touchpoint.requested_at,
            resolved_at=touchpoint.resolved_at,
        )


class JourneyOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [JOURNEY_EXAMPLE]})

    member_id: str
    store_id: str | None
    associate_id: str | None
    stage: Stage | None = Field(description="None until a registration or a visit is known.")
    visit_count: int
    first_visit_at: datetime | None
    last_visit_at: datetime | None
    dormant_after: datetime | None = Field(
        description="When she turns dormant unless she visits before (the active timer)."
    )
    stage_history: list[StageChangeOut]
    touchpoints: list[TouchpointOut]

    @classmethod
    def of(cls, view: JourneyView) -> JourneyOut:
        journey = view.journey
        return cls(
            member_id=journey.member_id,
            store_id=journey.store_id,
            associate_id=journey.associate_id,
            stage=journey.stage,
            visit_count=journey.visit_count,
            first_visit_at=journey.first_visit_at,
            last_visit_at=journey.last_visit_at,
            dormant_after=view.dormant_after,
            stage_history=[StageChangeOut.of(change) for change in view.stage_history],
            touchpoints=[TouchpointOut.of(touchpoint) for touchpoint in view.touchpoints],
        )


class StageCountsOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [STAGE_COUNTS_EXAMPLE]})

    store_id: str | None = Field(description="The store counted; None for the whole brand.")
    members: int = Field(description="Members on the map (the sum of the stages).")
    stages: dict[Stage, int] = Field(description="Every stage, with 0 where nobody stands.")

    @classmethod
    def of(cls, counts: StageCounts) -> StageCountsOut:
        return cls(store_id=counts.store_id, members=counts.members, stages=counts.stages)
