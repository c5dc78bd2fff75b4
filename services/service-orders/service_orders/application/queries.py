"""Reads: one appointment or purchase, or a filtered list, within the caller's brand and store."""

from __future__ import annotations

from service_orders.application.commands import Actor
from service_orders.application.errors import OutsideStore
from service_orders.application.ports import (
    AppointmentFilter,
    AppointmentReader,
    PurchaseFilter,
    PurchaseReader,
)
from service_orders.domain.appointment import Appointment, AppointmentStatus
from service_orders.domain.errors import AppointmentNotFound, InvalidField, PurchaseNotFound
from service_orders.domain.purchase import Purchase

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class ServiceOrdersQueries:
    def __init__(self, appointments: AppointmentReader, purchases: PurchaseReader) -> None:
        self._appointments = appointments
        self._purchases = purchases

    async def appointment(self, actor: Actor, appointment_id: str) -> Appointment:
        appointment = await self._appointments.get(actor.brand_id, appointment_id)
        if appointment is None:
            raise AppointmentNotFound(appointment_id)
        actor.ensure_store(appointment.store_id, f"appointment {appointment_id}")
        return appointment

    async def appointments(
        self,
        actor: Actor,
        *,
        member_id: str | None = None,
        store_id: str | None = None,
        status: AppointmentStatus | None = None,
        limit: int = DEFAULT_LIMIT,
    ) -> list[Appointment]:
        return await self._appointments.search(
            AppointmentFilter(
                brand_id=actor.brand_id,
                member_id=member_id,
                store_id=_store_in_scope(actor, store_id, "appointments"),
                status=status,
                limit=_checked_limit(limit),
            )
        )

    async def purchase(self, actor: Actor, purchase_id: str) -> Purchase:
        purchase = await self._purchases.get(actor.brand_id, purchase_id)
        if purchase is None:
            raise PurchaseNotFound(purchase_id)
        actor.ensure_store(purchase.store_id, f"purchase {purchase_id}")
        return purchase

    async def purchases(
        self,
        actor: Actor,
        *,
        member_id: str | None = None,
        store_id: str | None = None,
        limit: int = DEFAULT_LIMIT,
    ) -> list[Purchase]:
        return await self._purchases.search(
            PurchaseFilter(
                brand_id=actor.brand_id,
                member_id=member_id,
                store_id=_store_in_scope(actor, store_id, "purchases"),
                limit=_checked_limit(limit),
            )
        )


def _store_in_scope(actor: Actor, store_id: str | None, what: str) -> str | None:
    """Store-bound staff list their own store whether or not they name it."""
    if store_id is None or actor.store_scope in (None, store_id):
        return store_id or actor.store_scope
    raise OutsideStore(
        f"you may only see the {what} of store {actor.store_scope}, not of store {store_id}"
    )


def _checked_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidField("limit", f"limit must be between 1 and {MAX_LIMIT}, got {limit}")
    return limit
