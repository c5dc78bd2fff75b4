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
    AppointmentCancelled,
    PurchaseRecorded,
    VisitCompleted,
)
from rapport_events.registry import registry
from rapport_events.uow import InMemoryDatabase
from rapport_platform.auth import Role
from rapport_platform.refusals import InvalidCursor, InvalidInput
from service_orders.adapters.memory import in_memory_database, unit_of_work_factory
from service_orders.application.commands import (
    Actor,
    BookAppointment,
    CancelAppointment,
    CompleteAppointment,
    RecordPurchase,
)
from service_orders.application.errors import (
    IdempotencyKeyReused,
    OutsideStore,
    UnknownStaff,
    UnknownStore,
)
from service_orders.application.handlers import ServiceOrdersHandlers
from service_orders.application.queries import ServiceOrdersQueries
from service_orders.domain.appointment import AppointmentStatus
from service_orders.domain.errors import (
    AppointmentNotFound,
    InvalidField,
    PurchaseNotFound,
    TransitionRefused,
)

from tests.unit.service_orders.world import (
    COLLEAGUE,
    OTHER_BRANDS_MEMBER,
    OTHER_BRANDS_STORE,
    SECOND_MEMBER,
    SECOND_STORE,
    known_world,
)

NOON = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TOMORROW = NOON + timedelta(days=1)
HQ = Actor(subject="hq-anna", brand_id="brand-1")
OTHER_BRAND = Actor(subject="hq-bo", brand_id="brand-2")
ASSOCIATE = Actor(
    subject="staff-li", brand_id="brand-1", store_scope="store-1", role=Role.ASSOCIATE
)
ELSEWHERE = Actor(
    subject="staff-wu", brand_id="brand-1", store_scope="store-2", role=Role.STORE_MANAGER
)


class Ids:
    def __init__(self) -> None:
        self._numbers = count(1)

    def __call__(self, prefix: str) -> str:
        return f"{prefix}_{next(self._numbers)}"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOON)


@pytest.fixture
def database() -> InMemoryDatabase:
    return known_world(in_memory_database())


@pytest.fixture
def handlers(database: InMemoryDatabase, clock: ManualClock) -> ServiceOrdersHandlers:
    return ServiceOrdersHandlers(unit_of_work_factory(database, clock), clock, new_id=Ids())


@pytest.fixture
def queries(database: InMemoryDatabase, clock: ManualClock) -> ServiceOrdersQueries:
    return ServiceOrdersQueries(unit_of_work_factory(database, clock))


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


def other_brands_booking(key: str | None = None) -> BookAppointment:
    return booking(OTHER_BRAND, key=key, member_id=OTHER_BRANDS_MEMBER, store_id=OTHER_BRANDS_STORE)


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


def published_types(database: InMemoryDatabase) -> list[str]:
    return [envelope.type for envelope in database.committed]


# -- booking -------------------------------------------------------------------------------


async def test_booking_stores_the_appointment_and_emits_appointment_booked(
    handlers: ServiceOrdersHandlers, database: InMemoryDatabase
) -> None:
    outcome = await handlers.book_appointment(booking())

    assert not outcome.replayed
    appointment = outcome.value
    assert appointment.appointment_id == "apt_1"
    assert appointment.booked_by == "hq-anna"
    assert database.tables.appointments == {"apt_1": appointment}
    [envelope] = database.committed
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
    handlers: ServiceOrdersHandlers, database: InMemoryDatabase
) -> None:
    with pytest.raises(InvalidField, match="more than 1 hour in the past"):
        await handlers.book_appointment(booking(scheduled_at=NOON - timedelta(hours=2)))

    assert database.tables.appointments == {}
    assert database.committed == []


async def test_store_staff_book_only_for_their_own_store(
    handlers: ServiceOrdersHandlers, database: InMemoryDatabase
) -> None:
    assert (await handlers.book_appointment(booking(ASSOCIATE))).value.store_id == "store-1"

    with pytest.raises(UnknownStore, match="no store store-1 you may act for is known"):
        await handlers.book_appointment(booking(ELSEWHERE))
    assert len(database.committed) == 1


# -- idempotency ---------------------------------------------------------------------------


async def test_a_retried_booking_answers_the_original_and_emits_nothing(
    handlers: ServiceOrdersHandlers, database: InMemoryDatabase
) -> None:
    first = await handlers.book_appointment(booking(key="k-1"))
    retry = await handlers.book_appointment(booking(key="k-1"))

    assert retry.replayed
    assert retry.value == first.value
    assert list(database.tables.appointments) == [first.value.appointment_id]
    assert published_types(database) == [AppointmentBooked.event_type]


