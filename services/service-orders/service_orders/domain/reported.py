"""Facts an outside system of a brand reports (a POS, the mini-program, a dealer's ERP).

They are judged by the very rules the API applies, but at the moment they happened, not at
the moment they arrive: a till that was offline for an hour reports a walk-in booked then,
and the walk-in window counts from then. The one rule of their own: a fact cannot have
happened after the platform's now (give or take the senders' clock drift).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import TypedDict

from rapport_events.contracts.service_orders import (
    AppointmentBooked,
    PurchaseRecorded,
    VisitCompleted,
)
from rapport_events.envelope import DomainEvent

from service_orders.domain.appointment import Appointment
from service_orders.domain.errors import InvalidField
from service_orders.domain.purchase import Purchase
from service_orders.domain.text import identifier

CLOCK_DRIFT = timedelta(minutes=5)
"""How far ahead of the platform's clock a sender's may run before its times are refused."""

VISIT_FACTS = ("member_id", "store_id", "service_code")
"""What a reported visit says that its appointment already decided."""

Reported = AppointmentBooked | VisitCompleted | PurchaseRecorded
"""What outside systems report: each names a member of the brand and the store it was at."""


class Whose(TypedDict):
    brand_id: str
    store_id: str
    member_id: str


def whose(event: Reported) -> Whose:
    """The brand, store and member a reported record belongs to, as the domain takes them."""
    return Whose(brand_id=event.brand_id, store_id=event.store_id, member_id=event.member_id)


def reported_time(field: str, when: datetime, now: datetime) -> datetime:
    """``when``, unless it lies in the platform's future: nothing has happened there yet."""
    if when > now + CLOCK_DRIFT:
        raise InvalidField(
            field,
            f"{field} {when.astimezone(UTC).isoformat()} is later than the platform's now "
            f"({now.astimezone(UTC).isoformat()}); is the sender's clock synchronised?",
        )
    return when


def booking(event: AppointmentBooked, *, now: datetime) -> tuple[Appointment, AppointmentBooked]:
    """The booking as the API would have made it at ``booked_at``."""
    return Appointment.book(
        appointment_id=identifier("appointment_id", event.appointment_id),
        **whose(event),
        service_code=event.service_code,
        scheduled_at=event.scheduled_at,
        booked_by=event.booked_by,
        now=reported_time("booked_at", event.booked_at, now),
    )


def visit(
    appointment: Appointment, event: VisitCompleted, *, now: datetime
) -> tuple[Appointment, VisitCompleted]:
    """``appointment`` completed by the visit ``event`` reports, which must be hers, there,
    for the service she booked."""
    for name in VISIT_FACTS:
        said, booked = getattr(event, name), getattr(appointment, name)
        if said != booked:
            raise InvalidField(
                name,
                f"{name} {said!r} is not that of appointment {appointment.appointment_id} "
                f"({booked!r})",
            )
    return appointment.complete(
        visit_id=identifier("visit_id", event.visit_id),
        amount=event.amount,
        served_by=event.served_by,
        now=reported_time("completed_at", event.completed_at, now),
    )


def walk_in(
    appointment_id: str, event: VisitCompleted, *, reported_by: str, now: datetime
) -> tuple[Appointment, list[DomainEvent]]:
    """A visit no appointment was booked for: booked as a walk-in when it was served, and
    completed by it, as store staff would through the API."""
    served_at = reported_time("completed_at", event.completed_at, now)
    booked, announced = Appointment.book(
        appointment_id=appointment_id,
        **whose(event),
        service_code=event.service_code,
        scheduled_at=served_at,
        booked_by=reported_by,
        now=served_at,
    )
    completed, visited = visit(booked, event, now=now)
    return completed, [announced, visited]


def purchase(
    event: PurchaseRecorded, *, reported_by: str, now: datetime
) -> tuple[Purchase, PurchaseRecorded]:
    return Purchase.record(
        purchase_id=identifier("purchase_id", event.purchase_id),
        **whose(event),
        amount=event.amount,
        description=event.description,
        items=[(item.product_code, item.category, item.quantity) for item in event.items],
        recorded_by=reported_by,
        now=reported_time("purchased_at", event.purchased_at, now),
    )


# --------------------------------------------------------------------------- resends
# An outside system resends what it is not sure arrived, possibly from another till: the
# same facts under the same id are the same record, whoever sent them.


def same_booking(previous: Appointment, candidate: Appointment) -> bool:
    """Whether ``candidate`` books what ``previous`` booked (whatever became of it since)."""
    return previous.as_booked() == candidate


def same_visit(previous: Appointment, event: VisitCompleted, *, now: datetime) -> bool:
    """Whether ``event`` reports the visit that completed ``previous``; a visit naming no
    appointment may be the one its walk-in was booked for."""
    if event.appointment_id not in (None, previous.appointment_id):
        return False
    try:
        candidate, _ = visit(previous.as_booked(), event, now=now)
    except InvalidField:  # for another member, store or service: another visit
        return False
    return candidate == previous


def same_purchase(previous: Purchase, candidate: Purchase) -> bool:
    return dataclasses.replace(candidate, recorded_by=previous.recorded_by) == previous
