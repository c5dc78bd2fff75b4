"""A purchase: products or a package a member bought at a store, outside any appointment."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from rapport_events.contracts.service_orders import PurchasedItem, PurchaseRecorded

from service_orders.domain.errors import InvalidField
from service_orders.domain.money import yuan
from service_orders.domain.text import required_text

MAX_DESCRIPTION_LENGTH = 200
MAX_ITEMS = 100
MAX_CODE_LENGTH = 64
MAX_QUANTITY = 10_000


@dataclass(frozen=True)
class Item:
    """One line of a purchase: a product, its category ("mattress", "care-kit"), how many."""

    product_code: str
    category: str
    quantity: int = 1

    @classmethod
    def checked(cls, position: int, product_code: str, category: str, quantity: int) -> Item:
        """The line at ``position`` of the purchase's ``items``, its fields named by place."""
        where = f"items[{position}]"
        if not 1 <= quantity <= MAX_QUANTITY:
            raise InvalidField(
                f"{where}.quantity",
                f"{where}.quantity must be between 1 and {MAX_QUANTITY}, got {quantity}",
            )
        return cls(
            product_code=required_text(
                f"{where}.product_code", product_code, max_length=MAX_CODE_LENGTH
            ),
            category=required_text(f"{where}.category", category, max_length=MAX_CODE_LENGTH),
            quantity=quantity,
        )


ItemInput = tuple[str, str, int]
"""An item as a caller gives it: (product code, category, quantity)."""


def checked_items(items: Sequence[ItemInput]) -> tuple[Item, ...]:
    if len(items) > MAX_ITEMS:
        raise InvalidField("items", f"items must hold at most {MAX_ITEMS} lines, got {len(items)}")
    return tuple(Item.checked(position, *item) for position, item in enumerate(items))


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
    items: tuple[Item, ...] = ()

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
        items: Sequence[ItemInput] = (),
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
            items=checked_items(items),
        )
        event = PurchaseRecorded(
            purchase_id=purchase.purchase_id,
            member_id=purchase.member_id,
            brand_id=purchase.brand_id,
            store_id=purchase.store_id,
            amount=purchase.amount,
            description=purchase.description,
            items=[
                PurchasedItem(
                    product_code=item.product_code, category=item.category, quantity=item.quantity
                )
                for item in purchase.items
            ],
            purchased_at=purchase.purchased_at,
        )
        return purchase, event