async def test_a_key_reused_with_a_different_request_is_refused(
    handlers: ServiceOrdersHandlers, database: InMemoryDatabase
) -> None:
    await handlers.book_appointment(booking(key="k-1"))

    with pytest.raises(IdempotencyKeyReused) as refused:
        await handlers.book_appointment(booking(key="k-1", service_code="pedicure"))

    assert refused.value.message == "Idempotency-Key reused with a different request"
    assert len(database.tables.appointments) == 1
    assert len(database.committed) == 1


async def test_a_key_used_for_another_operation_is_refused(
    handlers: ServiceOrdersHandlers,
) -> None:
    booked = (await handlers.book_appointment(booking(key="k-1"))).value

    with pytest.raises(IdempotencyKeyReused):
        await handlers.complete_appointment(completion(booked.appointment_id, key="k-1"))


async def test_the_same_request_written_differently_is_a_retry(
    handlers: ServiceOrdersHandlers, database: InMemoryDatabase
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
    handlers: ServiceOrdersHandlers, database: InMemoryDatabase
) -> None:
    ours = await handlers.book_appointment(booking(key="shared"))
    theirs = await handlers.book_appointment(other_brands_booking(key="shared"))

    assert not theirs.replayed
    assert theirs.value.appointment_id != ours.value.appointment_id
    assert theirs.value.brand_id == "brand-2"
    assert [envelope.brandid for envelope in database.committed] == ["brand-1", "brand-2"]


