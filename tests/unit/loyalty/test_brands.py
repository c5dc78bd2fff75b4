"""One brand rule for every event loyalty consumes.

The events go through the consumer's handlers as ``bootstrap.py`` wires them (loyalty's own and
the directory replica's feed, behind the replica's guard), on the in-memory unit of work. The
tables run over every event type those handlers take, so a handler added later is covered
without a new test.
"""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest
from loyalty.adapters.memory import in_memory_database
from rapport_events.catalogue import example_event
from rapport_events.consumer import RejectEvent
from rapport_events.contracts.identity import MemberRegistered, StaffJoined, StoreOpened
from rapport_events.contracts.loyalty import PointsEarned
from rapport_events.contracts.service_orders import PurchaseRecorded, VisitCompleted
from rapport_events.envelope import DomainEvent
from rapport_events.uow import InMemoryDatabase

from tests.unit.loyalty.builders import consume, consumer_handlers

BRAND_A, BRAND_B = "brd_a", "brd_b"
MEMBER = "mbr_1"
REFUSAL = f"member '{MEMBER}' belongs to another brand than the event's brand_id '{BRAND_B}'"

HANDLED = sorted(consumer_handlers(in_memory_database()), key=lambda kind: kind.event_type)
ABOUT_A_MEMBER = [kind for kind in HANDLED if "member_id" in kind.model_fields]
ORGANISATION_FACTS = {StoreOpened, StaffJoined}
"""The replica's feed of stores and staff: no member in them, so no member's brand to check."""


def about(kind: type[DomainEvent], brand_id: str) -> DomainEvent:
    """The catalogue's example of ``kind``, about ``MEMBER`` in ``brand_id``."""
    return example_event(kind).model_copy(update={"member_id": MEMBER, "brand_id": brand_id})


@pytest.fixture
def database() -> InMemoryDatabase:
    return in_memory_database()


async def refused(database: InMemoryDatabase, event: DomainEvent) -> str:
    """Consume ``event``, which must be refused without changing or emitting anything."""
    before = (copy.deepcopy(database.tables), database.commits, database.published())
    with pytest.raises(RejectEvent) as refusal:
        await consume(database, event)
    assert (database.tables, database.commits, database.published()) == before
    return str(refusal.value)


def test_every_event_consumed_names_a_member_but_the_organisation_facts() -> None:
    assert ABOUT_A_MEMBER
    assert set(HANDLED) - set(ABOUT_A_MEMBER) <= ORGANISATION_FACTS


async def test_brand_bs_visit_for_brand_as_member_earns_her_nothing(
    database: InMemoryDatabase,
) -> None:
    await consume(database, about(MemberRegistered, BRAND_A))

    assert await refused(database, about(VisitCompleted, BRAND_B)) == REFUSAL
    assert database.tables.balances == {}
    assert database.published(PointsEarned) == []


async def test_a_purchase_for_a_member_not_known_yet_earns(database: InMemoryDatabase) -> None:
    purchase = about(PurchaseRecorded, BRAND_B).model_copy(update={"amount": Decimal("120.50")})

    await consume(database, purchase)

    assert database.tables.balances[MEMBER].brand_id == BRAND_B
    assert database.tables.balances[MEMBER].balance == 120


@pytest.mark.parametrize("kind", ABOUT_A_MEMBER, ids=lambda kind: kind.event_type)
async def test_any_event_for_a_member_not_known_yet_is_applied(
    database: InMemoryDatabase, kind: type[DomainEvent]
) -> None:
    await consume(database, about(kind, BRAND_B))

    assert database.commits == 1


@pytest.mark.parametrize("kind", ABOUT_A_MEMBER, ids=lambda kind: kind.event_type)
async def test_any_event_of_another_brand_than_the_replicas_is_refused(
    database: InMemoryDatabase, kind: type[DomainEvent]
) -> None:
    await consume(database, about(MemberRegistered, BRAND_A))

    assert await refused(database, about(kind, BRAND_B)) == REFUSAL


@pytest.mark.parametrize("kind", ABOUT_A_MEMBER, ids=lambda kind: kind.event_type)
async def test_any_event_of_another_brand_than_her_accounts_is_refused(
    database: InMemoryDatabase, kind: type[DomainEvent]
) -> None:
    # Her account is brand A's; her registration has not reached the replica.
    await consume(database, about(PurchaseRecorded, BRAND_A))
    assert database.tables.directory.members == {}

    assert await refused(database, about(kind, BRAND_B)) == REFUSAL
