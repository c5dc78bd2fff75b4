from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from rapport_events.clock import ManualClock
from rapport_events.contracts.service_orders import (
    AppointmentBooked,
    AppointmentCancelled,
    AppointmentMissed,
    VisitCompleted,
)
from service_orders.domain.appointment import Appointment, AppointmentStatus, Cancellation
from service_orders.domain.errors import InvalidField, TransitionRefused

NOON = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SHANGHAI = timezone(timedelta(hours=8))


def book(clock: ManualClock, scheduled_at: datetime, **overrides: str) -> Appointment:
    fields = {
        "appointment_id": "apt_1",
        "brand_id": "brand-1",
        "store_id": "store-1",
        "member_id": "mem-1",
        "service_code": "gel-manicure",
        "booked_by": "staff-1",
    }
    fields.update(overrides)
    appointment, _ = Appointment.book(scheduled_at=scheduled_at, now=clock.now(), **fields)
    return appointment


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOON)


def test_booking_announces_the_appointment_in_utc(clock: ManualClock) -> None:
    local_three_pm_tomorrow = datetime(2026, 3, 2, 15, 0, tzinfo=SHANGHAI)

    appointment, event = Appointment.book(
        appointment_id="apt_1",
        brand_id="brand-1",
        store_id=" store-1 ",
        member_id="mem-1",
        service_code="gel-manicure",
        scheduled_at=local_three_pm_tomorrow,
        booked_by="staff-1",
        now=clock.now(),
    )

    assert appointment.status is AppointmentStatus.BOOKED
    assert appointment.store_id == "store-1"
    assert appointment.scheduled_at == datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
    assert appointment.scheduled_at.tzinfo is UTC
    assert appointment.visit is None and appointment.cancellation is None
    assert event == AppointmentBooked(
        appointment_id="apt_1",
        member_id="mem-1",
        brand_id="brand-1",
        store_id="store-1",
        service_code="gel-manicure",
        scheduled_at=datetime(2026, 3, 2, 7, 0, tzinfo=UTC),
        booked_by="staff-1",
        booked_at=NOON,
    )


@pytest.mark.parametrize("ago", [timedelta(minutes=1), timedelta(minutes=59), timedelta(hours=1)])
def test_a_walk_in_may_be_booked_up_to_an_hour_after_it_started(
    clock: ManualClock, ago: timedelta
) -> None:
    appointment = book(clock, NOON - ago)

    assert appointment.scheduled_at == NOON - ago


def test_a_booking_more_than_an_hour_in_the_past_is_refused(clock: ManualClock) -> None:
    with pytest.raises(InvalidField) as refused:
        book(clock, NOON - timedelta(hours=1, seconds=1))

    assert refused.value.field == "scheduled_at"
    assert "is more than 1 hour in the past" in refused.value.message
    assert "2026-03-01T10:59:59+00:00" in refused.value.message


def test_the_walk_in_window_follows_the_clock(clock: ManualClock) -> None:
    nine = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    clock.set(nine + timedelta(minutes=30))
    assert book(clock, nine).scheduled_at == nine

    clock.advance(timedelta(minutes=31))
    with pytest.raises(InvalidField, match="more than 1 hour in the past"):
        book(clock, nine)


def test_a_time_without_offset_is_refused(clock: ManualClock) -> None:
    with pytest.raises(InvalidField, match="must include a timezone offset") as refused:
        book(clock, datetime(2026, 3, 2, 15, 0))

    assert refused.value.field == "scheduled_at"


def test_a_booking_more_than_a_year_ahead_is_refused(clock: ManualClock) -> None:
    assert book(clock, NOON + timedelta(days=365)).scheduled_at == NOON + timedelta(days=365)

    with pytest.raises(InvalidField, match="more than 365 days ahead"):
        book(clock, NOON + timedelta(days=365, seconds=1))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("member_id", "  ", "member_id must not be blank"),
        ("store_id", "", "store_id must not be blank"),
        ("service_code", "x" * 65, "service_code must be at most 64 characters, got 65"),
    ],
)
def test_blank_or_oversized_inputs_are_refused(
    clock: ManualClock, field: str, value: str, message: str
) -> None:
    with pytest.raises(InvalidField) as refused:
        book(clock, NOON + timedelta(hours=2), **{field: value})

    assert (refused.value.field, refused.value.message) == (field, message)


