"""Command handlers: each runs in one unit of work and emits the events of its change.

Every command may carry an ``Idempotency-Key``; :func:`idempotency.once` claims it and
either runs the command or replays what its first request produced, so each handler states
only what identifies its request, which references it names and what it does.

References are checked against the directory replica before anything is written (the rules
are in :mod:`.access`): the member and store a new booking or purchase is made of before its
key is even claimed; the staff a completion names once the appointment is found, so that an
appointment out of reach answers 404 whatever the body says. A refusal rolls the unit of work
back, key claim included.

The ``on_ingested_*`` methods apply what a brand's outside systems publish on its ingestion
topic, as if an integration of the brand had written it through the API: the same reference
checks and domain rules, the same announcement on ``rapport.service-orders.orders`` (caused by
the ingested event, so its correlation id follows). The ids the outside system chose make
them idempotent: the same record sent again changes nothing; a different one under a used id
is refused. They raise the same refusals as the API, which the consumer dead-letters with
the reason (``entrypoints/consumers.py``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TypeVar

from rapport_events.clock import Clock
from rapport_events.contracts.service_orders import (
    AppointmentBooked,
    PurchaseRecorded,
    VisitCompleted,
)
from rapport_events.directory import Directory
from rapport_events.envelope import DomainEvent, EventEnvelope

from service_orders.application import access
from service_orders.application.access import Record
from service_orders.application.commands import (
    Actor,
    BookAppointment,
    CancelAppointment,
    CompleteAppointment,
    MarkAppointmentMissed,
    RecordPurchase,
    SubmitReview,
)
from service_orders.application.errors import IdAlreadyUsed
from service_orders.application.idempotency import Outcome, Request, once
from service_orders.application.ports import ServiceOrdersUnitOfWork
from service_orders.domain import ids, reported
from service_orders.domain.appointment import Appointment
from service_orders.domain.errors import AlreadyReviewed
from service_orders.domain.purchase import Purchase
from service_orders.domain.review import Review

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
        """Cancel a booked appointment, announced with who cancelled it and why."""
        actor = command.actor
        request = Request(
            "cancel_appointment",
            command.appointment_id,
            {"appointment_id": command.appointment_id, "reason": command.reason or ""},
        )

        async def cancel(uow: ServiceOrdersUnitOfWork) -> Appointment:
            current = await _appointment_for_update(uow, actor, command.appointment_id)
            cancelled, announced = current.cancel(
                cancelled_by=actor.subject, reason=command.reason, now=self._clock.now()
            )
            await uow.appointments.update(cancelled)
            uow.emit(announced, brand_id=actor.brand_id)
            return cancelled

        return await self._once(actor, command.idempotency_key, request, cancel, _appointment)

    async def mark_missed(self, command: MarkAppointmentMissed) -> Outcome[Appointment]:
        """Record that the member did not come to a booked appointment whose time has come."""
        actor = command.actor
        request = Request(
            "mark_missed", command.appointment_id, {"appointment_id": command.appointment_id}
        )

        async def mark(uow: ServiceOrdersUnitOfWork) -> Appointment:
            current = await _appointment_for_update(uow, actor, command.appointment_id)
            missed, announced = current.mark_missed(now=self._clock.now())
            await uow.appointments.update(missed)
            uow.emit(announced, brand_id=actor.brand_id)
            return missed

        return await self._once(actor, command.idempotency_key, request, mark, _appointment)

    async def submit_review(self, command: SubmitReview) -> Outcome[Review]:
        """Review a visit within the caller's reach (404 otherwise), once per visit."""
        actor = command.actor
        request = Request(
            "submit_review",
            self._new_id(ids.REVIEW),
            {
                "visit_id": command.visit_id,
                "recommendation": command.recommendation,
                "satisfaction": command.satisfaction,
                "comment": command.comment or "",
            },
        )

        async def submit(uow: ServiceOrdersUnitOfWork) -> Review:
            found = await uow.appointments.get_by_visit(actor.brand_id, command.visit_id)
            visited = access.reachable_visit(actor, command.visit_id, found)
            review, submitted = Review.submit(
                review_id=request.resource_id,
                visited=visited,
                recommendation=command.recommendation,
                satisfaction=command.satisfaction,
                comment=command.comment,
                submitted_by=actor.subject,
                now=self._clock.now(),
            )
            if not await uow.reviews.add(review):
                raise AlreadyReviewed(command.visit_id)
            uow.emit(submitted, brand_id=actor.brand_id)
            return review

        return await self._once(actor, command.idempotency_key, request, submit, _review)

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
                "items": [dataclasses.astuple(item) for item in command.items],
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
                items=[dataclasses.astuple(item) for item in command.items],
            )
            await uow.purchases.add(purchase)
            uow.emit(recorded, brand_id=actor.brand_id)
            return purchase

        references = _member_and_store(actor, command.member_id, command.store_id)
        return await self._once(
            actor, command.idempotency_key, request, record, _purchase, references
        )

    async def on_ingested_booking(
        self, event: AppointmentBooked, envelope: EventEnvelope, uow: ServiceOrdersUnitOfWork
    ) -> None:
        """Book the appointment a brand's mini-program or POS reports.

        The booking rules are the API's, applied at ``booked_at``, when it was made, rather
        than on arrival: the walk-in hour counts back from the booking, so a booking that
        was valid when made stays valid however late it arrives (a till offline for the
        morning, a consumer catching up), and one dated more than an hour after its
        appointment is refused as the API would have refused it. A ``booked_at`` later than
        the platform's now is refused: nothing was booked in the future. An appointment
        whose time has passed by the time it arrives is recorded all the same, booked; its
        visit (a ``VisitCompleted`` naming it) may follow.
        """
        actor = access.integration_of(envelope)
        await _ensure_reported_references(uow.directory, actor, event)
        appointment, booked = reported.booking(event, now=self._clock.now())
        found = await uow.appointments.find(event.appointment_id)
        same = partial(reported.same_booking, candidate=appointment)
        if _resent(actor, ("appointment_id", event.appointment_id), found, same):
            return
        await uow.appointments.add(appointment)
        uow.emit(booked, brand_id=actor.brand_id, caused_by=envelope)

    async def on_ingested_visit(
        self, event: VisitCompleted, envelope: EventEnvelope, uow: ServiceOrdersUnitOfWork
    ) -> None:
        """Record the visit a brand's POS reports: the completion of the appointment it
        names, or, naming none, of a walk-in booked for it when it was served (announced
        like a walk-in booked through the API, then completed)."""
        actor = access.integration_of(envelope)
        await _ensure_reported_references(uow.directory, actor, event)
        await access.ensure_server(uow.directory, actor, event.served_by)
        found = await uow.appointments.find_by_visit(event.visit_id)
        same = partial(reported.same_visit, event=event, now=self._clock.now())
        if _resent(actor, ("visit_id", event.visit_id), found, same):
            return
        for announcement in await self._store_visit(uow, actor, event):
            uow.emit(announcement, brand_id=actor.brand_id, caused_by=envelope)

    async def _store_visit(
        self, uow: ServiceOrdersUnitOfWork, actor: Actor, event: VisitCompleted
    ) -> list[DomainEvent]:
        """Store the appointment the visit completed; what announces it."""
        now = self._clock.now()
        if event.appointment_id is None:
            walk_in_id = self._new_id(ids.APPOINTMENT)
            completed, announced = reported.walk_in(
                walk_in_id, event, reported_by=actor.subject, now=now
            )
            await uow.appointments.add(completed)
            return announced
        booked = await _appointment_for_update(uow, actor, event.appointment_id)
        completed, visited = reported.visit(booked, event, now=now)
        await uow.appointments.update(completed)
        return [visited]

    async def on_ingested_purchase(
        self, event: PurchaseRecorded, envelope: EventEnvelope, uow: ServiceOrdersUnitOfWork
    ) -> None:
        """Record the purchase a brand's POS or a dealer's ERP reports, with the API's rules
        (amount, description); ``purchased_at`` is kept as sent unless it lies in the
        platform's future."""
        actor = access.integration_of(envelope)
        await _ensure_reported_references(uow.directory, actor, event)
        purchase, recorded = reported.purchase(
            event, reported_by=actor.subject, now=self._clock.now()
        )
        found = await uow.purchases.find(event.purchase_id)
        same = partial(reported.same_purchase, candidate=purchase)
        if _resent(actor, ("purchase_id", event.purchase_id), found, same):
            return
        await uow.purchases.add(purchase)
        uow.emit(recorded, brand_id=actor.brand_id, caused_by=envelope)

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


