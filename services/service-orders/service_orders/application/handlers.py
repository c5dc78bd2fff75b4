"""Command handlers: each runs in one unit of work and emits the events of its change.

Every command may carry an ``Idempotency-Key``; :func:`idempotency.once` claims it and
either runs the command or replays what its first request produced, so each handler states
only what identifies its request, which references it names and what it does.

References are checked against the directory replica before anything is written (the rules
are in :mod:`.access`): the member and store a new booking or purchase is made of before its
key is even claimed; the staff a completion names once the appointment is found, so that an
appointment out of reach answers 404 whatever the body says. A refusal rolls the unit of work
back, key claim included.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from rapport_events.clock import Clock
from rapport_events.directory import Directory

from service_orders.application import access
from service_orders.application.commands import (
    Actor,
    BookAppointment,
    CancelAppointment,
    CompleteAppointment,
    RecordPurchase,
)
from service_orders.application.idempotency import Outcome, Request, once
from service_orders.application.ports import ServiceOrdersUnitOfWork
from service_orders.domain import ids
from service_orders.domain.appointment import Appointment
from service_orders.domain.purchase import Purchase

__all__ = ["Outcome", "ServiceOrdersHandlers"]

T = TypeVar("T")

References = Callable[[Directory], Awaitable[None]]
"""Checks the references a command names, in the unit of work it runs in."""


async def _names_nothing(_directory: Directory) -> None:
    return None


class ServiceOrdersHandlers:
    def __init__(
        self,
        unit_of_work: Callable[[], ServiceOrdersUnitOfWork],
        clock: Clock,
        new_id: ids.IdFactory = ids.new_id,
    ) -> None:
        self._unit_of_work = unit_of_work
        self._clock = clock
        self._new_id = new_id

    async def book_appointment(self, command: BookAppointment) -> Outcome[Appointment]:
        actor = command.actor
        request = Request(
            "book_appointment",
            self._new_id(ids.APPOINTMENT),
            {
                "member_id": command.member_id,
                "store_id": command.store_id,
                "service_code": command.service_code,
                "scheduled_at": command.scheduled_at,
            },
        )

        async def book(uow: ServiceOrdersUnitOfWork) -> Appointment:
            appointment, booked = Appointment.book(
                appointment_id=request.resource_id,
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
            return appointment

        references = _member_and_store(actor, command.member_id, command.store_id)
        return await self._once(
            actor, command.idempotency_key, request, book, _appointment, references
        )

    async def complete_appointment(self, command: CompleteAppointment) -> Outcome[Appointment]:
        actor = command.actor
        served_by = access.default_server(actor, command.served_by)
        request = Request(
            "complete_appointment",
            command.appointment_id,
            {
                "appointment_id": command.appointment_id,
                "amount": command.amount,
                "served_by": served_by,
            },
        )

        async def complete(uow: ServiceOrdersUnitOfWork) -> Appointment:
            current = await _appointment_for_update(uow, actor, command.appointment_id)
            # The appointment first (404), then whom the body names; only a server the
            # request names: the default one is the caller herself.
            await access.ensure_server(uow.directory, actor, command.served_by)
            completed, visited = current.complete(
                visit_id=self._new_id(ids.VISIT),
                amount=command.amount,
                served_by=served_by,
                now=self._clock.now(),
            )
            await uow.appointments.update(completed)
            uow.emit(visited, brand_id=actor.brand_id)
            return completed

        return await self._once(actor, command.idempotency_key, request, complete, _appointment)

    async def cancel_appointment(self, command: CancelAppointment) -> Outcome[Appointment]:
        """Cancel a booked appointment. No event announces it yet: the contracts have none."""
        actor = command.actor
        request = Request(
            "cancel_appointment",
            command.appointment_id,
            {"appointment_id": command.appointment_id},
        )

        async def cancel(uow: ServiceOrdersUnitOfWork) -> Appointment:
            current = await _appointment_for_update(uow, actor, command.appointment_id)
            cancelled = current.cancel(cancelled_by=actor.subject, now=self._clock.now())
            await uow.appointments.update(cancelled)
            return cancelled

        return await self._once(actor, command.idempotency_key, request, cancel, _appointment)

    async def record_purchase(self, command: RecordPurchase) -> Outcome[Purchase]:
        actor = command.actor
        request = Request(
            "record_purchase",
            self._new_id(ids.PURCHASE),
            {
                "member_id": command.member_id,
                "store_id": command.store_id,
                "amount": command.amount,
                "description": command.description,
            },
        )

        async def record(uow: ServiceOrdersUnitOfWork) -> Purchase:
            purchase, recorded = Purchase.record(
                purchase_id=request.resource_id,
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
            return purchase

        references = _member_and_store(actor, command.member_id, command.store_id)
        return await self._once(
            actor, command.idempotency_key, request, record, _purchase, references
        )

    async def _once(
        self,
        actor: Actor,
        key: str | None,
        request: Request,
        change: Callable[[ServiceOrdersUnitOfWork], Awaitable[T]],
        replay: Callable[[ServiceOrdersUnitOfWork, Actor, str], Awaitable[T]],
        references: References = _names_nothing,
    ) -> Outcome[T]:
        """``change`` in a new unit of work, unless ``key`` says it already ran: then the
        resource it produced, as it is now and within the actor's reach. Either way only
        once the request's ``references`` are known and within the actor's reach."""
        async with self._unit_of_work() as uow:
            await references(uow.directory)
            return await once(
                uow,
                actor,
                key,
                request,
                run=lambda: change(uow),
                replay=lambda original: replay(uow, actor, original),
            )


def _member_and_store(actor: Actor, member_id: str, store_id: str) -> References:
    def references(directory: Directory) -> Awaitable[None]:
        return access.ensure_order_references(
            directory, actor, member_id=member_id, store_id=store_id
        )

    return references


async def _appointment(
    uow: ServiceOrdersUnitOfWork, actor: Actor, appointment_id: str
) -> Appointment:
    found = await uow.appointments.get(actor.brand_id, appointment_id)
    return access.reachable_appointment(actor, appointment_id, found)


async def _appointment_for_update(
    uow: ServiceOrdersUnitOfWork, actor: Actor, appointment_id: str
) -> Appointment:
    found = await uow.appointments.get_for_update(actor.brand_id, appointment_id)
    return access.reachable_appointment(actor, appointment_id, found)


async def _purchase(uow: ServiceOrdersUnitOfWork, actor: Actor, purchase_id: str) -> Purchase:
    found = await uow.purchases.get(actor.brand_id, purchase_id)
    return access.reachable_purchase(actor, purchase_id, found)
