"""HTTP API: a member's journey, and how many members stand at each stage."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Annotated, Any, get_args

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field
from rapport_events.contracts.journey import Stage
from rapport_platform.auth import Principal, Role, require_roles
from rapport_platform.errors import NotFound, error_responses
from rapport_platform.service import Runtime

from journey.adapters.postgres import reading
from journey.application.ports import JourneyReader, JourneyView, TouchpointStatus

READERS = (Role.HQ, Role.STORE_MANAGER, Role.ASSOCIATE, Role.INTEGRATION)
Reader = Annotated[Principal, Depends(require_roles(*READERS))]
MemberId = Annotated[
    str,
    Path(min_length=1, max_length=64, description="The member's id.", examples=["mbr_01J9Z3K6Q8"]),
]
StoreFilter = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=64,
        description="Count only this store's members (store staff always see their own store).",
        examples=["sto_shanghai_01"],
    ),
]
ReaderFactory = Callable[[], AbstractAsyncContextManager[JourneyReader]]

STAGES: tuple[Stage, ...] = get_args(Stage)

JOURNEY_EXAMPLE: dict[str, Any] = {
    "member_id": "mbr_01J9Z3K6Q8",
    "store_id": "sto_shanghai_01",
    "associate_id": "stf_7d1c2e",
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
            "touchpoint_id": "tpt_5b1f0e0c8f9a4c55a7e1d7c3b2a19f60",
            "template": "welcome_back",
            "channel": "wechat",
            "status": "delivered",
            "reason": None,
            "requested_at": "2026-04-03T15:00:02Z",
            "resolved_at": "2026-04-03T15:00:03Z",
        }
    ],
}


class StageChangeOut(BaseModel):
    from_stage: Stage | None
    to_stage: Stage
    reason: str
    changed_at: datetime


class TouchpointOut(BaseModel):
    touchpoint_id: str
    template: str
    channel: str
    status: TouchpointStatus
    reason: str | None = Field(description="Why the delivery failed, when it did.")
    requested_at: datetime
    resolved_at: datetime | None


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
            stage_history=[
                StageChangeOut(
                    from_stage=change.from_stage,
                    to_stage=change.to_stage,
                    reason=change.reason,
                    changed_at=change.at,
                )
                for change in view.stage_history
            ],
            touchpoints=[
                TouchpointOut(
                    touchpoint_id=touchpoint.touchpoint_id,
                    template=touchpoint.template,
                    channel=touchpoint.channel,
                    status=touchpoint.status,
                    reason=touchpoint.reason,
                    requested_at=touchpoint.requested_at,
                    resolved_at=touchpoint.resolved_at,
                )
                for touchpoint in view.touchpoints
            ],
        )


class StageCountsOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
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
            ]
        }
    )

    store_id: str | None = Field(description="The store counted; None for the whole brand.")
    members: int = Field(description="Members on the map (the sum of the stages).")
    stages: dict[Stage, int] = Field(description="Every stage, with 0 where nobody stands.")


def _visible(principal: Principal, view: JourneyView) -> bool:
    journey = view.journey
    if journey.brand_id != principal.brand_id:
        return False
    if principal.role == Role.STORE_MANAGER:
        return journey.store_id == principal.store_id
    if principal.role == Role.ASSOCIATE:
        return journey.associate_id == principal.subject
    return True


def journey_router(reader: ReaderFactory) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["journeys"])

    @router.get(
        "/members/{member_id}/journey",
        response_model=JourneyOut,
        responses=error_responses(401, 403, 404, 422),
        summary="A member's stage, visits, stage history and touchpoints",
        description=(
            "Another brand's member, another store's member (store managers) and a member "
            "not bound to the caller (associates) all answer 404."
        ),
    )
    async def get_journey(member_id: MemberId, principal: Reader) -> JourneyOut:
        async with reader() as journeys:
            view = await journeys.journey(member_id)
        if view is None or not _visible(principal, view):
            raise NotFound(f"no journey for member {member_id}")
        return JourneyOut.of(view)

    @router.get(
        "/stages",
        response_model=StageCountsOut,
        responses=error_responses(401, 403, 422),
        summary="How many of the brand's members stand at each lifecycle stage",
    )
    async def stage_counts(principal: Reader, store_id: StoreFilter = None) -> StageCountsOut:
        brand_id = principal.require_brand()
        if principal.role in (Role.STORE_MANAGER, Role.ASSOCIATE):
            principal.ensure_store(store_id or principal.store_id)
            store_id = principal.store_id
        async with reader() as journeys:
            counts = await journeys.stage_counts(brand_id, store_id)
        stages = {stage: counts.get(stage, 0) for stage in STAGES}
        return StageCountsOut(store_id=store_id, members=sum(stages.values()), stages=stages)

    return router


def routers(runtime: Runtime) -> list[APIRouter]:
    return [journey_router(lambda: reading(runtime.pool))]
