"""HTTP API: a member's journey, and how many members stand at each stage."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from rapport_platform.auth import Principal, require_roles
from rapport_platform.errors import error_responses

from journey.application.access import READERS
from journey.application.handlers import JourneyHandlers
from journey.application.queries import JourneyQueries
from journey.entrypoints.schemas import (
    MEMBER_EXAMPLE,
    STORE_EXAMPLE,
    JourneyOut,
    StageCountsOut,
)

Reader = Annotated[Principal, Depends(require_roles(*READERS))]
MemberId = Annotated[
    str,
    Path(min_length=1, max_length=64, description="The member's id.", examples=[MEMBER_EXAMPLE]),
]
StoreFilter = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=64,
        description="Count only this store's members (store staff always see their own store).",
        examples=[STORE_EXAMPLE],
    ),
]


def router(handlers: JourneyHandlers, queries: JourneyQueries) -> APIRouter:
    """The journey routes; they only read (``handlers`` react to events, not to HTTP)."""
    routes = APIRouter(prefix="/v1", tags=["journeys"])

    @routes.get(
        "/members/{member_id}/journey",
        response_model=JourneyOut,
        responses=error_responses(401, 403, 404, 422),
        summary="A member's stage, visits, stage history and touchpoints",
        description=(
            "Another brand's member, another store's member (store managers) and a member "
            "not bound to the caller (associates) all answer 404."
        ),
    )
    async def get_journey(member_id: MemberId, caller: Reader) -> JourneyOut:
        return JourneyOut.of(await queries.journey(caller, member_id))

    @routes.get(
        "/stages",
        response_model=StageCountsOut,
        responses=error_responses(401, 403, 404, 422),
        summary="How many of the brand's members stand at each lifecycle stage",
        description=("Store staff always count their own store; naming another store answers 404."),
    )
    async def stage_counts(caller: Reader, store_id: StoreFilter = None) -> StageCountsOut:
        return StageCountsOut.of(await queries.stage_counts(caller, store_id))

    return routes
