"""Touchpoint handling on both backends when consumers race: sent once, capped right.

The first consumer's unit of work stays open while the second one starts; the second must
wait for it and then decide on what it recorded.
"""

from __future__ import annotations

import asyncio

from notifier.application.handlers import NotifierHandlers
from rapport_events.contracts.journey import TouchpointRequested
from rapport_events.contracts.notifier import MessageCapped, MessageDelivered
from rapport_events.envelope import DomainEvent, EventEnvelope
from rapport_events.registry import registry

from tests.contract.notifier.conftest import Backend
from tests.unit.notifier.builders import envelope_of, touchpoint_requested


def handlers_of(backend: Backend) -> NotifierHandlers:
    return NotifierHandlers(backend.unit_of_work, backend.clock)


async def handle_alone(backend: Backend, event: TouchpointRequested) -> list[EventEnvelope]:
    """One consumer's turn: the event under an envelope of its own, in its own unit of work."""
    async with backend.unit_of_work() as uow:
        await handlers_of(backend).on_touchpoint_requested(
            event, envelope_of(event, backend.clock), uow
        )
    return uow.emitted


async def race(
    backend: Backend, first_event: TouchpointRequested, second_event: TouchpointRequested
) -> tuple[list[DomainEvent], list[DomainEvent]]:
    """What each of two racing consumers emitted, the second starting while the first holds."""
    async with backend.unit_of_work() as first:
        await handlers_of(backend).on_touchpoint_requested(
            first_event, envelope_of(first_event, backend.clock), first
        )
        second = asyncio.create_task(handle_alone(backend, second_event))
        await backend.someone_waits()
    second_emitted = await asyncio.wait_for(second, timeout=10)
    return decoded(first.emitted), decoded(second_emitted)


def decoded(envelopes: list[EventEnvelope]) -> list[DomainEvent]:
    return [registry.decode(envelope) for envelope in envelopes]


async def test_a_touchpoint_two_consumers_race_for_is_delivered_once(backend: Backend) -> None:
    request = touchpoint_requested(1)

    first, second = await race(backend, request, request)

    [delivered] = first
    assert isinstance(delivered, MessageDelivered)
    assert second == []
    [row] = await backend.every_delivery()
    assert row.delivery_id == delivered.delivery_id


async def test_the_cap_counts_a_push_sent_by_a_racing_consumer(backend: Backend) -> None:
    await handle_alone(backend, touchpoint_requested(1))

    first, second = await race(backend, touchpoint_requested(2), touchpoint_requested(3))

    assert [type(event) for event in first] == [MessageDelivered]
    [refused] = second
    assert isinstance(refused, MessageCapped)
    assert refused.reason == "weekly marketing cap reached (2 per 7 days)"
    statuses = [row.status for row in await backend.every_delivery()]
    assert sorted(statuses) == ["capped", "delivered", "delivered"]
