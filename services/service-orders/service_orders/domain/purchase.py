"""A purchase: products or a package a member bought at a store, outside any appointment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from rapport_events.contracts.service_orders import PurchaseRecorded

from service_orders.domain.errors import InvalidField
from service_orders.domain.money import yuan
from service_orders.domain.text import required_text

MAX_DESCRIPTION_LENGTH = 200


@dataclass(frozen=True)
class Purchase:
    purchase_id: str
    brand_id: str
    store_id: str
    member_id: str
    amount: Decimal
    description: str
    recorded_by: str
    purchased_at: datetime

    @classmethod
    def record(
        cls,
        *,
        purchase_id: str,
        brand_id: str,
        store_id: str,
        member_id: str,
        amount: Decimal,
        description: str | None,
        recorded_by: str,
        now: datetime,
    ) -> tuple[Purchase, PurchaseRecorded]:
        text = (description or "").strip()
        if len(text) > MAX_DESCRIPTION_LENGTH:
            raise InvalidField(
                "description",
                f"description must be at most {MAX_DESCRIPTION_LENGTH} characters, got {len(text)}",
            )
        purchase = cls(
            purchase_id=purchase_id,
            brand_id=brand_id,
            store_id=required_text("store_id", store_id),
            member_id=required_text("member_id", member_id),
            amount=yuan(amount, field="amount", allow_zero=False),
            description=text,
            recorded_by=recorded_by,
            purchased_at=now.astimezone(UTC),
        )
        event = PurchaseRecorded(
            purchase_id=purchase.purchase_id,
            member_id=purchase.member_id,
            brand_id=purchase.brand_id,
            store_id=purchase.store_id,
            amount=purchase.amount,
            description=purchase.description,
            purchased_at=purchase.purchased_at,
        )
        return purchase, event
