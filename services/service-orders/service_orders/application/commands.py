"""Commands the service-orders service accepts, and who issues them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from rapport_platform.auth import Role


@dataclass(frozen=True)
class Actor:
    """Who acts: ``brand_id`` scopes every read and write; ``store_scope`` is set for
    store-bound staff, who may only touch their own store's appointments and purchases
    (the rules are in :mod:`service_orders.application.access`)."""

    subject: str
    brand_id: str
    store_scope: str | None = None
    role: Role = Role.HQ


@dataclass(frozen=True)
class BookAppointment:
    actor: Actor
    member_id: str
    store_id: str
    service_code: str
    scheduled_at: datetime
    idempotency_key: str | None = None


@dataclass(frozen=True)
class CompleteAppointment:
    actor: Actor
    appointment_id: str
    amount: Decimal
    served_by: str | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True)
class CancelAppointment:
    actor: Actor
    appointment_id: str
    idempotency_key: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class MarkAppointmentMissed:
    """Staff record that the member did not come to her appointment (a no-show)."""

    actor: Actor
    appointment_id: str
    idempotency_key: str | None = None


@dataclass(frozen=True)
class OrderedItem:
    """A line of a purchase as the caller gives it."""

    product_code: str
    category: str
    quantity: int = 1


@dataclass(frozen=True)
class SubmitReview:
    """A member's review of a visit, entered by her (through an integration) or by staff."""

    actor: Actor
    visit_id: str
    recommendation: int
    satisfaction: int
    comment: str | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True)
class RecordPurchase:
    actor: Actor
    member_id: str
    store_id: str
    amount: Decimal
    description: str | None = None
    idempotency_key: str | None = None
    items: tuple[OrderedItem, ...] = ()
