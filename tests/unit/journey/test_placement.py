"""Placement: what a batch of events or of due timers becomes, on the in-memory unit of work."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from rapport_events.contracts.identity import MemberRegistered
from rapport_events.contracts.service_orders import VisitCompleted
from rapport_events.envelope import EventEnvelope

from tests.unit.journey.fake_service import FakeJourney

T0 = datetime(2026, 3, 1, 10, tzinfo=UTC)
TRACE = "00-" + "a" * 32 + "-" + "b" * 16 + "-01"


def registered(member_id: str = "mbr_1") -> MemberRegistered:
    return MemberRegistered(
        member_id=member_id, brand_id="brd_1", store_id="sto_1", surname="梁", registered_at=T0
    )


def visited(member_id: str = "mbr_1", visit: str = "vst_1", at: datetime = T0) -> VisitCompleted:
    return VisitCompleted(
        visit_id=visit,
        member_id=member_id,
        brand_id="brd_1",
        store_id="sto_1",
        service_code="facial",
        amount=Decimal("120.00"),
        completed_at=at,
    )


async def test_what_a_timer_causes_stays_in_the_flow_of_the_event_that_armed_it() -> None:
    journey = FakeJourney(T0)
    await journey.take(registered(), visited(), traceparent=TRACE, correlation_id="flow-1")

    await journey.advance(timedelta(days=30, minutes=1))

    [welcome] = [e for e in journey.requested("mbr_1") if e.data["template"] == "welcome_back"]
    assert welcome.traceparent is not None and welcome.traceparent.split("-")[1] == "a" * 32
    assert welcome.correlationid == "flow-1"


async def test_an_event_delivered_twice_in_a_batch_and_again_later_is_placed_once() -> None:
    journey = FakeJourney(T0)
    visit = visited()
    envelope = EventEnvelope.wrap(visit, source="/rapport/pos", brand_id="brd_1", time=T0)

    async def batch(*envelopes: EventEnvelope) -> None:
        async with journey.begin() as uow:
            for each in envelopes:
                await journey.consumed[VisitCompleted](visit, each, uow)
            await journey.handlers.place(uow)

    await journey.take(registered())
    await batch(envelope, envelope)
    await batch(envelope)

    assert journey.tables.journeys["mbr_1"].visit_count == 1
    vouchers = [e for e in journey.requested() if e.data["template"] == "first_visit_voucher"]
    assert len(vouchers) == 1
