"""Events that cross a brand are refused before anything is written, through the real
subscriptions: the notifier's own and identity's directory feed, guarded (``with_directory``).

A refusal is a ``RejectEvent``: the consumer dead-letters the event with its reason. A member,
member of staff or store the replica does not know yet is let through (journey checked it;
the replica may lag identity).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from notifier.adapters.memory import in_memory_database
from rapport_events.catalogue import example_event
from rapport_events.clock import ManualClock
from rapport_events.consumer import RejectEvent, brand_mismatch
from rapport_events.contracts.identity import StaffJoined, StoreOpened
from rapport_events.contracts.notifier import MessageDelivered
from rapport_events.directory import KnownMember, KnownStaff, KnownStore
from rapport_events.envelope import DomainEvent, EventEnvelope
from rapport_events.uow import InMemoryDatabase

from tests.support.http import BRAND, NOW, STORE
from tests.unit.notifier.builders import (
    MEMBER,
    OTHER_MEMBER,
    STAFF,
    consume,
    consumed,
    envelope_of,
    handlers_on,
    recorded,
    replica,
    touchpoint_requested,
    units_of_work,
)

OTHER_BRAND = "brd_2"
OTHER_STORE = "sto_2"

CONSUMED = list(consumed(handlers_on(in_memory_database())))
"""Every event type the notifier's consumer handles."""
NAMING_A_MEMBER = [kind for kind in CONSUMED if "member_id" in kind.model_fields]


def task(audience: str = "associate", recipient_id: str = STAFF) -> dict[str, Any]:
    return {
        "template": "churn_risk_alert",
        "channel": "task",
        "audience": audience,
        "recipient_id": recipient_id,
        "marketing": False,
        "variables": {},
    }


def wrapped(event: DomainEvent, brand_id: str) -> EventEnvelope:
    return EventEnvelope.wrap(event, source="/rapport/tests", brand_id=brand_id, time=NOW)


async def refusal(database: InMemoryDatabase, event: DomainEvent, envelope: EventEnvelope) -> str:
    """Why the consumer refuses ``event``; fails unless the handler had written nothing."""
    clock = ManualClock(NOW)
    before = copy.deepcopy(database.tables)
    uow = units_of_work(database, clock)()
    with pytest.raises(RejectEvent) as refused:
        await consume(database, clock, event, envelope, uow)
    assert uow.tables == before, "the handler wrote before it refused"
    assert uow.emitted == []
    assert database.published() == []
    return str(refused.value)


async def touchpoint_refusal(database: InMemoryDatabase, **changes: Any) -> str:
    event = touchpoint_requested(1, **changes)
    reason = await refusal(database, event, envelope_of(event, ManualClock(NOW)))
    assert recorded(database) == []
    return reason


async def delivered(database: InMemoryDatabase, **changes: Any) -> None:
    event = touchpoint_requested(1, **changes)
    clock = ManualClock(NOW)
    await consume(database, clock, event, envelope_of(event, clock))
    [row] = recorded(database)
    assert row.status == "delivered"
    assert len(database.published(MessageDelivered)) == 1


@pytest.fixture
def database() -> InMemoryDatabase:
    return in_memory_database()


async def test_a_touchpoint_about_a_member_of_another_brand_is_refused_and_not_sent(
    database: InMemoryDatabase,
) -> None:
    replica(database).members[MEMBER] = KnownMember(MEMBER, OTHER_BRAND, OTHER_STORE)

    reason = await touchpoint_refusal(database)

    assert reason == (
        f"member {MEMBER!r} belongs to another brand than the event's brand_id {BRAND!r}"
    )


@pytest.mark.parametrize("known", [False, True], ids=["not yet known", "known in its brand"])
async def test_a_touchpoint_about_a_member_the_replica_does_not_place_elsewhere_is_sent(
    database: InMemoryDatabase, known: bool
) -> None:
    if known:
        replica(database).members[MEMBER] = KnownMember(MEMBER, BRAND, STORE)

    await delivered(database)


