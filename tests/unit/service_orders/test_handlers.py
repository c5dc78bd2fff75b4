import dataclasses
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import count
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from rapport_events.clock import ManualClock
from rapport_events.contracts.service_orders import (
    AppointmentBooked,
    PurchaseRecorded,
    VisitCompleted,
)
from rapport_events.registry import registry
from service_orders.application.commands import (
    Actor,
    BookAppointment,
    CancelAppointment,
    CompleteAppointment,
    RecordPurchase,
)
from service_orders.application.errors import IdempotencyKeyReused, OutsideStore
from service_orders.application.handlers import ServiceOrdersHandlers
from service_orders.application.queries import ServiceOrdersQueries
from service_orders.domain.appointment import AppointmentStatus
from service_orders.domain.errors import (
    AppointmentNotFound,
    InvalidField,
    PurchaseNotFound,
    TransitionRefused,
)

from tests.unit.service_orders.fakes import FakeDatabase

NOON = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TOMORROW = NOON + timedelta(days=1)
HQ = Actor(subject="hq-anna", brand_id="brand-1")
OTHER_BRAND = Actor(subject="hq-bo", brand_id="brand-2")
ASSOCIATE = Actor(subject="staff-li", brand_id="brand-1", store_scope="store-1")
ELSEWHERE = Actor(subject="staff-wu", brand_id="brand-1", store_scope="store-2")


class Ids:
    def __init__(self) -> None:
        self._numbers = count(1)

    def __call__(self, prefix: str) -> str:
        return f"{prefix}_{next(self._numbers)}"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOON)


@pytest.fixture
def database(clock: ManualClock) -> FakeDatabase:
    return FakeDatabase(clock)


@pytest.fixture
def handlers(database: FakeDatabase, clock: ManualClock) -> ServiceOrdersHandlers:
    return ServiceOrdersHandlers(begin=database.begin, clock=clock, new_id=Ids())


@pytest.fixture
def queries(database: FakeDatabase) -> ServiceOrdersQueries:
    return ServiceOrdersQueries(database.appointment_reader(), database.purchase_reader())


def booking(actor: Actor = HQ, key: str | None = None, **changes: Any) -> BookAppointment:
    command = BookAppointment(
        actor=actor,
        member_id="mem-1",
        store_id="store-1",
        service_code="gel-manicure",
        scheduled_at=TOMORROW,
        idempotency_key=key,
    )
    return dataclasses.replace(command, **changes)


def completion(
    appointment_id: str, amount: str = "268", actor: Actor = HQ, key: str | None = None
) -> CompleteAppointment:
    return CompleteAppointment(
        actor=actor,
        appointment_id=appointment_id,
        amount=Decimal(amount),
        served_by="staff-li",
        idempotency_key=key,
    )


def purchase(actor: Actor = HQ, key: str | None = None, amount: str = "580") -> RecordPurchase:
    return RecordPurchase(
        actor=actor,
        member_id="mem-1",
        store_id="store-1",
        amount=Decimal(amount),
        description="hand-care set",
        idempotency_key=key,
    )


def published_types(database: FakeDatabase) -> list[str]:
    return [envelope.type for envelope in database.published]


# -- booking -------------------------------------------------------------------------------


async def test_booking_stores_the_appointment_and_emits_appointment_booked(
    handlers: ServiceOrdersHandlers, database: FakeDatabase
) -> None:
    outcome = await handlers.book_appointment(booking())

    assert not outcome.replayed
    appointment = outcome.value
    assert appointment.appointment_id == "apt_1"
    assert appointment.booked_by == "hq-anna"
    assert database.state.appointments == {"apt_1": appointment}
    [envelope] = database.published
    assert envelope.brandid == "brand-1"
    assert envelope.subject == "mem-1"
    assert registry.decode(envelope) == AppointmentBooked(
        appointment_id="apt_1",
        member_id="mem-1",
        brand_id="brand-1",
        store_id="store-1",
        service_code="gel-manicure",
        scheduled_at=TOMORROW,
        booked_by="hq-anna",
        booked_at=NOON,
    )


async def test_a_refused_booking_stores_and_emits_nothing(
    handlers: ServiceOrdersHandlers, database: FakeDatabase
) -> None:
    with pytest.raises(InvalidField, match="more than 1 hour in the past"):
        await handlers.book_appointment(booking(scheduled_at=NOON - timedelta(hours=2)))

    assert database.state.appointments == {}
    assert database.published == []


