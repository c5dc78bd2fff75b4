"""The loyalty API's response models, with the examples its OpenAPI document shows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from loyalty.application.queries import BalanceView, HistoryEntry
from loyalty.domain.tiers import Tier

MEMBER_EXAMPLE = "mbr_b45632c1c7e1422cbe31a3ee7114e3eb"

VISIT_ENTRY_EXAMPLE: dict[str, Any] = {
    "event_id": "d66b71b5-15c6-4ac7-bae1-e02436be89ed",
    "points": 268,
    "balance": 2348,
    "reason": "visit",
    "source_id": "vis_6c5f7245b597447991c1a5f8ed5ef291",
    "at": "2026-03-01T10:30:00Z",
}
PURCHASE_ENTRY_EXAMPLE: dict[str, Any] = {
    "event_id": "c3ffe525-a2da-454c-b924-37a2990e2c8d",
    "points": 2080,
    "balance": 2080,
    "reason": "purchase",
    "source_id": "pur_e4f83d6a948d4446b86c91a67ecb8dcc",
    "at": "2026-02-14T16:05:00Z",
}


class PointsBalanceOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "member_id": MEMBER_EXAMPLE,
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
        json_schema_extra={"examples": [VISIT_ENTRY_EXAMPLE, PURCHASE_ENTRY_EXAMPLE]}
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
