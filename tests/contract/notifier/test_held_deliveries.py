"""The DeliveryLog contract for held messages: a held row is the one a later record of its
touchpoint replaces, due rows come earliest first and locked, and the member lock can be
tried without waiting."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from notifier.application.ports import TouchpointAlreadyRecorded
from notifier.domain.deliveries import Delivery

from tests.contract.notifier.conftest import Backend, delivery
from tests.support.http import BRAND, NOW
from tests.unit.notifier.builders import MEMBER, touchpoint_id

MORNING = NOW + timedelta(hours=10)
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
QUIET = "quiet hours 21:00-08:00 (Asia/Shanghai)"


def held(number: int, *, until: datetime = MORNING) -> Delivery:
    return replace(
        delivery(number),
        status="held",
        reason=QUIET,
        held_until=until,
        traceparent=TRACEPARENT,
        tracestate="rapport=1",
    )


async def due(backend: Backend, now: datetime = MORNING, count: int = 100) -> list[Delivery]:
    async with backend.unit_of_work() as uow:
        return await uow.deliveries.due_held(now, count)


async def test_held_rows_due_together_come_in_the_order_they_were_held(backend: Backend) -> None:
    later, earlier = held(1), replace(held(2), created_at=NOW - timedelta(minutes=1))
    await backend.record(later, earlier)

    assert [row.delivery_id for row in await due(backend)] == [
        earlier.delivery_id,
        later.delivery_id,
    ]


async def test_a_held_delivery_reads_back_whole_with_its_trace(backend: Backend) -> None:
    waiting = held(1)

    await backend.record(waiting)

    assert await backend.every_delivery() == [waiting]


async def test_a_held_delivery_is_replaced_by_its_release(backend: Backend) -> None:
    await backend.record(held(1))
    released = replace(
        held(1), status="delivered", reason=None, held_until=None, created_at=MORNING
    )

    await backend.record(released)

    assert await backend.every_delivery() == [released]


async def test_a_held_delivery_may_be_held_again_later(backend: Backend) -> None:
    await backend.record(held(1))
    later = held(1, until=MORNING + timedelta(days=1))

    await backend.record(later)

    assert await backend.every_delivery() == [later]


async def test_a_released_delivery_is_never_replaced(backend: Backend) -> None:
    released = replace(held(1), status="capped", held_until=None)
    await backend.record(held(1))
    await backend.record(released)

    with pytest.raises(TouchpointAlreadyRecorded):
        await backend.record(replace(released, status="delivered", reason=None))

    assert await backend.every_delivery() == [released]


async def test_held_rows_come_due_earliest_first_up_to_the_count(backend: Backend) -> None:
    await backend.record(
        held(1, until=MORNING + timedelta(minutes=5)),
        held(2, until=MORNING),
        held(3, until=MORNING + timedelta(minutes=1)),
        held(4, until=MORNING + timedelta(hours=1)),
        delivery(5),
    )

    assert [row.delivery_id for row in await due(backend, MORNING + timedelta(minutes=5))] == [
        held(2).delivery_id,
        held(3).delivery_id,
        held(1).delivery_id,
    ]
    assert [row.delivery_id for row in await due(backend, count=1)] == [held(2).delivery_id]
    assert await due(backend, MORNING - timedelta(seconds=1)) == []


async def test_held_rows_are_not_sent_marketing(backend: Backend) -> None:
    await backend.record(held(1))

    async with backend.unit_of_work() as uow:
        sent = await uow.deliveries.marketing_sent_since(BRAND, MEMBER, NOW - timedelta(days=7))

    assert sent == []


async def test_a_held_row_one_worker_took_is_skipped_by_another(backend: Backend) -> None:
    await backend.record(held(1), held(2, until=MORNING + timedelta(minutes=1)))

    async with backend.unit_of_work() as first:
        [taken] = await first.deliveries.due_held(MORNING, 1)
        # In memory a second unit of work only starts after the first ends; on PostgreSQL it
        # runs now and must not wait for the row the first one holds.
        second = asyncio.create_task(due(backend, MORNING + timedelta(minutes=1)))
        if backend.is_postgres:
            others = await asyncio.wait_for(second, timeout=10)
            assert [row.delivery_id for row in others] == [held(2).delivery_id]

    assert taken.touchpoint.touchpoint_id == touchpoint_id(1)
    await second


async def test_the_member_lock_is_tried_without_waiting(backend: Backend) -> None:
    async def try_it() -> bool:
        async with backend.unit_of_work() as uow:
            return await uow.deliveries.try_hold_member(BRAND, MEMBER)

    async with backend.unit_of_work() as holder:
        await holder.deliveries.hold_member(BRAND, MEMBER)
        assert await holder.deliveries.try_hold_member(BRAND, MEMBER)  # her own lock
        if backend.is_postgres:
            assert not await asyncio.wait_for(try_it(), timeout=10)

    assert await try_it()
