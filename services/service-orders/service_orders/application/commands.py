"""Commands the service-orders service accepts, and who issues them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from service_orders.application.errors import OutsideStore


@dataclass(frozen=True)
class Actor:
    """Who acts: ``brand_id`` scopes every read and write; ``store_scope`` is set for
    store-bound staff, who may only touch their own store's appointments and purchases."""

    subject: str
    brand_id: str
    store_scope: str | None = None

    def ensure_store(self, store_id: str, what: str) -> None:
        if self.store_scope is not None and self.store_scope != store_id:
            raise OutsideStore(
                f"{what} belongs to store {store_id}; you may only act for store {self.store_scope}"
            )


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


@dataclass(frozen=True)
class RecordPurchase:
    actor: Actor
    member_id: str
    store_id: str
    amount: Decimal
    description: str | None = None
    idempotency_key: str | None = None