def test_completing_records_the_visit_and_announces_it(clock: ManualClock) -> None:
    appointment = book(clock, NOON + timedelta(hours=2))
    clock.advance(timedelta(hours=3))

    completed, event = appointment.complete(
        visit_id="vis_1", amount=Decimal("268"), served_by="staff-2", now=clock.now()
    )

    assert completed.status is AppointmentStatus.COMPLETED
    assert completed.visit is not None
    assert str(completed.visit.amount) == "268.00"
    assert completed.visit.completed_at == NOON + timedelta(hours=3)
    assert appointment.status is AppointmentStatus.BOOKED, "the booked value is not changed"
    assert event == VisitCompleted(
        visit_id="vis_1",
        appointment_id="apt_1",
        member_id="mem-1",
        brand_id="brand-1",
        store_id="store-1",
        service_code="gel-manicure",
        amount=Decimal("268.00"),
        served_by="staff-2",
        completed_at=NOON + timedelta(hours=3),
    )


def test_a_free_visit_completes_with_zero(clock: ManualClock) -> None:
    completed, event = book(clock, NOON).complete(
        visit_id="vis_1", amount=Decimal("0"), served_by=None, now=clock.now()
    )

    assert event.amount == Decimal("0.00")
    assert completed.visit is not None and completed.visit.served_by is None


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("-1", "amount must be 0 or more, got -1"),
        ("1000000.01", "amount must be at most 1000000.00 yuan, got 1000000.01"),
        ("9.999", "amount must have at most 2 decimal places (fen), got 9.999"),
    ],
)
def test_completing_with_an_unacceptable_amount_is_refused(
    clock: ManualClock, amount: str, message: str
) -> None:
    with pytest.raises(InvalidField) as refused:
        book(clock, NOON).complete(
            visit_id="vis_1", amount=Decimal(amount), served_by=None, now=clock.now()
        )

    assert (refused.value.field, refused.value.message) == ("amount", message)


def test_an_appointment_is_completed_only_once(clock: ManualClock) -> None:
    completed, _ = book(clock, NOON).complete(
        visit_id="vis_1", amount=Decimal("10"), served_by=None, now=clock.now()
    )

    with pytest.raises(TransitionRefused) as refused:
        completed.complete(visit_id="vis_2", amount=Decimal("10"), served_by=None, now=clock.now())

    assert refused.value.message == "appointment apt_1 is already completed"


def test_a_cancelled_appointment_cannot_be_completed(clock: ManualClock) -> None:
    cancelled, _ = book(clock, NOON).cancel(cancelled_by="staff-1", now=clock.now())

    with pytest.raises(TransitionRefused) as refused:
        cancelled.complete(visit_id="vis_1", amount=Decimal("10"), served_by=None, now=clock.now())

    assert refused.value.message == "appointment apt_1 is cancelled and cannot be completed"


def test_cancelling_records_who_when_and_why_and_announces_it(clock: ManualClock) -> None:
    appointment = book(clock, NOON + timedelta(days=1))
    clock.advance(timedelta(minutes=5))

    cancelled, event = appointment.cancel(
        cancelled_by="staff-9", reason="  member is travelling ", now=clock.now()
    )

    assert cancelled.status is AppointmentStatus.CANCELLED
    assert cancelled.cancellation == Cancellation(
        cancelled_by="staff-9",
        cancelled_at=NOON + timedelta(minutes=5),
        reason="member is travelling",
    )
    assert event == AppointmentCancelled(
        appointment_id="apt_1",
        member_id="mem-1",
        brand_id="brand-1",
        store_id="store-1",
        service_code="gel-manicure",
        cancelled_by="staff-9",
        reason="member is travelling",
        cancelled_at=NOON + timedelta(minutes=5),
    )


