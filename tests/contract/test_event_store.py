"""The event store contract, run against the in-memory fake and PostgreSQL alike."""

from __future__ import annotations

import asyncpg
import pytest
from rapport_events.commit_log import START
from rapport_events.store import (
    ConcurrencyError,
    DuplicateEventError,
    EventStore,
    InMemoryEventStore,
    PostgresEventStore,
)

from tests.support.events import points_envelope


@pytest.fixture(params=["memory", "postgres"])
def store(request: pytest.FixtureRequest) -> EventStore:
    if request.param == "memory":
        return InMemoryEventStore()
    pool: asyncpg.Pool = request.getfixturevalue("pool")
    return PostgresEventStore(pool)


async def test_a_new_stream_starts_at_version_zero(store: EventStore) -> None:
    events = [points_envelope("m1", 10), points_envelope("m1", 20)]
    assert await store.append("acct-m1", 0, events) == 2

    loaded = await store.load("acct-m1")
    assert [stored.envelope for stored in loaded] == events
    assert [stored.stream_version for stored in loaded] == [1, 2]


async def test_appending_on_a_stale_version_is_a_conflict(store: EventStore) -> None:
    await store.append("acct-m1", 0, [points_envelope("m1", 10)])

    with pytest.raises(ConcurrencyError) as conflict:
        await store.append("acct-m1", 0, [points_envelope("m1", 20)])

    assert conflict.value.expected_version == 0
    assert conflict.value.actual_version == 1
    assert len(await store.load("acct-m1")) == 1


async def test_load_after_a_version_returns_the_tail(store: EventStore) -> None:
    await store.append("acct-m1", 0, [points_envelope("m1", p) for p in (1, 2, 3)])
    tail = await store.load("acct-m1", after_version=2)
    assert [s.envelope.data["points"] for s in tail] == [3]


async def test_an_unknown_stream_is_empty(store: EventStore) -> None:
    assert await store.load("acct-nobody") == []


async def test_an_empty_append_changes_nothing(store: EventStore) -> None:
    assert await store.append("acct-m1", 0, []) == 0
    assert await store.load("acct-m1") == []


async def test_the_same_event_cannot_be_stored_twice(store: EventStore) -> None:
    event = points_envelope("m1", 10)
    await store.append("acct-m1", 0, [event])
    with pytest.raises(DuplicateEventError):
        await store.append("acct-m2", 0, [event])


async def test_read_all_follows_commit_order_across_streams(store: EventStore) -> None:
    first, second, third = (
        points_envelope("m1", 1),
        points_envelope("m2", 2),
        points_envelope("m1", 3),
    )
    await store.append("acct-m1", 0, [first])
    await store.append("acct-m2", 0, [second])
    await store.append("acct-m1", 1, [third])

    everything = await store.read_all(START)
    assert [s.envelope for s in everything] == [first, second, third]

    after_first = await store.read_all(everything[0].checkpoint)
    assert [s.envelope for s in after_first] == [second, third]
    assert [s.envelope for s in await store.read_all(START, limit=1)] == [first]
