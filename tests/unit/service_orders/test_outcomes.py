"""Handlers of the appointment outcomes and facts the journey needs: no-shows, reviews of
visits, purchases with their items."""

import dataclasses
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import count
from typing import Any

import pytest
from rapport_events.clock import ManualClock
from rapport_events.contracts.service_orders import (
    AppointmentMissed,
    PurchasedItem,
    PurchaseRecorded,
    ReviewSubmitted,
)
from rapport_events.registry import registry
from rapport_events.uow import InMemoryDatabase
from rapport_platform.auth import Role
from service_orders.adapters.memory import in_memory_database, unit_of_work_factory
from service_orders.application.commands import (
    Actor,
    BookAppointment,
    CancelAppointment,
    CompleteAppointment,
    MarkAppointmentMissed,
    OrderedItem,
    RecordPurchase,
    SubmitReview,
)
from service_orders.application.handlers import ServiceOrdersHandlers
from service_orders.domain.appointment import Appointment, AppointmentStatus
from service_orders.domain.errors import (
    AlreadyReviewed,
    AppointmentNotFound,
    InvalidField,
    TransitionRefused,
    VisitNotFound,
)

from tests.unit.service_orders.world import known_world

NOON = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
HQ = Actor(subject="hq-anna", brand_id="brand-1")
OTHER_BRAND = Actor(subject="hq-bo", brand_id="brand-2")
ASSOCIATE = Actor(
    subject="staff-li", brand_id="brand-1", store_scope="store-1", role=Role.ASSOCIATE
)
ELSEWHERE = Actor(
    subject="staff-wu", brand_id="brand-1", store_scope="store-2", role=Role.STORE_MANAGER
)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOON)


@pytest.fixture
def database() -> InMemoryDatabase:
    return known_world(in_memory_database())


@pytest.fixture
def handlers(database: InMemoryDatabase, clock: ManualClock) -> ServiceOrdersHandlers:
    numbers = count(1)
    return ServiceOrdersHandlers(
        unit_of_work_factory(database, clock), clock, new_id=lambda p: f"{p}_{next(numbers)}"
    )


def published(database: InMemoryDatabase) -> list[str]:
    return [envelope.type for envelope in database.committed]


async def book(handlers: ServiceOrdersHandlers, *, at: datetime = NOON) -> Appointment:
    command = BookAppointment(
        actor=HQ,
        member_id="mem-1",
        store_id="store-1",
        service_code="gel-manicure",
        scheduled_at=at,
    )
    return (await handlers.book_appointment(command)).value


async def visit(handlers: ServiceOrdersHandlers) -> str:
    booked = await book(handlers)
    completed = await handlers.complete_appointment(
        CompleteAppointment(HQ, booked.appointment_id, Decimal("268"))
    )
    assert completed.value.visit is not None
    return completed.value.visit.visit_id


def review(visit_id: str, actor: Actor = HQ, **changes: Any) -> SubmitReview:
    command = SubmitReview(actor, visit_id, recommendation=9, satisfaction=92, comment="gentle")
    return dataclasses.replace(command, **changes)


# -- no-shows ------------------------------------------------------------------------------


async def test_a_no_show_is_recorded_and_announced(
    handlers: ServiceOrdersHandlers, database: InMemoryDatabase, clock: ManualClock
) -> None:
    booked = await book(handlers, at=NOON + timedelta(minutes=30))
    clock.advance(timedelta(hours=1))

    missed = await handlers.mark_missed(MarkAppointmentMissed(ASSOCIATE, booked.appointment_id))

    assert missed.value.status is AppointmentStatus.MISSED
    assert database.tables.appointments[booked.appointment_id] == missed.value
    assert registry.decode(database.committed[-1]) == AppointmentMissed(
        appointment_id=booked.appointment_id,
        member_id="mem-1",
        brand_id="brand-1",
        store_id="store-1",
        service_code="gel-manicure",
        missed_at=NOON + timedelta(hours=1),
    )


async def test_only_a_booked_appointment_is_missed_and_nothing_else_is_announced(
    handlers: ServiceOrdersHandlers, database: InMemoryDatabase
) -> None:
    cancelled = await book(handlers)
    await handlers.cancel_appointment(CancelAppointment(HQ, cancelled.appointment_id))
    before = published(database)

    with pytest.raises(TransitionRefused, match="is cancelled and cannot be missed"):
        await handlers.mark_missed(MarkAppointmentMissed(HQ, cancelled.appointment_id))
    assert published(database) == before
    assert database.tables.appointments[cancelled.appointment_id].status is (
        AppointmentStatus.CANCELLED
    )


async def test_a_retried_no_show_answers_the_missed_appointment_and_announces_once(
    handlers: ServiceOrdersHandlers, database: InMemoryDatabase
) -> None:
    booked = await book(handlers)
    command = MarkAppointmentMissed(HQ, booked.appointment_id, idempotency_key="m-1")

    first = await handlers.mark_missed(command)
    retry = await handlers.mark_missed(command)

    assert retry.replayed and retry.value == first.value
    assert published(database).count(AppointmentMissed.event_type) == 1


