"""What a brand's outside systems publish on its ingestion topic, applied through the
service's real subscriptions (the directory replica's guard included) on the in-memory unit
of work: as the API would have written it, once, and refused as the API would refuse it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import count
from typing import Any

import pytest
from rapport_events.clock import ManualClock
from rapport_events.consumer import RejectEvent
from rapport_events.contracts.service_orders import (
    AppointmentBooked,
    PurchaseRecorded,
    VisitCompleted,
)
from rapport_events.directory import with_directory
from rapport_events.envelope import DomainEvent, EventEnvelope
from rapport_events.registry import registry
from rapport_events.topics import INGESTION_TOPICS, SERVICE_ORDERS
from rapport_events.uow import InMemoryDatabase
from service_orders.adapters.memory import (
    ServiceOrdersTables,
    in_memory_database,
    unit_of_work_factory,
)
from service_orders.application.handlers import ServiceOrdersHandlers
from service_orders.domain.appointment import AppointmentStatus
from service_orders.entrypoints.consumers import subscriptions

from tests.unit.service_orders.world import (
    ASSOCIATE,
    BRAND,
    MEMBER,
    NOBODY,
    OTHER_BRAND,
    OTHER_BRANDS_ASSOCIATE,
    OTHER_BRANDS_MEMBER,
    OTHER_BRANDS_STORE,
    SECOND_MEMBER,
    SECOND_STORE,
    STORE,
    known_world,
)

NOON = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
TILL = "/pos/store-1/till-2"

ALREADY_USED = "already names a different record"


@dataclass
class Ingestion:
    """Service-orders' consumer of the ingestion topics, on an in-memory database."""

    database: InMemoryDatabase
    clock: ManualClock

    @property
    def tables(self) -> ServiceOrdersTables:
        tables: ServiceOrdersTables = self.database.tables
        return tables

    async def send(self, event: DomainEvent, *, brand_id: str = BRAND) -> EventEnvelope:
        """What the consumer does with ``event`` read from ``brand_id``'s ingestion topic: the
        subscribed handler in a unit of work it opened (rolled back when it rejects)."""
        envelope = EventEnvelope.wrap(event, source=TILL, brand_id=brand_id, time=self.clock.now())
        units = unit_of_work_factory(self.database, self.clock)
        handlers = ServiceOrdersHandlers(units, self.clock, new_id=_numbered())
        wired = {each.topic: each.handlers for each in with_directory(subscriptions(handlers))}
        async with units() as uow:
            await wired[INGESTION_TOPICS][type(event)](event, envelope, uow)
        return envelope

    async def refused(self, event: DomainEvent, *, brand_id: str = BRAND) -> str:
        """Why the consumer dead-letters ``event``; asserts nothing of it was applied."""
        before = (dict(self.tables.appointments), dict(self.tables.purchases))
        published = len(self.database.committed)
        with pytest.raises(RejectEvent) as rejection:
            await self.send(event, brand_id=brand_id)
        assert (self.tables.appointments, self.tables.purchases) == before
        assert len(self.database.committed) == published
        return str(rejection.value)

    def announced(self) -> list[DomainEvent]:
        """What service-orders published on its own topic, decoded."""
        decoded = [registry.decode(envelope) for envelope in self.database.committed]
        assert all(type(event).topic == SERVICE_ORDERS for event in decoded)
        return decoded


def _numbered() -> Callable[[str], str]:
    numbers = count(1)
    return lambda prefix: f"{prefix}_{next(numbers)}"


@pytest.fixture
def ingestion() -> Ingestion:
    return Ingestion(known_world(in_memory_database()), ManualClock(NOON))


BOOKING: dict[str, Any] = {
    "appointment_id": "apt_pos_1",
    "member_id": MEMBER,
    "brand_id": BRAND,
    "store_id": STORE,
    "service_code": "gel-manicure",
    "scheduled_at": NOON + 3 * HOUR,
    "booked_by": MEMBER,
    "booked_at": NOON - HOUR,
}


def booking(**changes: Any) -> AppointmentBooked:
    return AppointmentBooked(**{**BOOKING, **changes})


VISIT: dict[str, Any] = {
    "visit_id": "vis_pos_1",
    "member_id": MEMBER,
    "brand_id": BRAND,
    "store_id": STORE,
    "service_code": "gel-manicure",
    "amount": Decimal("268.00"),
    "served_by": ASSOCIATE,
    "completed_at": NOON - HOUR,
}


def visit(**changes: Any) -> VisitCompleted:
    return VisitCompleted(**{**VISIT, **changes})


PURCHASE: dict[str, Any] = {
    "purchase_id": "pur_pos_1",
    "member_id": MEMBER,
    "brand_id": BRAND,
    "store_id": STORE,
    "amount": Decimal("580.00"),
    "description": "hand-care set",
    "purchased_at": NOON - HOUR,
}


