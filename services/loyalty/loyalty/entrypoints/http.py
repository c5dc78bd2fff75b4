"""HTTP API: a member's points balance and the history of her account.

Routes only translate: the caller and the path into a query, the view into a response.
Who may read what is decided in ``application/access.py``, and every refusal's answer in
``entrypoints/errors.py``. Points are earned from events only, so there is no command route.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from rapport_platform.auth import Principal, Role, require_roles
from rapport_platform.errors import error_responses
from rapport_platform.http import DEFAULT_LIMIT, Cursor, ItemsPage, Limit

from loyalty.application.handlers import LoyaltyHandlers
from loyalty.application.queries import LoyaltyQueries
from loyalty.entrypoints.schemas import (
    MEMBER_EXAMPLE,
    PURCHASE_ENTRY_EXAMPLE,
    VISIT_ENTRY_EXAMPLE,
    PointsBalanceOut,
    PointsEntryOut,
)

READERS = (Role.HQ, Role.STORE_MANAGER, Role.ASSOCIATE, Role.INTEGRATION)
Reader = Annotated[Principal, Depends(require_roles(*READERS))]

MemberId = Annotated[
    str,
    Path(min_length=1, max_length=64, description="The member's id.", examples=[MEMBER_EXAMPLE]),
]

HISTORY_EXAMPLE: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            "application/json": {
                "example": {
                    "items": [VISIT_ENTRY_EXAMPLE, PURCHASE_ENTRY_EXAMPLE],
                    "next_cursor": "WzJd",
                }
            }
        }
    }
}


def router(handlers: LoyaltyHandlers, queries: LoyaltyQueries) -> APIRouter:
    """The ``/v1`` points endpoints."""
    routes = APIRouter(prefix="/v1", tags=["points"])

    @routes.get(
        "/members/{member_id}/points",
        summary="A member's points balance and tier",
        responses=error_responses(401, 403, 404),
    )
    async def get_points(member_id: MemberId, caller: Reader) -> PointsBalanceOut:
        return PointsBalanceOut.of(await queries.balance(caller, member_id))

    @routes.get(
        "/members/{member_id}/points/history",
        summary="The entries of a member's points account, newest first",
        responses={**HISTORY_EXAMPLE, **error_responses(401, 403, 404, 422)},
    )
    async def get_points_history(
        member_id: MemberId,
        caller: Reader,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ItemsPage[PointsEntryOut]:
        page = await queries.history(caller, member_id, limit=limit, cursor=cursor)
        return ItemsPage[PointsEntryOut].of(page, PointsEntryOut.of)

    return routes