async def test_store_staff_book_only_for_their_own_store(
    handlers: ServiceOrdersHandlers, database: FakeDatabase
) -> None:
    assert (await handlers.book_appointment(booking(ASSOCIATE))).value.store_id == "store-1"

    with pytest.raises(OutsideStore, match="you may only act for store store-2"):
        await handlers.book_appointment(booking(ELSEWHERE))
    assert len(database.published) == 1


# -- idempotency ---------------------------------------------------------------------------


async def test_a_retried_booking_answers_the_original_and_emits_nothing(
    handlers: ServiceOrdersHandlers, database: FakeDatabase
) -> None:
    first = await handlers.book_appointment(booking(key="k-1"))
    retry = await handlers.book_appointment(booking(key="k-1"))

    assert retry.replayed
    assert retry.value == first.value
    assert list(database.state.appointments) == [first.value.appointment_id]
    assert published_types(database) == [AppointmentBooked.event_type]


async def test_a_key_reused_with_a_different_request_is_refused(
    handlers: ServiceOrdersHandlers, database: FakeDatabase
) -> None:
    await handlers.book_appointment(booking(key="k-1"))

    with pytest.raises(IdempotencyKeyReused) as refused:
        await handlers.book_appointment(booking(key="k-1", service_code="pedicure"))

    assert refused.value.message == "Idempotency-Key reused with a different request"
    assert len(database.state.appointments) == 1
    assert len(database.published) == 1


async def test_a_key_used_for_another_operation_is_refused(
    handlers: ServiceOrdersHandlers,
) -> None:
    booked = (await handlers.book_appointment(booking(key="k-1"))).value

    with pytest.raises(IdempotencyKeyReused):
        await handlers.complete_appointment(completion(booked.appointment_id, key="k-1"))


async def test_the_same_request_written_differently_is_a_retry(
    handlers: ServiceOrdersHandlers, database: FakeDatabase
) -> None:
    shanghai = TOMORROW.astimezone(ZoneInfo("Asia/Shanghai"))
    first = await handlers.book_appointment(booking(key="k-1"))
    retry = await handlers.book_appointment(booking(key="k-1", scheduled_at=shanghai))
    booked = first.value.appointment_id

    done = await handlers.complete_appointment(completion(booked, amount="268", key="k-2"))
    again = await handlers.complete_appointment(completion(booked, amount="268.00", key="k-2"))

    assert retry.replayed and retry.value == first.value
    assert again.replayed and again.value == done.value
    assert published_types(database) == [AppointmentBooked.event_type, VisitCompleted.event_type]


async def test_keys_are_scoped_per_brand(
    handlers: ServiceOrdersHandlers, database: FakeDatabase
) -> None:
    ours = await handlers.book_appointment(booking(key="shared"))
    theirs = await handlers.book_appointment(booking(OTHER_BRAND, key="shared"))

    assert not theirs.replayed
    assert theirs.value.appointment_id != ours.value.appointment_id
    assert theirs.value.brand_id == "brand-2"
    assert [envelope.brandid for envelope in database.published] == ["brand-1", "brand-2"]


async def test_a_refused_request_does_not_use_up_its_key(
    handlers: ServiceOrdersHandlers, database: FakeDatabase
) -> None:
    with pytest.raises(InvalidField):
        await handlers.book_appointment(booking(key="k-1", scheduled_at=NOON - timedelta(hours=2)))

    outcome = await handlers.book_appointment(booking(key="k-1"))

    assert not outcome.replayed
    assert published_types(database) == [AppointmentBooked.event_type]


async def test_a_replay_is_still_scoped_to_the_callers_store(
    handlers: ServiceOrdersHandlers,
) -> None:
    await handlers.book_appointment(booking(key="k-1"))

    with pytest.raises(OutsideStore):
        await handlers.book_appointment(booking(ELSEWHERE, key="k-1", store_id="store-1"))


# -- completion ----------------------------------------------------------------------------


async def test_completing_emits_visit_completed_with_the_amount(
    handlers: ServiceOrdersHandlers, database: FakeDatabase, clock: ManualClock
) -> None:
    booked = (await handlers.book_appointment(booking())).value
    clock.advance(timedelta(days=1, hours=1))

    outcome = await handlers.complete_appointment(completion(booked.appointment_id, "268.5"))

    completed = outcome.value
    assert completed.status is AppointmentStatus.COMPLETED
    assert database.state.appointments[booked.appointment_id] == completed
    assert registry.decode(database.published[-1]) == VisitCompleted(
        visit_id="vis_2",
        appointment_id=booked.appointment_id,
        member_id="mem-1",
        brand_id="brand-1",
        store_id="store-1",
        service_code="gel-manicure",
        amount=Decimal("268.50"),
        served_by="staff-li",
        completed_at=NOON + timedelta(days=1, hours=1),
    )
    assert database.published[-1].data["amount"] == "268.50"


