"""The directory replica's contract, on PostgreSQL and in memory, and its guarded feed.

What every service relies on: identity's events put members, stores and staff in the replica
(a later binding moves a member's associate and store; a registration replayed after a binding
keeps the associate); lookups by brand answer None both for unknown ids and for ids of another
brand; an event naming a member the replica knows under another brand is refused before
anything, the replica included, changes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
import pytest_asyncio
from rapport_events.clock import ManualClock
from rapport_events.consumer import RejectEvent, Subscription
from rapport_events.contracts.identity import (
    MemberBoundToAssociate,
    MemberRegistered,
    StaffJoined,
    StoreOpened,
)
from rapport_events.contracts.loyalty import PointsEarned
from rapport_events.directory import (
    DIRECTORY_MIGRATIONS,
    DirectoryTables,
    InMemoryDirectory,
    KnownMember,
    KnownStaff,
    KnownStore,
    PostgresDirectory,
    known_member,
    known_staff,
    known_store,
    with_directory,
)
from rapport_events.envelope import DomainEvent, EventEnvelope
from rapport_events.topics import IDENTITY_MEMBERS, IDENTITY_ORGANISATION, LOYALTY_POINTS
from rapport_events.uow import Connection, InMemoryDatabase, InMemoryUnitOfWork, UnitOfWork
from rapport_platform.db import migrate

AT = datetime(2026, 6, 1, 9, tzinfo=UTC)
BRAND_A, BRAND_B = "brd_" + "a" * 32, "brd_" + "b" * 32
STORE_A = "sto_" + "a" * 32
MEMBER = "mbr_" + "1" * 32
ASSOCIATE = "stf_" + "1" * 32
SOURCE = "/rapport/tests"


class PostgresReplicaUnitOfWork(UnitOfWork):
    def _bind(self, connection: Connection) -> None:
        self.directory = PostgresDirectory(connection)


class InMemoryReplicaUnitOfWork(InMemoryUnitOfWork):
    def _bind(self, tables: Any) -> None:
        self.directory = InMemoryDirectory(tables)


Begin = Callable[[], Any]


@pytest_asyncio.fixture
async def replica_pool(pool: asyncpg.Pool) -> asyncpg.Pool:
    await migrate(pool, DIRECTORY_MIGRATIONS, component="tests")
    return pool


@pytest.fixture(params=["memory", "postgres"])
def begin(request: pytest.FixtureRequest) -> Begin:
    clock = ManualClock(AT)
    if request.param == "memory":
        database = InMemoryDatabase(DirectoryTables())
        return lambda: InMemoryReplicaUnitOfWork(database, source=SOURCE, clock=clock)
    pool: asyncpg.Pool = request.getfixturevalue("replica_pool")
    return lambda: PostgresReplicaUnitOfWork(pool, source=SOURCE, clock=clock)


def registered(brand_id: str = BRAND_A, member_id: str = MEMBER) -> MemberRegistered:
    return MemberRegistered(
        member_id=member_id, brand_id=brand_id, store_id=STORE_A, surname="梁", registered_at=AT
    )


def bound(store_id: str = STORE_A) -> MemberBoundToAssociate:
    return MemberBoundToAssociate(
        member_id=MEMBER, brand_id=BRAND_A, store_id=store_id, associate_id=ASSOCIATE, bound_at=AT
    )


def points_in(brand_id: str) -> PointsEarned:
    return PointsEarned(
        member_id=MEMBER,
        brand_id=brand_id,
        points=10,
        balance=10,
        reason="visit",
        source_id="vis_1",
        earned_at=AT,
    )


def envelope(event: DomainEvent) -> EventEnvelope:
    return EventEnvelope.wrap(event, source="/rapport/identity", brand_id=event.brand_id, time=AT)  # type: ignore[attr-defined]


async def feed(begin: Begin, subscriptions: list[Subscription], event: DomainEvent) -> None:
    """Applies ``event`` the way the consumer would: in one unit of work, or not at all."""
    handler = next(s.handlers[type(event)] for s in subscriptions if type(event) in s.handlers)
    async with begin() as uow:
        await handler(event, envelope(event), uow)


async def test_identity_events_fill_the_replica(begin: Begin) -> None:
    feed_only = with_directory([])
    await feed(begin, feed_only, registered())
    await feed(begin, feed_only, StoreOpened(store_id=STORE_A, brand_id=BRAND_A, opened_at=AT))
    await feed(
        begin,
        feed_only,
        StaffJoined(
            staff_id=ASSOCIATE, brand_id=BRAND_A, store_id=STORE_A, role="associate", joined_at=AT
        ),
    )

    async with begin() as uow:
        assert await uow.directory.member(MEMBER) == KnownMember(MEMBER, BRAND_A, STORE_A)
        assert await uow.directory.store(STORE_A) == KnownStore(STORE_A, BRAND_A)
        assert await uow.directory.staff(ASSOCIATE) == KnownStaff(
            ASSOCIATE, BRAND_A, "associate", STORE_A
        )


async def test_a_binding_moves_the_member_and_a_replayed_registration_keeps_it(
    begin: Begin,
) -> None:
    other_store = "sto_" + "c" * 32
    feed_only = with_directory([])
    await feed(begin, feed_only, registered())
    await feed(begin, feed_only, bound(store_id=other_store))
    await feed(begin, feed_only, registered())

    async with begin() as uow:
        assert await uow.directory.member(MEMBER) == KnownMember(
            MEMBER, BRAND_A, other_store, ASSOCIATE
        )


async def test_lookups_by_brand_do_not_tell_unknown_from_elsewhere(begin: Begin) -> None:
    feed_only = with_directory([])
    await feed(begin, feed_only, registered())
    await feed(begin, feed_only, StoreOpened(store_id=STORE_A, brand_id=BRAND_A, opened_at=AT))
    await feed(
        begin,
        feed_only,
        StaffJoined(staff_id=ASSOCIATE, brand_id=BRAND_A, role="hq", joined_at=AT),
    )

    async with begin() as uow:
        assert await known_member(uow.directory, MEMBER, brand_id=BRAND_A) is not None
        assert await known_store(uow.directory, STORE_A, brand_id=BRAND_A) is not None
        assert await known_staff(uow.directory, ASSOCIATE, brand_id=BRAND_A) is not None
        for brand_id, suffix in ((BRAND_B, ""), (BRAND_A, "-unknown")):
            assert await known_member(uow.directory, MEMBER + suffix, brand_id=brand_id) is None
            assert await known_store(uow.directory, STORE_A + suffix, brand_id=brand_id) is None
            assert await known_staff(uow.directory, ASSOCIATE + suffix, brand_id=brand_id) is None


async def test_an_event_naming_another_brands_member_is_refused_before_anything_changes(
    begin: Begin,
) -> None:
    applied: list[DomainEvent] = []

    async def service_handler(event: Any, _envelope: EventEnvelope, _uow: Any) -> None:
        applied.append(event)

    subscriptions = with_directory(
        [
            Subscription(IDENTITY_MEMBERS, {MemberRegistered: service_handler}),
            Subscription(LOYALTY_POINTS, {PointsEarned: service_handler}),
        ]
    )
    await feed(begin, subscriptions, registered())
    foreign_points = points_in(BRAND_B)

    with pytest.raises(RejectEvent, match="another brand"):
        await feed(begin, subscriptions, foreign_points)
    with pytest.raises(RejectEvent, match="another brand"):
        await feed(begin, subscriptions, registered(brand_id=BRAND_B))

    assert applied == [registered()]
    async with begin() as uow:
        assert (await uow.directory.member(MEMBER)).brand_id == BRAND_A


async def test_events_of_a_member_not_known_yet_are_applied(begin: Begin) -> None:
    applied: list[DomainEvent] = []

    async def service_handler(event: Any, _envelope: EventEnvelope, _uow: Any) -> None:
        applied.append(event)

    subscriptions = with_directory([Subscription(LOYALTY_POINTS, {PointsEarned: service_handler})])
    points = points_in(BRAND_B)

    await feed(begin, subscriptions, points)

    assert applied == [points]


def test_the_replica_subscribes_to_both_identity_topics() -> None:
    topics = {s.topic for s in with_directory([])}
    assert topics == {IDENTITY_MEMBERS, IDENTITY_ORGANISATION}


async def test_stores_and_staff_of_another_brand_are_refused_too(begin: Begin) -> None:
    feed_only = with_directory([])
    other_brands_staff = "stf_" + "2" * 32
    await feed(begin, feed_only, StoreOpened(store_id=STORE_A, brand_id=BRAND_A, opened_at=AT))
    await feed(
        begin,
        feed_only,
        StaffJoined(staff_id=other_brands_staff, brand_id=BRAND_A, role="hq", joined_at=AT),
    )

    with pytest.raises(RejectEvent, match=f"store '{STORE_A}' belongs to another brand"):
        await feed(begin, feed_only, StoreOpened(store_id=STORE_A, brand_id=BRAND_B, opened_at=AT))
    with pytest.raises(RejectEvent, match=f"store '{STORE_A}' belongs to another brand"):
        await feed(
            begin,
            feed_only,
            StaffJoined(
                staff_id=ASSOCIATE,
                brand_id=BRAND_B,
                store_id=STORE_A,
                role="associate",
                joined_at=AT,
            ),
        )
    with pytest.raises(RejectEvent, match=f"staff '{other_brands_staff}' belongs to another"):
        await feed(
            begin,
            feed_only,
            MemberBoundToAssociate(
                member_id=MEMBER,
                brand_id=BRAND_B,
                store_id="sto_" + "b" * 32,
                associate_id=other_brands_staff,
                bound_at=AT,
            ),
        )

    async with begin() as uow:
        assert await uow.directory.store(STORE_A) == KnownStore(STORE_A, BRAND_A)
        assert await uow.directory.staff(ASSOCIATE) is None
        assert await uow.directory.member(MEMBER) is None


async def test_a_stores_managers_are_found_for_its_alerts(begin: Begin) -> None:
    feed_only = with_directory([])
    manager, other_manager = "stf_" + "3" * 32, "stf_" + "4" * 32
    other_store = "sto_" + "c" * 32
    await feed(begin, feed_only, StoreOpened(store_id=STORE_A, brand_id=BRAND_A, opened_at=AT))
    await feed(begin, feed_only, StoreOpened(store_id=other_store, brand_id=BRAND_A, opened_at=AT))
    for staff_id, store_id, role in (
        (manager, STORE_A, "store_manager"),
        (ASSOCIATE, STORE_A, "associate"),
        (other_manager, other_store, "store_manager"),
    ):
        joined = StaffJoined(
            staff_id=staff_id, brand_id=BRAND_A, store_id=store_id, role=role, joined_at=AT
        )
        await feed(begin, feed_only, joined)

    async with begin() as uow:
        managers = await uow.directory.store_managers(STORE_A)
        assert managers == [KnownStaff(manager, BRAND_A, "store_manager", STORE_A)]
        assert await uow.directory.store_managers("sto_" + "d" * 32) == []