async def _ensure_reported_references(
    directory: Directory, actor: Actor, event: reported.Reported
) -> None:
    """The member and the store a reported record names are the brand's, as for the API."""
    await access.ensure_order_references(
        directory, actor, member_id=event.member_id, store_id=event.store_id
    )


def _resent(
    actor: Actor,
    outside_id: tuple[str, str],
    found: Record | None,
    same: Callable[[Record], bool],
) -> bool:
    """Whether the record an outside system reports under ``outside_id`` (field, id) was
    applied before: True when ``found`` is the ``same`` record, and there is nothing to do
    again; refused when the id names a different record or another brand's; False when the
    id is new."""
    field, reference = outside_id
    previous = access.own_record(actor, field, reference, found)
    if previous is None:
        return False
    if not same(previous):
        raise IdAlreadyUsed(field, reference)
    return True


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


async def _review(uow: ServiceOrdersUnitOfWork, actor: Actor, review_id: str) -> Review:
    found = await uow.reviews.get(actor.brand_id, review_id)
    return access.reachable_review(actor, review_id, found)


async def _purchase(uow: ServiceOrdersUnitOfWork, actor: Actor, purchase_id: str) -> Purchase:
    found = await uow.purchases.get(actor.brand_id, purchase_id)
    return access.reachable_purchase(actor, purchase_id, found)