async def test_a_refused_request_does_not_use_up_its_key(
    handlers: ServiceOrdersHandlers, database: InMemoryDatabase
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

    with pytest.raises(UnknownStore):
        await handlers.book_appointment(booking(ELSEWHERE, key="k-1", store_id="store-1"))


# -- completion ----------------------------------------------------------------------------


async def test_completing_emits_visit_completed_with_the_amount(
    handlers: ServiceOrdersHandlers, database: InMemoryDatabase, clock: ManualClock
) -> None:
    booked = (await handlers.book_appointment(booking())).value
    clock.advance(timedelta(days=1, hours=1))

    outcome = await handlers.complete_appointment(completion(booked.appointment_id, "268.5"))

    completed = outcome.value
    assert completed.status is AppointmentStatus.COMPLETED
    assert database.tables.appointments[booked.appointment_id] == completed
    assert registry.decode(database.committed[-1]) == VisitCompleted(
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
    assert database.committed[-1].data["amount"] == "268.50"


async def test_completing_twice_is_a_conflict_and_emits_once(
    handlers: ServiceOrdersHandlers, database: InMemoryDatabase
) -> None:
    booked = (await handlers.book_appointment(booking())).value
    await handlers.complete_appointment(completion(booked.appointment_id))

    with pytest.raises(TransitionRefused) as refused:
        await handlers.complete_appointment(completion(booked.appointment_id))

    assert refused.value.message == f"appointment {booked.appointment_id} is already completed"
    assert published_types(database).count(VisitCompleted.event_type) == 1


async def test_a_retried_completion_answers_the_visit_and_emits_nothing(
    handlers: ServiceOrdersHandlers, database: InMemoryDatabase
) -> None:
    booked = (await handlers.book_appointment(booking())).value
    first = await handlers.complete_appointment(completion(booked.appointment_id, key="pay-1"))

    retry = await handlers.complete_appointment(completion(booked.appointment_id, key="pay-1"))

    assert retry.replayed and retry.value == first.value
    assert published_types(database).count(VisitCompleted.event_type) == 1


async def test_another_brands_appointment_does_not_exist(
    handlers: ServiceOrdersHandlers, database: InMemoryDatabase
) -> None:
    booked = (await handlers.book_appointment(booking())).value

    with pytest.raises(AppointmentNotFound, match=f"appointment {booked.appointment_id} does"):
        await handlers.complete_appointment(completion(booked.appointment_id, actor=OTHER_BRAND))
    with pytest.raises(AppointmentNotFound):
        await handlers.cancel_appointment(CancelAppointment(OTHER_BRAND, booked.appointment_id))
    assert database.tables.appointments[booked.appointment_id].status is AppointmentStatus.BOOKED


async def test_store_staff_complete_only_their_own_stores_appointments(
    handlers: ServiceOrdersHandlers, database: InMemoryDatabase
) -> None:
    booked = (await handlers.book_appointment(booking())).value

    with pytest.raises(AppointmentNotFound, match=f"appointment {booked.appointment_id} does"):
        await handlers.complete_appointment(completion(booked.appointment_id, actor=ELSEWHERE))

    done = await handlers.complete_appointment(completion(booked.appointment_id, actor=ASSOCIATE))
    assert done.value.status is AppointmentStatus.COMPLETED


async def test_an_invalid_amount_leaves_the_appointment_booked(
    handlers: ServiceOrdersHandlers, database: InMemoryDatabase
) -> None:
    booked = (await handlers.book_appointment(booking())).value

    with pytest.raises(InvalidField, match="at most 2 decimal places"):
        await handlers.complete_appointment(completion(booked.appointment_id, "1.234", key="x"))

    assert database.tables.appointments[booked.appointment_id].status is AppointmentStatus.BOOKED
    assert database.tables.idempotency_keys == {}
    assert published_types(database) == [AppointmentBooked.event_type]


# -- cancellation --------------------------------------------------------------------------


async def test_cancelling_announces_the_cancellation_and_blocks_completion(
    handlers: ServiceOrdersHandlers, database: InMemoryDatabase
) -> None:
    booked = (await handlers.book_appointment(booking())).value

    cancelled = await handlers.cancel_appointment(
        CancelAppointment(ASSOCIATE, booked.appointment_id, reason="member is travelling")
    )

    assert cancelled.value.status is AppointmentStatus.CANCELLED
    assert cancelled.value.cancellation is not None
    assert cancelled.value.cancellation.cancelled_by == "staff-li"
    assert published_types(database) == [
        AppointmentBooked.event_type,
        AppointmentCancelled.event_type,
    ]
    assert registry.decode(database.committed[1]) == AppointmentCancelled(
        appointment_id=booked.appointment_id,
        member_id="mem-1",
        brand_id="brand-1",
        store_id="store-1",
        service_code="gel-manicure",
        cancelled_by="staff-li",
        reason="member is travelling",
        cancelled_at=NOON,
    )
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
    handlers: ServiceOrdersHandlers, database: InMemoryDatabase
) -> None:
    outcome = await handlers.record_purchase(purchase(ASSOCIATE))

    recorded = outcome.value
    assert recorded.purchase_id == "pur_1"
    assert recorded.recorded_by == "staff-li"
    assert database.tables.purchases == {"pur_1": recorded}
    assert registry.decode(database.committed[0]) == PurchaseRecorded(
        purchase_id="pur_1",
        member_id="mem-1",
        brand_id="brand-1",
        store_id="store-1",
        amount=Decimal("580.00"),
        description="hand-care set",
        purchased_at=NOON,
    )


async def test_a_retried_purchase_is_recorded_once(
    handlers: ServiceOrdersHandlers, database: InMemoryDatabase
) -> None:
    first = await handlers.record_purchase(purchase(key="pos-77"))
    retry = await handlers.record_purchase(purchase(key="pos-77"))

    assert retry.replayed and retry.value == first.value
    assert len(database.tables.purchases) == 1
    assert published_types(database) == [PurchaseRecorded.event_type]
    with pytest.raises(IdempotencyKeyReused):
        await handlers.record_purchase(purchase(key="pos-77", amount="581"))


async def test_purchases_are_refused_outside_the_callers_store_or_without_cost(
    handlers: ServiceOrdersHandlers, database: InMemoryDatabase
) -> None:
    with pytest.raises(UnknownStore):
        await handlers.record_purchase(purchase(ELSEWHERE))
    with pytest.raises(InvalidField, match="amount must be greater than 0"):
        await handlers.record_purchase(purchase(amount="0"))

    assert database.committed == []


# -- queries -------------------------------------------------------------------------------


async def test_appointments_are_listed_latest_first_within_the_brand(
    handlers: ServiceOrdersHandlers, queries: ServiceOrdersQueries
) -> None:
    early = (await handlers.book_appointment(booking())).value
    late = (
        await handlers.book_appointment(booking(scheduled_at=TOMORROW + timedelta(hours=3)))
    ).value
    other = (
        await handlers.book_appointment(booking(member_id=SECOND_MEMBER, store_id=SECOND_STORE))
    ).value
    await handlers.book_appointment(other_brands_booking())
    await handlers.complete_appointment(completion(early.appointment_id))

    everything = (await queries.appointments(HQ)).items
    of_member = (await queries.appointments(HQ, member_id="mem-1")).items
    booked = (await queries.appointments(HQ, status=AppointmentStatus.BOOKED)).items
    first_only = (await queries.appointments(HQ, limit=1)).items

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

    listed = (await queries.appointments(ASSOCIATE)).items

    assert [item.appointment_id for item in listed] == [ours.appointment_id]
    assert await queries.appointment(ASSOCIATE, ours.appointment_id) == ours
    with pytest.raises(AppointmentNotFound):
        await queries.appointment(ASSOCIATE, theirs.appointment_id)
    with pytest.raises(OutsideStore, match="store store-2 does not exist"):
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
    with pytest.raises(InvalidInput, match="limit: must be between 1 and 200"):
        await queries.appointments(HQ, limit=0)
    assert await queries.purchase(HQ, recorded.purchase_id) == recorded
    assert (await queries.purchases(HQ, member_id="mem-1")).items == [recorded]
    assert (await queries.purchases(HQ, member_id="mem-2")).items == []


async def test_lists_are_walked_page_by_page_with_cursors(
    handlers: ServiceOrdersHandlers, queries: ServiceOrdersQueries, clock: ManualClock
) -> None:
    booked = [
        (
            await handlers.book_appointment(booking(scheduled_at=TOMORROW + timedelta(hours=h)))
        ).value.appointment_id
        for h in (0, 2, 1)
    ]
    recorded = []
    for _ in range(3):
        recorded.append((await handlers.record_purchase(purchase())).value.purchase_id)
        clock.advance(timedelta(minutes=1))

    first = await queries.appointments(HQ, limit=2)
    rest = await queries.appointments(HQ, limit=2, cursor=first.next_cursor)
    newest = await queries.purchases(HQ, limit=2)
    oldest = await queries.purchases(HQ, limit=2, cursor=newest.next_cursor)

    assert [item.appointment_id for item in first.items] == [booked[1], booked[2]]
    assert [item.appointment_id for item in rest.items] == [booked[0]]
    assert first.next_cursor is not None and rest.next_cursor is None
    assert [item.purchase_id for item in [*newest.items, *oldest.items]] == recorded[::-1]
    assert oldest.next_cursor is None


async def test_a_cursor_not_made_by_a_listing_is_refused(queries: ServiceOrdersQueries) -> None:
    with pytest.raises(InvalidCursor):
        await queries.appointments(HQ, cursor="bm90LWEtY3Vyc29y")
    with pytest.raises(InvalidCursor):
        await queries.purchases(HQ, cursor="!")


async def test_an_associate_completing_a_visit_served_it_unless_told_otherwise(
    handlers: ServiceOrdersHandlers,
) -> None:
    first = (await handlers.book_appointment(booking())).value.appointment_id
    second = (await handlers.book_appointment(booking())).value.appointment_id
    unnamed = CompleteAppointment(ASSOCIATE, first, Decimal("10"))
    named = CompleteAppointment(ASSOCIATE, second, Decimal("10"), served_by=COLLEAGUE)

    by_associate = (await handlers.complete_appointment(unnamed)).value.visit
    by_colleague = (await handlers.complete_appointment(named)).value.visit
    by_hq = (await handlers.book_appointment(booking())).value.appointment_id
    unnamed_by_hq = (
        await handlers.complete_appointment(CompleteAppointment(HQ, by_hq, Decimal("10")))
    ).value.visit

    assert by_associate is not None and by_associate.served_by == "staff-li"
    assert by_colleague is not None and by_colleague.served_by == "staff-wang"
    assert unnamed_by_hq is not None and unnamed_by_hq.served_by is None


async def test_a_completion_names_a_server_of_the_brand(
    handlers: ServiceOrdersHandlers, database: InMemoryDatabase
) -> None:
    booked = (await handlers.book_appointment(booking())).value.appointment_id
    stranger = dataclasses.replace(completion(booked, key="k-9"), served_by="staff-b1")

    with pytest.raises(UnknownStaff, match="no member of staff staff-b1 is known in your brand"):
        await handlers.complete_appointment(stranger)
    with pytest.raises(AppointmentNotFound):
        await handlers.complete_appointment(completion("apt_nope", actor=OTHER_BRAND))

    assert database.tables.appointments[booked].status is AppointmentStatus.BOOKED
    assert database.tables.idempotency_keys == {}
    assert published_types(database) == [AppointmentBooked.event_type]
