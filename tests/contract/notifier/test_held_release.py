"""Held messages released by racing workers, on both backends: each is sent exactly once,
none is lost across a restart, and a worker never waits on a consumer deciding about her.

Touchpoints arrive at ``NIGHT`` (22:30 in Shanghai, inside the default quiet hours) and are
released at ``MORNING`` (08:00 the next day).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime

from notifier.application.commands import ReleaseHeldMessages
from notifier.application.handlers import NotifierHandlers
from rapport_events.contracts.journey import TouchpointRequested
from rapport_events.contracts.notifier import MessageDelivered, MessageHeld
from rapport_events.envelope import DomainEvent
from rapport_events.registry import registry

from tests.contract.notifier.conftest import Backend, UnitOfWork
from tests.support.http import BRAND
from tests.unit.notifier.builders import MEMBER, envelope_of, touchpoint_requested

NIGHT = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)
MORNING = datetime(2026, 3, 3, 0, 0, tzinfo=UTC)
RELEASE = ReleaseHeldMessages(now=MORNING)


class Workers:
    """Release workers on one backend; every unit of work they open is kept, to read what
    each emitted."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.units: list[UnitOfWork] = []

    def unit_of_work(self) -> UnitOfWork:
        unit = self.backend.unit_of_work()
        self.units.append(unit)
        return unit

    def worker(self) -> NotifierHandlers:
        """A fresh worker, as another replica or a restarted process would have."""
        return NotifierHandlers(self.unit_of_work, self.backend.clock)

    def emitted(self) -> list[DomainEvent]:
        return [registry.decode(envelope) for unit in self.units for envelope in unit.emitted]

    def delivered(self) -> Counter[str]:
        """How many times each delivery id was reported delivered."""
        return Counter(
            event.delivery_id for event in self.emitted() if isinstance(event, MessageDelivered)
        )


def member(number: int) -> str:
    return f"mbr_{number:032x}"


def service_message(number: int) -> TouchpointRequested:
    """A care guide for member ``number``: held at night, never capped."""
    return touchpoint_requested(
        number,
        at=NIGHT,
        member_id=member(number),
        recipient_id=member(number),
        template="care_guide_24h",
        marketing=False,
    )


async def hold(backend: Backend, *requests: TouchpointRequested) -> list[str]:
    """Hand each request to a consumer at night; the delivery ids of the held messages."""
    backend.clock.set(NIGHT)
    ids = []
    for request in requests:
        async with backend.unit_of_work() as uow:
            await NotifierHandlers(backend.unit_of_work, backend.clock).on_touchpoint_requested(
                request, envelope_of(request, backend.clock), uow
            )
        [held] = [registry.decode(envelope) for envelope in uow.emitted]
        assert isinstance(held, MessageHeld)
        ids.append(held.delivery_id)
    backend.clock.set(MORNING)
    return ids


async def statuses(backend: Backend) -> list[str]:
    return sorted(row.status for row in await backend.every_delivery())


async def test_a_held_message_two_workers_race_for_is_released_exactly_once(
    backend: Backend,
) -> None:
    [delivery_id] = await hold(backend, touchpoint_requested(1, at=NIGHT))
    workers = Workers(backend)

    async with workers.unit_of_work() as first:
        taken = await workers.worker().release_held_in(first, RELEASE)
        # The second replica's round runs while the first holds the row: on PostgreSQL it
        # skips the locked row at once; in memory it starts once the first has committed.
        second = asyncio.create_task(workers.worker().release_held_messages(RELEASE))
        if backend.is_postgres:
            assert await asyncio.wait_for(second, timeout=10) == 0
    assert await second == 0
    assert taken == 1

    assert workers.delivered() == {delivery_id: 1}
    assert await statuses(backend) == ["delivered"]


async def test_many_workers_at_once_release_every_held_message_once(backend: Backend) -> None:
    held = await hold(backend, *[service_message(number) for number in range(1, 25)])
    workers = Workers(backend)

    async def drain(worker: NotifierHandlers) -> None:
        while await worker.release_held_messages(ReleaseHeldMessages(now=MORNING, limit=3)):
            pass

    await asyncio.wait_for(asyncio.gather(*[drain(workers.worker()) for _ in range(4)]), 30)

    assert workers.delivered() == dict.fromkeys(held, 1)
    assert await statuses(backend) == ["delivered"] * len(held)


async def test_a_restart_loses_no_held_message(backend: Backend) -> None:
    held = await hold(backend, service_message(1), service_message(2))
    # The process that held them is gone; a new one, with nothing in memory, takes over.
    restarted = Workers(backend)

    assert await restarted.worker().release_held_messages(RELEASE) == 2

    assert restarted.delivered() == dict.fromkeys(held, 1)


async def test_a_crashed_release_leaves_the_message_held_for_the_next_round(
    backend: Backend,
) -> None:
    [delivery_id] = await hold(backend, touchpoint_requested(1, at=NIGHT))
    workers = Workers(backend)

    try:
        async with workers.unit_of_work() as unit:
            await workers.worker().release_held_in(unit, RELEASE)
            raise RuntimeError("the process died before its commit")
    except RuntimeError:
        pass
    assert await statuses(backend) == ["held"]

    retried = Workers(backend)
    assert await retried.worker().release_held_messages(RELEASE) == 1
    assert retried.delivered() == {delivery_id: 1}


async def test_a_worker_leaves_a_member_a_consumer_is_deciding_about(backend: Backend) -> None:
    await hold(backend, touchpoint_requested(1, at=NIGHT))
    workers = Workers(backend)

    async with backend.unit_of_work() as consumer:
        await consumer.deliveries.hold_member(BRAND, MEMBER)
        # On PostgreSQL the round runs now and must pass her by without waiting.
        round_ = asyncio.create_task(workers.worker().release_held_messages(RELEASE))
        if backend.is_postgres:
            assert await asyncio.wait_for(round_, timeout=10) == 0
            assert await statuses(backend) == ["held"]
    await round_

    await workers.worker().release_held_messages(RELEASE)
    assert list(workers.delivered().values()) == [1]
