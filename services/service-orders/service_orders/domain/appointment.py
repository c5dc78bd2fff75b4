"""The appointment aggregate.

An appointment is booked for a member at a store, then either completed by exactly one
visit (which carries what the member paid), cancelled, or missed (she did not come, as
staff recorded once its time had come). Every outcome is final.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from rapport_events.contracts.service_orders import (
    AppointmentBooked,
    AppointmentCancelled,
    AppointmentMissed,
    VisitCompleted,
)

from service_orders.domain.errors import InvalidField, TransitionRefused
from service_orders.domain.money import yuan
from service_orders.domain.text import optional_text, required_text

WALK_IN_WINDOW = timedelta(hours=1)
"""How far back a booking may be dated: a walk-in is often entered after she sat down."""

BOOKING_HORIZON = timedelta(days=365)
"""How far ahead a booking may be dated; later dates are almost always typing mistakes."""

MAX_SERVICE_CODE_LENGTH = 64
MAX_CANCELLATION_REASON_LENGTH = 200


class AppointmentStatus(StrEnum):
    BOOKED = "booked"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    MISSED = "missed"


@dataclass(frozen=True)
class Visit:
    """The member came and was served; ``amount`` is what she paid, in yuan."""

    visit_id: str
    amount: Decimal
    served_by: str | None
    completed_at: datetime


@dataclass(frozen=True)
class Cancellation:
    cancelled_by: str
    cancelled_at: datetime
    reason: str = ""


@dataclass(frozen=True)
class Appointment:
    appointment_id: str
    brand_id: str
    store_id: str
    member_id: str
    service_code: str
    scheduled_at: datetime
    booked_by: str
    booked_at: datetime
    status: AppointmentStatus = AppointmentStatus.BOOKED
    visit: Visit | None = None
    cancellation: Cancellation | None = None
    missed_at: datetime | None = None

    @classmethod
    def book(
        cls,
        *,
        appointment_id: str,
        brand_id: str,
        store_id: str,
        member_id: str,
        service_code: str,
        scheduled_at: datetime,
        booked_by: str,
        now: datetime,
    ) -> tuple[Appointment, AppointmentBooked]:
        """A new booking and the event announcing it; ``now`` is the clock at booking time."""
        when = _bookable_time(scheduled_at, now)
        appointment = cls(
            appointment_id=appointment_id,
            brand_id=brand_id,
            store_id=required_text("store_id", store_id),
            member_id=required_text("member_id", member_id),
            service_code=required_text(
                "service_code", service_code, max_length=MAX_SERVICE_CODE_LENGTH
            ),
            scheduled_at=when,
            booked_by=booked_by,
            booked_at=now.astimezone(UTC),
        )
        event = AppointmentBooked(
            appointment_id=appointment.appointment_id,
            member_id=appointment.member_id,
            brand_id=appointment.brand_id,
            store_id=appointment.store_id,
            service_code=appointment.service_code,
            scheduled_at=appointment.scheduled_at,
            booked_by=appointment.booked_by,
            booked_at=appointment.booked_at,
        )
        return appointment, event

    def complete(
        self, *, visit_id: str, amount: Decimal, served_by: str | None, now: datetime
    ) -> tuple[Appointment, VisitCompleted]:
        """Record the visit that served this appointment."""
        self._require_booked("completed")
        visit = Visit(
            visit_id=visit_id,
            amount=yuan(amount, field="amount", allow_zero=True),
            served_by=optional_text("served_by", served_by),
            completed_at=now.astimezone(UTC),
        )
        completed = dataclasses.replace(self, status=AppointmentStatus.COMPLETED, visit=visit)
        event = VisitCompleted(
            visit_id=visit.visit_id,
            appointment_id=self.appointment_id,
            member_id=self.member_id,
            brand_id=self.brand_id,
            store_id=self.store_id,
            service_code=self.service_code,
            amount=visit.amount,
            served_by=visit.served_by,
            completed_at=visit.completed_at,
        )
        return completed, event

    def cancel(
        self, *, cancelled_by: str, reason: str | None = None, now: datetime
    ) -> tuple[Appointment, AppointmentCancelled]:
        """Call the appointment off; ``cancelled_by`` is the staff id or the member id."""
        self._require_booked("cancelled")
        cancellation = Cancellation(
            cancelled_by=cancelled_by,
            cancelled_at=now.astimezone(UTC),
            reason=_cancellation_reason(reason),
        )
        cancelled = dataclasses.replace(
            self, status=AppointmentStatus.CANCELLED, cancellation=cancellation
        )
        event = AppointmentCancelled(
            appointment_id=self.appointment_id,
            member_id=self.member_id,
            brand_id=self.brand_id,
            store_id=self.store_id,
            service_code=self.service_code,
            cancelled_by=cancellation.cancelled_by,
            reason=cancellation.reason,
            cancelled_at=cancellation.cancelled_at,
        )
        return cancelled, event

    def mark_missed(self, *, now: datetime) -> tuple[Appointment, AppointmentMissed]:
        """Record that the member did not come. Only once the appointment's time has come:
        before it, nobody can know she will not."""
        self._require_booked("missed")
        if now < self.scheduled_at:
            raise TransitionRefused(
                f"appointment {self.appointment_id} is booked for "
                f"{self.scheduled_at.isoformat()} and cannot be missed before its time "
                f"(now {now.astimezone(UTC).isoformat()})"
            )
        missed = dataclasses.replace(
            self, status=AppointmentStatus.MISSED, missed_at=now.astimezone(UTC)
        )
        event = AppointmentMissed(
            appointment_id=self.appointment_id,
            member_id=self.member_id,
            brand_id=self.brand_id,
            store_id=self.store_id,
            service_code=self.service_code,
            missed_at=now.astimezone(UTC),
        )
        return missed, event

    def as_booked(self) -> Appointment:
        """The appointment as it was booked, before any outcome: what a booking resent by an
        outside system is compared with."""
        return dataclasses.replace(
            self, status=AppointmentStatus.BOOKED, visit=None, cancellation=None, missed_at=None
        )

    def _require_booked(self, becoming: str) -> None:
        if self.status is AppointmentStatus.BOOKED:
            return
        if self.status.value == becoming:
            raise TransitionRefused(f"appointment {self.appointment_id} is already {becoming}")
        raise TransitionRefused(
            f"appointment {self.appointment_id} is {self.status.value} and cannot be {becoming}"
        )


def _cancellation_reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if len(text) > MAX_CANCELLATION_REASON_LENGTH:
        raise InvalidField(
            "reason",
            f"reason must be at most {MAX_CANCELLATION_REASON_LENGTH} characters, got {len(text)}",
        )
    return text


def _bookable_time(scheduled_at: datetime, now: datetime) -> datetime:
    if scheduled_at.tzinfo is None or scheduled_at.utcoffset() is None:
        raise InvalidField(
            "scheduled_at",
            "scheduled_at must include a timezone offset, e.g. 2026-03-01T10:00:00+08:00",
        )
    try:
        when = scheduled_at.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+05:00 is before the first representable instant
        raise InvalidField(
            "scheduled_at", f"scheduled_at {scheduled_at.isoformat()} is not a bookable time"
        ) from None
    if when < now - WALK_IN_WINDOW:
        raise InvalidField(
            "scheduled_at",
            f"scheduled_at {when.isoformat()} is more than 1 hour in the past "
            f"(now {now.astimezone(UTC).isoformat()}); only walk-ins that started within the "
            "last hour can be booked after the fact",
        )
    if when > now + BOOKING_HORIZON:
        raise InvalidField(
            "scheduled_at",
            f"scheduled_at {when.isoformat()} is more than {BOOKING_HORIZON.days} days ahead",
        )
    return when