async def test_completing_twice_is_a_conflict_and_emits_once(
    handlers: ServiceOrdersHandlers, database: FakeDatabase
) -> None:
    booked = (await handlers.book_appointment(booking())).value
    await handlers.complete_appointment(completion(booked.appointment_id))

    with pytest.raises(TransitionRefused) as refused:
        await handlers.complete_appointment(completion(booked.appointment_id))

    assert refused.value.message == f"appointment {booked.appointment_id} is already completed"
    assert published_types(database).count(VisitCompleted.event_type) == 1


async def test_a_retried_completion_answers_the_visit_and_emits_nothing(
    handlers: ServiceOrdersHandlers, database: FakeDatabase
) -> None:
    booked = (await handlers.book_appointment(booking())).value
    first = await handlers.complete_appointment(completion(booked.appointment_id, key="pay-1"))

    retry = await handlers.complete_appointment(completion(booked.appointment_id, key="pay-1"))

    assert retry.replayed and retry.value == first.value
    assert published_types(database).count(VisitCompleted.event_type) == 1


async def test_another_brands_appointment_does_not_exist(
    handlers: ServiceOrdersHandlers, database: FakeDatabase
) -> None:
    booked = (await handlers.book_appointment(booking())).value

    with pytest.raises(AppointmentNotFound, match=f"appointment {booked.appointment_id} does"):
        await handlers.complete_appointment(completion(booked.appointment_id, actor=OTHER_BRAND))
    with pytest.raises(AppointmentNotFound):
        await handlers.cancel_appointment(CancelAppointment(OTHER_BRAND, booked.appointment_id))
    assert database.state.appointments[booked.appointment_id].status is AppointmentStatus.BOOKED


async def test_store_staff_complete_only_their_own_stores_appointments(
    handlers: ServiceOrdersHandlers, database: FakeDatabase
) -> None:
    booked = (await handlers.book_appointment(booking())).value

    with pytest.raises(OutsideStore, match=f"appointment {booked.appointment_id} belongs to"):
        await handlers.complete_appointment(completion(booked.appointment_id, actor=ELSEWHERE))

    done = await handlers.complete_appointment(completion(booked.appointment_id, actor=ASSOCIATE))
    assert done.value.status is AppointmentStatus.COMPLETED


async def test_an_invalid_amount_leaves_the_appointment_booked(
    handlers: ServiceOrdersHandlers, database: FakeDatabase
) -> None:
    booked = (await handlers.book_appointment(booking())).value

    with pytest.raises(InvalidField, match="at most 2 decimal places"):
        await handlers.complete_appointment(completion(booked.appointment_id, "1.234", key="x"))

    assert database.state.appointments[booked.appointment_id].status is AppointmentStatus.BOOKED
    assert database.state.keys == {}
    assert published_types(database) == [AppointmentBooked.event_type]


# -- cancellation --------------------------------------------------------------------------


async def test_cancelling_emits_nothing_and_blocks_completion(
    handlers: ServiceOrdersHandlers, database: FakeDatabase
) -> None:
    booked = (await handlers.book_appointment(booking())).value

    cancelled = await handlers.cancel_appointment(
        CancelAppointment(ASSOCIATE, booked.appointment_id)
    )

    assert cancelled.value.status is AppointmentStatus.CANCELLED
    assert cancelled.value.cancellation is not None
    assert cancelled.value.cancellation.cancelled_by == "staff-li"
    assert published_types(database) == [AppointmentBooked.event_type]
    with pytest.raises(TransitionRefused, match="is cancelled and cannot be completed"):
        await handlers.complete_appointment(completion(booked.appointment_id))
    with pytest.raises(TransitionRefused, match="is already cancelled"):
        await handlers.cancel_appointment(CancelAppointment(HQ, booked.appointment_id))


async def test_a_retried_cancellation_answers_the_cancelled_appointment(
    handlers: ServiceOrdersHandlers,
) -> None:
    booked = (await handlers.book_appointment(booking())).value
    command = CancelAppointment(HQ, booked.appointment_id, idempotency_key="c-1")

    first = await handlers.cancel_appointment(command)
    retry = await handlers.cancel_appointment(command)

    assert retry.replayed and retry.value == first.value


# -- purchases -----------------------------------------------------------------------------


