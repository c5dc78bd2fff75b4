"""HTTP API: a member's points balance and the history of her account."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field
from rapport_events.store import PostgresEventStore
from rapport_platform.auth import Principal, Role, require_roles
from rapport_platform.errors import NotFound, error_responses
from rapport_platform.service import Runtime

from loyalty.adapters.postgres import PostgresPointsBalances
from loyalty.application.ports import PointsBalance, PointsBalances, StreamReader
from loyalty.application.queries import BalanceView, HistoryEntry, find_account, history
from loyalty.domain.errors import NoPointsAccount
from loyalty.domain.tiers import Tier

DEFAULT_HISTORY_LIMIT = 50
MAX_HISTORY_LIMIT = 500

READERS = (Role.HQ, Role.STORE_MANAGER, Role.ASSOCIATE, Role.INTEGRATION)
Reader = Annotated[Principal, Depends(require_roles(*READERS))]

MemberId = Annotated[
    str,
    Path(min_length=1, max_length=64, description="The member's id.", examples=["mbr_01J9Z3K6Q8"]),
]


class PointsBalanceOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "member_id": "mbr_01J9Z3K6Q8",
                    "balance": 2348,
                    "lifetime_earned": 2348,
                    "tier": "silver",
                    "updated_at": "2026-03-01T10:30:00Z",
                }
            ]
        }
    )

    member_id: str
    balance: int = Field(ge=0, description="Points available now.")
    lifetime_earned: int = Field(ge=0, description="All points ever earned (cumulative spend).")
    tier: Tier = Field(
        description="registered below 500, member from 500, silver from 2,000, gold from 5,000."
    )
    updated_at: datetime = Field(description="When the latest earning happened.")

    @classmethod
    def of(cls, view: BalanceView) -> PointsBalanceOut:
        return cls.model_validate(view, from_attributes=True)


class PointsEntryOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "event_id": "5f0c1a9e-8d52-4c1e-9a57-0f3a4c2b7d11",
                    "points": 268,
                    "balance": 2348,
                    "reason": "visit",
                    "source_id": "vis_01J9Z4B2XW",
                    "at": "2026-03-01T10:30:00Z",
                }
            ]
        }
    )

    event_id: str = Field(description="Id of the event that recorded the entry.")
    points: int = Field(description="Points added (positive) or taken (negative).")
    balance: int = Field(ge=0, description="Balance right after the entry.")
    reason: str = Field(examples=["purchase", "visit"])
    source_id: str = Field(description="The purchase or visit behind the entry.")
    at: datetime

    @classmethod
    def of(cls, entry: HistoryEntry) -> PointsEntryOut:
        return cls.model_validate(entry, from_attributes=True)


class PointsHistoryOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "member_id": "mbr_01J9Z3K6Q8",
                    "entries": [
                        {
                            "event_id": "5f0c1a9e-8d52-4c1e-9a57-0f3a4c2b7d11",
                            "points": 268,
                            "balance": 2348,
                            "reason": "visit",
                            "source_id": "vis_01J9Z4B2XW",
                            "at": "2026-03-01T10:30:00Z",
                        },
                        {
                            "event_id": "0b6f55d2-2a1e-4f0c-8f0e-6e1f6b1f9a20",
                            "points": 2080,
                            "balance": 2080,
                            "reason": "purchase",
                            "source_id": "pur_01J9Z2QK3M",
                            "at": "2026-02-14T16:05:00Z",
                        },
                    ],
                }
            ]
        }
    )

    member_id: str
    entries: list[PointsEntryOut] = Field(description="Newest first.")


def points_router(
    balances: Callable[[], PointsBalances], streams: Callable[[], StreamReader]
) -> APIRouter:
    """The ``/v1`` points endpoints; the adapters are created per request."""
    router = APIRouter(prefix="/v1", tags=["points"])

    async def visible_account(member_id: str, principal: Principal) -> PointsBalance:
        try:
            account = await find_account(member_id, balances())
        except NoPointsAccount as exc:
            raise NotFound(str(exc), code="no_points_account") from exc
        principal.ensure_brand(account.brand_id)
        return account

    @router.get(
        "/members/{member_id}/points",
        summary="A member's points balance and tier",
        responses=error_responses(401, 403, 404),
    )
    async def get_points(member_id: MemberId, principal: Reader) -> PointsBalanceOut:
        account = await visible_account(member_id, principal)
        return PointsBalanceOut.of(BalanceView.of(account))

    @router.get(
        "/members/{member_id}/points/history",
        summary="The entries of a member's points account, newest first",
        responses=error_responses(401, 403, 404, 422),
    )
    async def get_points_history(
        member_id: MemberId,
        principal: Reader,
        limit: Annotated[
            int, Query(ge=1, le=MAX_HISTORY_LIMIT, description="How many entries at most.")
        ] = DEFAULT_HISTORY_LIMIT,
    ) -> PointsHistoryOut:
        account = await visible_account(member_id, principal)
        entries = await history(account, streams(), limit)
        return PointsHistoryOut(
            member_id=member_id, entries=[PointsEntryOut.of(entry) for entry in entries]
        )

    return router


def routers(runtime: Runtime) -> list[APIRouter]:
    # The pool exists only once the service has started, hence the providers.
    return [
        points_router(
            balances=lambda: PostgresPointsBalances(runtime.pool),
            streams=lambda: PostgresEventStore(runtime.pool),
        )
    ]
