"""The MemberEvents contract: recorded once by id, read back in event time, page by page."""

from __future__ import annotations

from datetime import timedelta

from journey.application.ports import replay
from journey.domain.facts import MemberEvent

from tests.contract.journey.backends import NOW, Backend
from tests.contract.journey.builders import BRAND

HOUR = timedelta(hours=1)


def event(
    event_id: str, member_id: str = "mbr_1", *, hours: int = 0, brand_id: str = BRAND
) -> MemberEvent:
    return MemberEvent(
        event_id=event_id,
        member_id=member_id,
        brand_id=brand_id,
        kind="visit.completed",
        at=NOW + hours * HOUR,
        data={"amount": "268.00", "service_code": "gel-manicure", "items": [{"sku": "a"}]},
    )


async def test_events_are_recorded_once_by_id(backend: Backend) -> None:
    async with backend.begin() as uow:
        assert await uow.member_events.add([event("evt_2"), event("evt_1")], NOW) == [
            "evt_2",
            "evt_1",
        ]
    async with backend.begin() as uow:
        again = await uow.member_events.add([event("evt_1"), event("evt_3"), event("evt_3")], NOW)
        assert await uow.member_events.add([], NOW) == []

    assert again == ["evt_3"]
    async with backend.begin() as uow:
        stored = await uow.member_events.page(BRAND, None, None, 10)
    assert [e.event_id for e in stored] == ["evt_1", "evt_2", "evt_3"]
    assert stored[0] == event("evt_1")


async def test_a_brands_events_come_in_event_time_whatever_the_recording_order(
    backend: Backend,
) -> None:
    async with backend.begin() as uow:
        await uow.member_events.add(
            [
                event("evt_c", "mbr_1", hours=3),
                event("evt_a", "mbr_2", hours=1),
                event("evt_b", "mbr_1", hours=1),
                event("evt_x", "mbr_9", hours=0, brand_id="brd_2"),
                event("evt_d", "mbr_2", hours=2),
            ],
            NOW,
        )

    async with backend.begin() as uow:
        everything = [e.event_id async for e in replay(uow.member_events, BRAND, page_size=2)]
        hers = [e.event_id async for e in replay(uow.member_events, BRAND, "mbr_1", page_size=1)]
        first = await uow.member_events.page(BRAND, None, None, 2)
        after = await uow.member_events.page(BRAND, None, (first[-1].at, first[-1].event_id), 2)
        nobody = await uow.member_events.page(BRAND, "mbr_9", None, 10)

    assert everything == ["evt_a", "evt_b", "evt_d", "evt_c"]
    assert hers == ["evt_b", "evt_c"]
    assert [e.event_id for e in after] == ["evt_d", "evt_c"]
    assert nobody == []
