"""The DeliveryLog contract: one row per touchpoint, the cap's count, the newest-first pages,
and deliveries about one member decided one at a time."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from notifier.application.ports import DeliveryFilter, TouchpointAlreadyRecorded
from notifier.domain.deliveries import Delivery

from tests.contract.notifier.conftest import Backend, delivery
from tests.support.http import BRAND, NOW
from tests.unit.notifier.builders import MEMBER, OTHER_MEMBER, STAFF, touchpoint_id

OTHER_BRAND = "brd_" + "b" * 32
WEEK_AGO = NOW - timedelta(days=7)


async def exists(backend: Backend, number: int) -> bool:
    async with backend.unit_of_work() as uow:
        return await uow.deliveries.exists(touchpoint_id(number))


async def sent_since(
    backend: Backend, since: datetime = WEEK_AGO, *, brand_id: str = BRAND, member_id: str = MEMBER
) -> list[datetime]:
    async with backend.unit_of_work() as uow:
        found = await uow.deliveries.marketing_sent_since(brand_id, member_id, since)
    return sorted(found)


async def test_a_recorded_delivery_reads_back_whole(backend: Backend) -> None:
    recorded = delivery(1)

    await backend.record(recorded)

    assert await backend.every_delivery() == [recorded]
    assert await exists(backend, 1)
    assert not await exists(backend, 2)


async def test_the_log_keeps_the_text_not_the_variables_and_the_channel_sent_on(
    backend: Backend,
) -> None:
    task = delivery(1, channel="task", template="churn_risk_alert", recipient_id=STAFF)
    requested = replace(task.touchpoint, channel="sms", variables={"surname": "梁"})

    await backend.record(replace(task, touchpoint=requested))

    [read] = await backend.every_delivery()
    assert read == task
    assert read.touchpoint.variables == {} and read.touchpoint.channel == "task"


async def test_a_second_record_of_one_touchpoint_is_refused(backend: Backend) -> None:
    first = delivery(1)
    again = replace(delivery(2), touchpoint=first.touchpoint)
    await backend.record(first)

    with pytest.raises(TouchpointAlreadyRecorded):
        await backend.record(again)

    assert await backend.every_delivery() == [first]


async def test_a_rolled_back_record_leaves_nothing(backend: Backend) -> None:
    with pytest.raises(RuntimeError, match="abort"):
        async with backend.unit_of_work() as uow:
            await uow.deliveries.record(delivery(1))
            assert await uow.deliveries.exists(touchpoint_id(1))
            raise RuntimeError("abort")

    assert not await exists(backend, 1)
    assert await backend.every_delivery() == []


async def test_the_cap_counts_marketing_delivered_to_the_member_within_the_window(
    backend: Backend,
) -> None:
    counted = [delivery(1, at=NOW - timedelta(days=6)), delivery(2, at=NOW)]
    await backend.record(
        *counted,
        delivery(3, at=WEEK_AGO),  # exactly a week ago: out of the window
        delivery(4, status="failed"),
        delivery(5, marketing=False, template="care_guide_24h"),
        delivery(6, channel="task", template="churn_risk_alert", recipient_id=STAFF),
        delivery(7, member_id=OTHER_MEMBER),
        delivery(8, brand_id=OTHER_BRAND),
    )

    assert await sent_since(backend) == [counted[0].created_at, counted[1].created_at]
    assert await sent_since(backend, member_id=OTHER_MEMBER) == [NOW]
    assert await sent_since(backend, brand_id=OTHER_BRAND) == [NOW]
    assert await sent_since(backend, NOW) == []


async def test_deliveries_come_newest_first_ties_by_id_descending(backend: Backend) -> None:
    await backend.record(
        delivery(1, at=NOW),
        delivery(2, at=NOW + timedelta(minutes=1)),
        delivery(3, at=NOW),
        delivery(4, at=NOW - timedelta(minutes=1)),
    )

    order = [each.delivery_id for each in await backend.every_delivery()]

    assert order == [delivery(n).delivery_id for n in (2, 3, 1, 4)]


async def test_a_page_starts_after_the_key_it_is_given(backend: Backend) -> None:
    await backend.record(*(delivery(n, at=NOW + timedelta(minutes=n // 2)) for n in range(1, 8)))
    everything = await backend.every_delivery()

    pages = []
    after = None
    async with backend.unit_of_work() as uow:
        while True:
            page = await uow.deliveries.page(DeliveryFilter(BRAND), after, 3)
            pages.append(page)
            if len(page) < 3:
                break
            after = (page[-1].created_at, page[-1].delivery_id)

    assert [len(page) for page in pages] == [3, 3, 1]
    assert [each for page in pages for each in page] == everything


async def test_pages_show_the_brands_deliveries_matching_every_filter(backend: Backend) -> None:
    task = delivery(3, channel="task", template="churn_risk_alert", recipient_id=STAFF)
    await backend.record(
        delivery(1),
        delivery(2, status="failed", at=NOW + timedelta(minutes=1)),
        task,
        delivery(4, member_id=OTHER_MEMBER),
        delivery(5, brand_id=OTHER_BRAND),
    )

    def numbers(found: list[Delivery]) -> list[str]:
        return [each.touchpoint.touchpoint_id[-1] for each in found]

    everything = await backend.every_delivery()
    assert numbers(everything) == ["2", "4", "3", "1"]
    assert numbers(await backend.every_delivery(DeliveryFilter(BRAND, member_id=MEMBER))) == [
        "2",
        "3",
        "1",
    ]
    failed = DeliveryFilter(BRAND, status="failed")
    assert numbers(await backend.every_delivery(failed)) == ["2"]
    mine = DeliveryFilter(BRAND, channel="task", recipient_id=STAFF)
    assert await backend.every_delivery(mine) == [task]
    by_template = DeliveryFilter(BRAND, template="churn_risk_alert")
    assert await backend.every_delivery(by_template) == [task]
    assert numbers(await backend.every_delivery(DeliveryFilter(OTHER_BRAND))) == ["5"]


async def test_holding_a_member_makes_the_next_unit_wait_and_see_what_was_recorded(
    backend: Backend,
) -> None:
    async def check_alone() -> tuple[bool, int]:
        async with backend.unit_of_work() as uow:
            await uow.deliveries.hold_member(BRAND, MEMBER)
            seen = await uow.deliveries.exists(touchpoint_id(1))
            pushes = await uow.deliveries.marketing_sent_since(BRAND, MEMBER, WEEK_AGO)
            return seen, len(pushes)

    async with backend.unit_of_work() as first:
        await first.deliveries.hold_member(BRAND, MEMBER)
        assert not await first.deliveries.exists(touchpoint_id(1))
        second = asyncio.create_task(check_alone())
        await backend.someone_waits()
        await first.deliveries.record(delivery(1))

    assert await asyncio.wait_for(second, timeout=10) == (True, 1)


async def test_a_hold_ends_with_a_rolled_back_unit(backend: Backend) -> None:
    with pytest.raises(RuntimeError, match="abort"):
        async with backend.unit_of_work() as first:
            await first.deliveries.hold_member(BRAND, MEMBER)
            raise RuntimeError("abort")

    async with backend.unit_of_work() as second:
        await asyncio.wait_for(second.deliveries.hold_member(BRAND, MEMBER), timeout=10)