def purchase(**changes: Any) -> PurchaseRecorded:
    return PurchaseRecorded(**{**PURCHASE, **changes})


# -- applied -------------------------------------------------------------------------------


async def test_an_ingested_purchase_is_recorded_and_announced_as_caused_by_it(
    ingestion: Ingestion,
) -> None:
    sent = await ingestion.send(purchase(amount=Decimal("580")))

    recorded = ingestion.tables.purchases["pur_pos_1"]
    assert (recorded.brand_id, recorded.recorded_by) == (BRAND, TILL)
    assert recorded.purchased_at == NOON - HOUR  # when it happened, not when it arrived
    assert ingestion.announced() == [purchase()]
    [envelope] = ingestion.database.committed
    assert envelope.brandid == BRAND
    assert (envelope.causationid, envelope.correlationid) == (sent.id, sent.correlationid)


async def test_an_ingested_booking_is_booked_then_completed_by_the_visit_naming_it(
    ingestion: Ingestion,
) -> None:
    await ingestion.send(booking())
    ingestion.clock.advance(4 * HOUR)
    await ingestion.send(visit(appointment_id="apt_pos_1", completed_at=NOON + 3 * HOUR))

    appointment = ingestion.tables.appointments["apt_pos_1"]
    assert appointment.status is AppointmentStatus.COMPLETED
    assert appointment.visit is not None and appointment.visit.visit_id == "vis_pos_1"
    assert ingestion.announced() == [
        booking(),
        visit(appointment_id="apt_pos_1", completed_at=NOON + 3 * HOUR),
    ]


async def test_a_visit_naming_no_appointment_is_a_walk_in_booked_and_completed(
    ingestion: Ingestion,
) -> None:
    sent = await ingestion.send(visit())

    [walk_in] = ingestion.tables.appointments.values()
    assert {e.causationid for e in ingestion.database.committed} == {sent.id}
    assert walk_in.status is AppointmentStatus.COMPLETED
    assert walk_in.scheduled_at == walk_in.booked_at == NOON - HOUR
    booked, visited = ingestion.announced()
    assert isinstance(booked, AppointmentBooked) and booked.booked_by == TILL
    assert visited == visit(appointment_id=walk_in.appointment_id)


async def test_a_booking_is_judged_when_it_was_made_however_late_it_arrives(
    ingestion: Ingestion,
) -> None:
    yesterday = NOON - 24 * HOUR
    late = booking(booked_at=yesterday, scheduled_at=yesterday + 2 * HOUR)
    walk_in = booking(appointment_id="apt_pos_2", booked_at=yesterday, scheduled_at=yesterday)

    await ingestion.send(late)
    await ingestion.send(walk_in)

    assert set(ingestion.tables.appointments) == {"apt_pos_1", "apt_pos_2"}
    assert ingestion.announced() == [late, walk_in]


# -- resent --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "record",
    [booking(), visit(), purchase(), purchase(amount=Decimal("580"), description=" hand-care set")],
    ids=["booking", "walk-in visit", "purchase", "purchase written differently"],
)
async def test_the_same_record_sent_again_changes_nothing(
    ingestion: Ingestion, record: DomainEvent
) -> None:
    await ingestion.send(purchase() if isinstance(record, PurchaseRecorded) else record)
    tables = (dict(ingestion.tables.appointments), dict(ingestion.tables.purchases))
    published = list(ingestion.database.committed)

    await ingestion.send(record)  # another ce_id: the inbox does not know it, the id does

    assert (ingestion.tables.appointments, ingestion.tables.purchases) == tables
    assert ingestion.database.committed == published


async def test_a_booking_sent_again_after_its_visit_changes_nothing(ingestion: Ingestion) -> None:
    await ingestion.send(booking())
    await ingestion.send(visit(appointment_id="apt_pos_1", completed_at=NOON))
    await ingestion.send(booking())
    await ingestion.send(visit(appointment_id="apt_pos_1", completed_at=NOON))

    assert ingestion.tables.appointments["apt_pos_1"].status is AppointmentStatus.COMPLETED
    assert [type(e) for e in ingestion.announced()] == [AppointmentBooked, VisitCompleted]


@pytest.mark.parametrize(
    ("first", "conflicting"),
    [
        (booking(), booking(scheduled_at=NOON + 4 * HOUR)),
        (visit(), visit(amount=Decimal("300.00"))),
        (visit(), visit(member_id=SECOND_MEMBER)),
        (visit(), visit(appointment_id="apt_other")),
        (purchase(), purchase(amount=Decimal("581.00"))),
    ],
    ids=["booking", "visit amount", "visit member", "visit appointment", "purchase"],
)
async def test_a_different_record_under_a_used_id_is_refused(
    ingestion: Ingestion, first: DomainEvent, conflicting: DomainEvent
) -> None:
    await ingestion.send(first)

    assert ALREADY_USED in await ingestion.refused(conflicting)