def test_a_cancellation_needs_no_reason_but_a_long_one_is_refused(clock: ManualClock) -> None:
    appointment = book(clock, NOON + timedelta(days=1))

    _, event = appointment.cancel(cancelled_by="mem-1", now=clock.now())
    assert event.reason == "" and event.cancelled_by == "mem-1"
    with pytest.raises(InvalidField, match="reason must be at most 200 characters") as refused:
        appointment.cancel(cancelled_by="staff-1", reason="x" * 201, now=clock.now())
    assert refused.value.field == "reason"


def test_a_no_show_is_recorded_once_the_appointment_time_has_come(clock: ManualClock) -> None:
    appointment = book(clock, NOON + timedelta(hours=2))
    clock.advance(timedelta(hours=2, minutes=30))

    missed, event = appointment.mark_missed(now=clock.now())

    assert missed.status is AppointmentStatus.MISSED
    assert missed.missed_at == NOON + timedelta(hours=2, minutes=30)
    assert event == AppointmentMissed(
        appointment_id="apt_1",
        member_id="mem-1",
        brand_id="brand-1",
        store_id="store-1",
        service_code="gel-manicure",
        missed_at=NOON + timedelta(hours=2, minutes=30),
    )
    assert missed.as_booked() == appointment


def test_an_appointment_still_ahead_cannot_be_missed(clock: ManualClock) -> None:
    appointment = book(clock, NOON + timedelta(hours=2))

    with pytest.raises(TransitionRefused, match="cannot be missed before its time"):
        appointment.mark_missed(now=clock.now())


def test_only_a_booked_appointment_can_be_missed(clock: ManualClock) -> None:
    appointment = book(clock, NOON)
    completed, _ = appointment.complete(
        visit_id="vis_1", amount=Decimal("10"), served_by=None, now=clock.now()
    )
    cancelled, _ = appointment.cancel(cancelled_by="staff-1", now=clock.now())
    missed, _ = appointment.mark_missed(now=clock.now())

    with pytest.raises(TransitionRefused, match=r"^appointment apt_1 is completed and cannot be"):
        completed.mark_missed(now=clock.now())
    with pytest.raises(TransitionRefused, match=r"^appointment apt_1 is cancelled and cannot be"):
        cancelled.mark_missed(now=clock.now())
    with pytest.raises(TransitionRefused, match=r"^appointment apt_1 is already missed$"):
        missed.mark_missed(now=clock.now())
    with pytest.raises(TransitionRefused, match=r"^appointment apt_1 is missed and cannot be"):
        missed.complete(visit_id="vis_1", amount=Decimal("10"), served_by=None, now=clock.now())


def test_only_a_booked_appointment_can_be_cancelled(clock: ManualClock) -> None:
    appointment = book(clock, NOON)
    completed, _ = appointment.complete(
        visit_id="vis_1", amount=Decimal("10"), served_by=None, now=clock.now()
    )
    cancelled, _ = appointment.cancel(cancelled_by="staff-1", now=clock.now())

    with pytest.raises(TransitionRefused, match=r"^appointment apt_1 is completed and cannot be"):
        completed.cancel(cancelled_by="staff-1", now=clock.now())
    with pytest.raises(TransitionRefused, match=r"^appointment apt_1 is already cancelled$"):
        cancelled.cancel(cancelled_by="staff-1", now=clock.now())


def test_a_time_before_the_first_representable_instant_is_refused_not_crashed(
    clock: ManualClock,
) -> None:
    east_of_utc = timezone(timedelta(hours=5))
    with pytest.raises(InvalidField, match="not a bookable time") as refused:
        book(clock, datetime(1, 1, 1, 0, 17, tzinfo=east_of_utc))
    assert refused.value.field == "scheduled_at"