async def test_recording_a_purchase_emits_purchase_recorded(
    handlers: ServiceOrdersHandlers, database: FakeDatabase
) -> None:
    outcome = await handlers.record_purchase(purchase(ASSOCIATE))

    recorded = outcome.value
    assert recorded.purchase_id == "pur_1"
    assert recorded.recorded_by == "staff-li"
    assert database.state.purchases == {"pur_1": recorded}
    assert registry.decode(database.published[0]) == PurchaseRecorded(
        purchase_id="pur_1",
        member_id="mem-1",
        brand_id="brand-1",
        store_id="store-1",
        amount=Decimal("580.00"),
        description="hand-care set",
        purchased_at=NOON,
    )


async def test_a_retried_purchase_is_recorded_once(
    handlers: ServiceOrdersHandlers, database: FakeDatabase
) -> None:
    first = await handlers.record_purchase(purchase(key="pos-77"))
    retry = await handlers.record_purchase(purchase(key="pos-77"))

    assert retry.replayed and retry.value == first.value
    assert len(database.state.purchases) == 1
    assert published_types(database) == [PurchaseRecorded.event_type]
    with pytest.raises(IdempotencyKeyReused):
        await handlers.record_purchase(purchase(key="pos-77", amount="581"))


async def test_purchases_are_refused_outside_the_callers_store_or_without_cost(
    handlers: ServiceOrdersHandlers, database: FakeDatabase
) -> None:
    with pytest.raises(OutsideStore):
        await handlers.record_purchase(purchase(ELSEWHERE))
    with pytest.raises(InvalidField, match="amount must be greater than 0"):
        await handlers.record_purchase(purchase(amount="0"))

    assert database.published == []


# -- queries -------------------------------------------------------------------------------


async def test_appointments_are_listed_latest_first_within_the_brand(
    handlers: ServiceOrdersHandlers, queries: ServiceOrdersQueries
) -> None:
    early = (await handlers.book_appointment(booking())).value
    late = (
        await handlers.book_appointment(booking(scheduled_at=TOMORROW + timedelta(hours=3)))
    ).value
    other = (await handlers.book_appointment(booking(member_id="mem-2", store_id="store-2"))).value
    await handlers.book_appointment(booking(OTHER_BRAND))
    await handlers.complete_appointment(completion(early.appointment_id))

    everything = await queries.appointments(HQ)
    of_member = await queries.appointments(HQ, member_id="mem-1")
    booked = await queries.appointments(HQ, status=AppointmentStatus.BOOKED)
    first_only = await queries.appointments(HQ, limit=1)

    assert {item.brand_id for item in everything} == {"brand-1"}
    assert [item.appointment_id for item in of_member] == [
        late.appointment_id,
        early.appointment_id,
    ]
    assert {item.appointment_id for item in booked} == {late.appointment_id, other.appointment_id}
    assert [item.appointment_id for item in first_only] == [late.appointment_id]


async def test_store_staff_see_only_their_own_store(
    handlers: ServiceOrdersHandlers, queries: ServiceOrdersQueries
) -> None:
    ours = (await handlers.book_appointment(booking())).value
    theirs = (await handlers.book_appointment(booking(store_id="store-2"))).value

    listed = await queries.appointments(ASSOCIATE)

    assert [item.appointment_id for item in listed] == [ours.appointment_id]
    assert await queries.appointment(ASSOCIATE, ours.appointment_id) == ours
    with pytest.raises(OutsideStore):
        await queries.appointment(ASSOCIATE, theirs.appointment_id)
    with pytest.raises(OutsideStore, match="not of store store-2"):
        await queries.appointments(ASSOCIATE, store_id="store-2")


async def test_queries_report_missing_resources_and_bad_limits(
    handlers: ServiceOrdersHandlers, queries: ServiceOrdersQueries
) -> None:
    booked = (await handlers.book_appointment(booking())).value
    recorded = (await handlers.record_purchase(purchase())).value

    with pytest.raises(AppointmentNotFound):
        await queries.appointment(OTHER_BRAND, booked.appointment_id)
    with pytest.raises(PurchaseNotFound):
        await queries.purchase(OTHER_BRAND, recorded.purchase_id)
    with pytest.raises(InvalidField, match="limit must be between 1 and 200, got 0"):
        await queries.appointments(HQ, limit=0)
    assert await queries.purchase(HQ, recorded.purchase_id) == recorded
    assert await queries.purchases(HQ, member_id="mem-1") == [recorded]
    assert await queries.purchases(HQ, member_id="mem-2") == []
