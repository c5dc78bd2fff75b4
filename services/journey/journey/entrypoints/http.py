"""HTTP API: a member's journey, and how many members stand at each stage."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field
from rapport_events.contracts.journey import Stage
from rapport_platform.auth import Principal, Role, require_roles
from rapport_platform.errors import NotFound, error_responses
from rapport_platform.service import Runtime

from journey.adapters.postgres import JourneyQueries, JourneyView

READERS = (Role.HQ, Role.STORE_MANAGER, Role.ASSOCIATE, Role.INTEGRATION)
Reader = Annotated[Principal, Depends(require_roles(*READERS))]
MemberId = Annotated[
    str, Path(min_length=1, max_length=64, description="The member's id.", examples=["mbr_1a2b"])
]

JOURNEY_EXAMPLE: dict[str, Any] = {
    "member_id": "mbr_1a2b",
    "store_id": "sto_9f8e",
    "associate_id": "stf_7d1c",
    "stage": "potential",
    "visit_count": 2,
    "first_visit_at": "2026-03-01T10:30:00Z",
    "last_visit_at": "2026-03-20T15:00:00Z",
    "dormant_after": "2026-04-19T15:00:00Z",
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
            "reason": "2nd visit",
            "changed_at": "2026-03-20T15:00:00Z",
        },
    ],
    "touchpoints": [],
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
    status: str = Field(description="requested, delivered or failed")
    reason: str | None
    requested_at: datetime
    resolved_at: datetime | None


class JourneyOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [JOURNEY_EXAMPLE]})

    member_id: str
    store_id: str | None
    associate_id: str | None
    stage: Stage | None
    visit_count: int
    first_visit_at: datetime | None
    last_visit_at: datetime | None
    dormant_after: datetime | None = Field(
        description="When she turns dormant unless she visits again."
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
            stage_history=[StageChangeOut(**change) for change in view.stage_history],
            touchpoints=[TouchpointOut(**touchpoint) for touchpoint in view.touchpoints],
        )


class StageCountsOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"store_id": None, "stages": {"new": 120, "potential": 48}}]
        }
    )

    store_id: str | None
    stages: dict[str, int]


def _visible(principal: Principal, view: JourneyView) -> bool:
    journey = view.journey
    if journey.brand_id != principal.brand_id:
        return False
    if principal.role == Role.STORE_MANAGER:
        return journey.store_id == principal.store_id
    if principal.role == Role.ASSOCIATE:
        return journey.associate_id == principal.subject
    return True


def routers(runtime: Runtime) -> list[APIRouter]:
    router = APIRouter(prefix="/v1", tags=["journeys"])

    @router.get(
        "/members/{member_id}/journey",
        response_model=JourneyOut,
        responses=error_responses(401, 403, 404),
        summary="A member's stage, visits, stage history and touchpoints",
    )
    async def get_journey(member_id: MemberId, principal: Reader) -> JourneyOut:
        async with runtime.pool.acquire() as connection:
            view = await JourneyQueries(connection).journey(member_id)
        if view is None or not _visible(principal, view):
            raise NotFound(f"no journey for member {member_id} in your scope")
        return JourneyOut.of(view)

    @router.get(
        "/stages",
        response_model=StageCountsOut,
        responses=error_responses(401, 403),
        summary="How many members stand at each lifecycle stage",
    )
    async def stage_counts(
        principal: Reader,
        store_id: Annotated[str | None, Query(max_length=64)] = None,
    ) -> StageCountsOut:
        brand_id = principal.require_brand(None)
        if principal.role in (Role.STORE_MANAGER, Role.ASSOCIATE):
            if store_id is not None:
                principal.ensure_store(store_id)
            store_id = principal.store_id
        async with runtime.pool.acquire() as connection:
            counts = await JourneyQueries(connection).stage_counts(brand_id, store_id)
        return StageCountsOut(store_id=store_id, stages=counts)

    return [router]
