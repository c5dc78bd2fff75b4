"""Command handlers: each runs in one unit of work and emits the events of its change."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from rapport_events.clock import Clock

from service_orders.application import idempotency
from service_orders.application.commands import (
    Actor,
    BookAppointment,
    CancelAppointment,
    CompleteAppointment,
    RecordPurchase,
)
from service_orders.application.ports import Appointments, Purchases, ServiceOrdersUnitOfWork
from service_orders.domain import ids
from service_orders.domain.appointment import Appointment
from service_orders.domain.errors import AppointmentNotFound, PurchaseNotFound
from service_orders.domain.purchase import Purchase

T = TypeVar("T")


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """The resource a command produced; ``replayed`` when an earlier request with the same
    ``Idempotency-Key`` produced it and this one changed nothing."""

    value: T
    replayed: bool = False


class ServiceOrdersHandlers:
    def __init__(
        self,
        begin: Callable[[], ServiceOrdersUnitOfWork],
        clock: Clock,
        new_id: ids.IdFactory = ids.new_id,
    ) -> None:
        self._begin = begin
        self._clock = clock
        self._new_id = new_id

    async def book_appointment(self, command: BookAppointment) -> Outcome[Appointment]:
        actor = command.actor
        actor.ensure_store(command.store_id, "the appointment")
        appointment_id = self._new_id(ids.APPOINTMENT)
        async with self._begin() as uow:
            replay = await idempotency.claim(
                uow.idempotency_keys,
                actor=actor,
                key=command.idempotency_key,
                operation="book_appointment",
                request={
                    "member_id": command.member_id,
                    "store_id": command.store_id,
                    "service_code": command.service_code,
                    "scheduled_at": command.scheduled_at,
                },
                resource_id=appointment_id,
                clock=self._clock,
            )
            if replay is not None:
                return Outcome(await _appointment(uow.appointments, actor, replay), True)
            appointment, booked = Appointment.book(
                appointment_id=appointment_id,
                brand_id=actor.brand_id,
                store_id=command.store_id,
                member_id=command.member_id,
                service_code=command.service_code,
                scheduled_at=command.scheduled_at,
                booked_by=actor.subject,
                now=self._clock.now(),
            )
            await uow.appointments.add(appointment)
            uow.emit(booked, brand_id=actor.brand_id)
            return Outcome(appointment)

    async def complete_appointment(self, command: CompleteAppointment) -> Outcome[Appointment]:
        actor = command.actor
        async with self._begin() as uow:
            replay = await idempotency.claim(
                uow.idempotency_keys,
                actor=actor,
                key=command.idempotency_key,
                operation="complete_appointment",
                request={
                    "appointment_id": command.appointment_id,
                    "amount": command.amount,
                    "served_by": command.served_by,
                },
                resource_id=command.appointment_id,
                clock=self._clock,
            )
            if replay is not None:
                return Outcome(await _appointment(uow.appointments, actor, replay), True)
            current = await _appointment(
                uow.appointments, actor, command.appointment_id, for_update=True
            )
            completed, visited = current.complete(
                visit_id=self._new_id(ids.VISIT),
                amount=command.amount,
                served_by=command.served_by,
                now=self._clock.now(),
            )
            await uow.appointments.update(completed)
            uow.emit(visited, brand_id=actor.brand_id)
            return Outcome(completed)

    async def cancel_appointment(self, command: CancelAppointment) -> Outcome[Appointment]:
        """Cancel a booked appointment. No event announces it yet: the contracts have none."""
        actor = command.actor
        async with self._begin() as uow:
            replay = await idempotency.claim(
                uow.idempotency_keys,
                actor=actor,
                key=command.idempotency_key,
                operation="cancel_appointment",
                request={"appointment_id": command.appointment_id},
                resource_id=command.appointment_id,
                clock=self._clock,
            )
            if replay is not None:
                return Outcome(await _appointment(uow.appointments, actor, replay), True)
            current = await _appointment(
                uow.appointments, actor, command.appointment_id, for_update=True
            )
            cancelled = current.cancel(cancelled_by=actor.subject, now=self._clock.now())
            await uow.appointments.update(cancelled)
            return Outcome(cancelled)

    async def record_purchase(self, command: RecordPurchase) -> Outcome[Purchase]:
        actor = command.actor
        actor.ensure_store(command.store_id, "the purchase")
        purchase_id = self._new_id(ids.PURCHASE)
        async with self._begin() as uow:
            replay = await idempotency.claim(
                uow.idempotency_keys,
                actor=actor,
                key=command.idempotency_key,
                operation="record_purchase",
                request={
                    "member_id": command.member_id,
                    "store_id": command.store_id,
                    "amount": command.amount,
                    "description": command.description,
                },
                resource_id=purchase_id,
                clock=self._clock,
            )
            if replay is not None:
                return Outcome(await _purchase(uow.purchases, actor, replay), True)
            purchase, recorded = Purchase.record(
                purchase_id=purchase_id,
                brand_id=actor.brand_id,
                store_id=command.store_id,
                member_id=command.member_id,
                amount=command.amount,
                description=command.description,
                recorded_by=actor.subject,
                now=self._clock.now(),
            )
            await uow.purchases.add(purchase)
            uow.emit(recorded, brand_id=actor.brand_id)
            return Outcome(purchase)


async def _appointment(
    appointments: Appointments, actor: Actor, appointment_id: str, *, for_update: bool = False
) -> Appointment:
    load = appointments.get_for_update if for_update else appointments.get
    appointment = await load(actor.brand_id, appointment_id)
    if appointment is None:
        raise AppointmentNotFound(appointment_id)
    actor.ensure_store(appointment.store_id, f"appointment {appointment_id}")
    return appointment


async def _purchase(purchases: Purchases, actor: Actor, purchase_id: str) -> Purchase:
    purchase = await purchases.get(actor.brand_id, purchase_id)
    if purchase is None:
        raise PurchaseNotFound(purchase_id)
    actor.ensure_store(purchase.store_id, f"purchase {purchase_id}")
    return purchase