async def test_a_message_to_another_brands_member_is_refused(
    database: InMemoryDatabase,
) -> None:
    replica(database).members[OTHER_MEMBER] = KnownMember(OTHER_MEMBER, OTHER_BRAND, OTHER_STORE)

    reason = await touchpoint_refusal(database, recipient_id=OTHER_MEMBER)

    assert reason.startswith(f"member {OTHER_MEMBER!r} belongs to another brand")


@pytest.mark.parametrize("audience", ["associate", "store_manager"])
async def test_a_task_for_staff_of_another_brand_is_refused(
    database: InMemoryDatabase, audience: str
) -> None:
    replica(database).staff[STAFF] = KnownStaff(STAFF, OTHER_BRAND, audience, OTHER_STORE)

    reason = await touchpoint_refusal(database, **task(audience))

    assert reason == (
        f"{audience} {STAFF!r} belongs to another brand than the event's brand_id {BRAND!r}"
    )


async def test_a_touchpoint_for_a_store_of_another_brand_is_refused(
    database: InMemoryDatabase,
) -> None:
    replica(database).stores[OTHER_STORE] = KnownStore(OTHER_STORE, OTHER_BRAND)

    reason = await touchpoint_refusal(database, store_id=OTHER_STORE)

    assert reason == (
        f"store {OTHER_STORE!r} belongs to another brand than the event's brand_id {BRAND!r}"
    )


@pytest.mark.parametrize("known", [False, True], ids=["not yet known", "known in its brand"])
async def test_a_task_for_staff_and_a_store_the_replica_does_not_place_elsewhere_is_sent(
    database: InMemoryDatabase, known: bool
) -> None:
    if known:
        replica(database).staff[STAFF] = KnownStaff(STAFF, BRAND, "associate", STORE)
        replica(database).stores[STORE] = KnownStore(STORE, BRAND)

    await delivered(database, **task())


# ------------------------------------------------------------ every event the notifier consumes


def test_the_only_consumed_events_naming_no_member_are_identitys_organisation_facts() -> None:
    """Those are refused by the envelope check alone; any other event names a member, and the
    table below tries it with a member of another brand."""
    assert set(CONSUMED) - set(NAMING_A_MEMBER) == {StoreOpened, StaffJoined}


@pytest.mark.parametrize("kind", NAMING_A_MEMBER, ids=lambda kind: kind.event_type)
async def test_every_consumed_event_naming_a_member_of_another_brand_is_refused(
    database: InMemoryDatabase, kind: type[DomainEvent]
) -> None:
    event: Any = example_event(kind)
    replica(database).members[event.member_id] = KnownMember(
        event.member_id, OTHER_BRAND, OTHER_STORE
    )

    reason = await refusal(database, event, wrapped(event, event.brand_id))

    assert reason == (
        f"member {event.member_id!r} belongs to another brand than the event's brand_id "
        f"{event.brand_id!r}"
    )


@pytest.mark.parametrize("kind", NAMING_A_MEMBER, ids=lambda kind: kind.event_type)
async def test_every_consumed_event_naming_a_member_not_known_yet_is_applied(
    database: InMemoryDatabase, kind: type[DomainEvent]
) -> None:
    event: Any = example_event(kind)

    await consume(database, ManualClock(NOW), event, wrapped(event, event.brand_id))

    assert database.commits == 1


@pytest.mark.parametrize("kind", CONSUMED, ids=lambda kind: kind.event_type)
def test_every_consumed_event_under_another_brands_envelope_is_refused(
    kind: type[DomainEvent],
) -> None:
    """The consumer compares the data's brand with the envelope's before any handler runs;
    every event the notifier consumes carries a brand to compare."""
    event: Any = example_event(kind)

    reason = brand_mismatch(event, wrapped(event, OTHER_BRAND))

    assert reason == (
        f"the envelope's brandid {OTHER_BRAND!r} differs from the data's brand_id "
        f"{event.brand_id!r}"
    )
