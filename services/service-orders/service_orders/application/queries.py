"""Reads: one appointment or purchase, or a page of them, within the caller's brand and store."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import cast

from rapport_platform.pagination import DEFAULT_LIMIT, Page, checked_limit, decode_cursor, page_of

from service_orders.application import access
from service_orders.application.commands import Actor
from service_orders.application.ports import (
    AppointmentFilter,
    ByTime,
    PurchaseFilter,
    ServiceOrdersUnitOfWork,
    appointment_position,
    purchase_position,
)
from service_orders.domain.appointment import Appointment, AppointmentStatus
from service_orders.domain.purchase import Purchase


class ServiceOrdersQueries:
    def __init__(self, unit_of_work: Callable[[], ServiceOrdersUnitOfWork]) -> None:
        self._unit_of_work = unit_of_work

    async def appointment(self, actor: Actor, appointment_id: str) -> Appointment:
        async with self._unit_of_work() as uow:
            found = await uow.appointments.get(actor.brand_id, appointment_id)
        return access.reachable_appointment(actor, appointment_id, found)

    async def appointments(
        self,
        actor: Actor,
        *,
        member_id: str | None = None,
        store_id: str | None = None,
        status: AppointmentStatus | None = None,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> Page[Appointment]:
        """Latest scheduled first; ``cursor`` is the ``next_cursor`` of the previous page."""
        where = AppointmentFilter(
            brand_id=actor.brand_id,
            member_id=member_id,
            store_id=access.store_in_scope(actor, store_id),
            status=status,
        )
        limit, after = checked_limit(limit), _after(cursor)
        async with self._unit_of_work() as uow:
            rows = await uow.appointments.search(where, after, limit + 1)
        return page_of(rows, limit, key=appointment_position)

    async def purchase(self, actor: Actor, purchase_id: str) -> Purchase:
        async with self._unit_of_work() as uow:
            found = await uow.purchases.get(actor.brand_id, purchase_id)
        return access.reachable_purchase(actor, purchase_id, found)

    async def purchases(
        self,
        actor: Actor,
        *,
        member_id: str | None = None,
        store_id: str | None = None,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> Page[Purchase]:
        """Newest first; ``cursor`` is the ``next_cursor`` of the previous page."""
        where = PurchaseFilter(
            brand_id=actor.brand_id,
            member_id=member_id,
            store_id=access.store_in_scope(actor, store_id),
        )
        limit, after = checked_limit(limit), _after(cursor)
        async with self._unit_of_work() as uow:
            rows = await uow.purchases.search(where, after, limit + 1)
        return page_of(rows, limit, key=purchase_position)


def _after(cursor: str | None) -> ByTime | None:
    # decode_cursor checks each value's type against the shape it is given.
    return cast(ByTime, decode_cursor(cursor, (datetime, str))) if cursor else None