async def test_another_stores_or_brands_appointment_cannot_be_missed(
    handlers: ServiceOrdersHandlers,
) -> None:
    booked = await book(handlers)

    for outsider in (ELSEWHERE, OTHER_BRAND):
        with pytest.raises(AppointmentNotFound):
            await handlers.mark_missed(MarkAppointmentMissed(outsider, booked.appointment_id))


# -- reviews -------------------------------------------------------------------------------


async def test_a_review_of_a_visit_is_stored_and_announced(
    handlers: ServiceOrdersHandlers, database: InMemoryDatabase
) -> None:
    visit_id = await visit(handlers)

    outcome = await handlers.submit_review(review(visit_id, ASSOCIATE, comment=" gentle "))

    stored = outcome.value
    assert stored.review_id == "rev_3"
    assert stored.submitted_by == "staff-li"
    assert database.tables.reviews == {"rev_3": stored}
    assert registry.decode(database.committed[-1]) == ReviewSubmitted(
        review_id="rev_3",
        visit_id=visit_id,
        member_id="mem-1",
        brand_id="brand-1",
        store_id="store-1",
        recommendation=9,
        satisfaction=92,
        comment="gentle",
        submitted_at=NOON,
    )


async def test_a_visit_is_reviewed_once(
    handlers: ServiceOrdersHandlers, database: InMemoryDatabase
) -> None:
    visit_id = await visit(handlers)
    await handlers.submit_review(review(visit_id))

    with pytest.raises(AlreadyReviewed, match=f"visit {visit_id} has already been reviewed"):
        await handlers.submit_review(review(visit_id, satisfaction=10))
    assert len(database.tables.reviews) == 1
    assert published(database).count(ReviewSubmitted.event_type) == 1


async def test_a_retried_review_answers_the_first_one(handlers: ServiceOrdersHandlers) -> None:
    visit_id = await visit(handlers)
    command = SubmitReview(HQ, visit_id, 9, 92, idempotency_key="r-1")

    first = await handlers.submit_review(command)
    retry = await handlers.submit_review(command)

    assert retry.replayed and retry.value == first.value


async def test_a_visit_out_of_reach_does_not_exist(handlers: ServiceOrdersHandlers) -> None:
    visit_id = await visit(handlers)

    for outsider in (ELSEWHERE, OTHER_BRAND):
        with pytest.raises(VisitNotFound):
            await handlers.submit_review(review(visit_id, outsider))
    with pytest.raises(VisitNotFound):
        await handlers.submit_review(review("vis_unknown"))


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"recommendation": 11}, "recommendation"),
        ({"recommendation": -1}, "recommendation"),
        ({"satisfaction": 101}, "satisfaction"),
        ({"comment": "x" * 501}, "comment"),
    ],
)
async def test_a_review_out_of_range_is_refused_naming_the_field(
    handlers: ServiceOrdersHandlers,
    database: InMemoryDatabase,
    changes: dict[str, Any],
    field: str,
) -> None:
    visit_id = await visit(handlers)

    with pytest.raises(InvalidField) as refused:
        await handlers.submit_review(review(visit_id, **changes))
    assert refused.value.field == field
    assert database.tables.reviews == {}


# -- purchases with items ------------------------------------------------------------------


async def test_a_purchase_announces_what_was_bought(
    handlers: ServiceOrdersHandlers, database: InMemoryDatabase
) -> None:
    command = RecordPurchase(
        actor=HQ,
        member_id="mem-1",
        store_id="store-1",
        amount=Decimal("3980"),
        items=(OrderedItem("deep-sleep-180", "mattress"), OrderedItem("mite-spray", "care-kit", 2)),
    )

    recorded = (await handlers.record_purchase(command)).value

    event = registry.decode(database.committed[-1])
    assert isinstance(event, PurchaseRecorded)
    assert event.items == [
        PurchasedItem(product_code="deep-sleep-180", category="mattress", quantity=1),
        PurchasedItem(product_code="mite-spray", category="care-kit", quantity=2),
    ]
    assert [item.category for item in recorded.items] == ["mattress", "care-kit"]


async def test_a_bad_item_is_refused_naming_its_place(
    handlers: ServiceOrdersHandlers, database: InMemoryDatabase
) -> None:
    command = RecordPurchase(
        actor=HQ,
        member_id="mem-1",
        store_id="store-1",
        amount=Decimal("100"),
        items=(OrderedItem("a", "care-kit"), OrderedItem("b", "  ", 1)),
    )

    with pytest.raises(InvalidField) as refused:
        await handlers.record_purchase(command)
    assert refused.value.field == "items[1].category"
    assert database.committed == []