THEIRS = {
    "brand_id": OTHER_BRAND,
    "member_id": OTHER_BRANDS_MEMBER,
    "store_id": OTHER_BRANDS_STORE,
}
"""What makes a record brand 2's."""


@pytest.mark.parametrize(
    "theirs",
    [booking(**THEIRS), visit(**THEIRS, served_by=OTHER_BRANDS_ASSOCIATE), purchase(**THEIRS)],
    ids=["booking", "visit", "purchase"],
)
async def test_an_id_another_brand_used_is_refused_like_a_different_record(
    ingestion: Ingestion, theirs: DomainEvent
) -> None:
    ours = {AppointmentBooked: booking(), VisitCompleted: visit(), PurchaseRecorded: purchase()}
    await ingestion.send(ours[type(theirs)])

    assert ALREADY_USED in await ingestion.refused(theirs, brand_id=OTHER_BRAND)


# -- refused -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "record",
    [booking(member_id=NOBODY), visit(member_id=NOBODY), purchase(member_id=NOBODY)],
    ids=["booking", "visit", "purchase"],
)
async def test_an_unknown_member_is_refused_saying_she_may_be_new(
    ingestion: Ingestion, record: DomainEvent
) -> None:
    reason = await ingestion.refused(record)

    assert f"no member {NOBODY} is known in your brand" in reason
    assert "a member registered a moment ago may take a second to appear" in reason


@pytest.mark.parametrize(
    "record",
    [
        purchase(member_id=OTHER_BRANDS_MEMBER),
        purchase(store_id=OTHER_BRANDS_STORE),
        visit(member_id=OTHER_BRANDS_MEMBER),
        booking(store_id=OTHER_BRANDS_STORE),
    ],
    ids=["purchase member", "purchase store", "visit member", "booking store"],
)
async def test_another_brands_member_or_store_is_refused(
    ingestion: Ingestion, record: DomainEvent
) -> None:
    assert "belongs to another brand" in await ingestion.refused(record)


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        (purchase(amount=Decimal("1000000.01")), "amount must be at most 1000000.00 yuan"),
        (visit(amount=Decimal("1000000.01")), "amount must be at most 1000000.00 yuan"),
        (booking(service_code="x" * 65), "service_code must be at most 64 characters"),
        (booking(scheduled_at=NOON - 3 * HOUR), "more than 1 hour in the past"),
        (booking(scheduled_at=NOON + 400 * 24 * HOUR), "more than 365 days ahead"),
        (booking(booked_at=NOON + HOUR, scheduled_at=NOON + 2 * HOUR), "later than the platform"),
        (purchase(purchased_at=NOON + HOUR), "purchased_at 2026-03-01T13:00:00+00:00 is later"),
        (visit(served_by="stf_nobody"), "no member of staff stf_nobody is known"),
        (purchase(purchase_id=" pur_1"), "purchase_id must not begin or end with blanks"),
        (purchase(description="a\x00b"), "description must not contain the NUL character"),
    ],
    ids=[
        "purchase amount",
        "visit amount",
        "service code",
        "booked too late",
        "booked too far ahead",
        "booked in the future",
        "bought in the future",
        "unknown server",
        "padded id",
        "NUL",
    ],
)
async def test_what_the_api_would_refuse_is_refused_with_its_reason(
    ingestion: Ingestion, record: DomainEvent, reason: str
) -> None:
    assert reason in await ingestion.refused(record)


async def test_a_visit_must_complete_a_booked_appointment_of_hers(ingestion: Ingestion) -> None:
    await ingestion.send(booking())
    await ingestion.send(booking(appointment_id="apt_theirs", **THEIRS), brand_id=OTHER_BRAND)

    elsewhere = await ingestion.refused(visit(appointment_id="apt_pos_1", store_id=SECOND_STORE))
    someone_else = await ingestion.refused(
        visit(appointment_id="apt_pos_1", member_id=SECOND_MEMBER)
    )
    theirs = await ingestion.refused(visit(appointment_id="apt_theirs"))
    await ingestion.send(visit(appointment_id="apt_pos_1"))
    twice = await ingestion.refused(visit(appointment_id="apt_pos_1", visit_id="vis_pos_2"))

    assert "store_id 'store-2' is not that of appointment apt_pos_1 ('store-1')" in elsewhere
    assert "member_id 'mem-2' is not that of appointment apt_pos_1" in someone_else
    assert "appointment apt_theirs does not exist" in theirs
    assert "appointment apt_pos_1 is already completed" in twice
