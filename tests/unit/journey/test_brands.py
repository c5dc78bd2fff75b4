"""One brand rule for every event journey consumes.

The events go through the consumer's handlers as ``bootstrap.py`` wires them (journey's own and
the directory replica's feed, behind the replica's guard), on the in-memory unit of work. The
tables run over every event type those handlers take, so a handler added later is covered
without a new test.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from journey.adapters.memory import tables_of
from rapport_events.catalogue import example_event
from rapport_events.consumer import RejectEvent
from rapport_events.contracts.identity import MemberRegistered, StaffJoined, StoreOpened
from rapport_events.contracts.notifier import TemplateSaved
from rapport_events.contracts.service_orders import VisitCompleted
from rapport_events.directory import KnownMember
from rapport_events.envelope import DomainEvent, EventEnvelope

from tests.unit.journey.fake_service import FakeJourney

T0 = datetime(2026, 3, 1, 10, tzinfo=UTC)
BRAND_A, BRAND_B = "brd_a", "brd_b"
MEMBER = "mbr_1"
REFUSAL = f"member '{MEMBER}' belongs to another brand than the event's brand_id '{BRAND_B}'"
ORGANISATION_FACTS = {StoreOpened, StaffJoined, TemplateSaved}
"""The replicas' feeds of stores, staff and templates: no member in them, so no member's
brand to check (the consumer checks their brand against the envelope's)."""


class Consumer(FakeJourney):
    """Journey's consumer on an in-memory database: each event in a unit of work of its own."""

    def __init__(self) -> None:
        super().__init__(T0)
        self.handlers_by_kind = self.consumed

    def state(self) -> tuple[Any, int, list[EventEnvelope]]:
        return copy.deepcopy(self.database.tables), self.database.commits, self.database.published()

    async def refuses(self, event: DomainEvent) -> str:
        """Why ``event`` is refused; it must leave every table as it was and emit nothing."""
        before = self.state()
        with pytest.raises(RejectEvent) as refusal:
            await self.take(event)
        assert self.state() == before
        return str(refusal.value)

    def member_stage(self) -> str | None:
        return self.stage(MEMBER)


def about(kind: type[DomainEvent], brand_id: str, **changes: Any) -> DomainEvent:
    """The catalogue's example of ``kind``, about ``MEMBER`` in ``brand_id``."""
    changes.update(member_id=MEMBER, brand_id=brand_id)
    return example_event(kind).model_copy(update=changes)


HANDLED = sorted(Consumer().consumed, key=lambda kind: kind.event_type)
ABOUT_A_MEMBER = [kind for kind in HANDLED if "member_id" in kind.model_fields]


def test_every_event_consumed_names_a_member_but_the_organisation_facts() -> None:
    assert ABOUT_A_MEMBER
    assert set(HANDLED) - set(ABOUT_A_MEMBER) <= ORGANISATION_FACTS


async def test_brand_bs_visit_leaves_brand_as_new_member_new() -> None:
    consumer = Consumer()
    await consumer.take(about(MemberRegistered, BRAND_A))
    await consumer.take(about(VisitCompleted, BRAND_A, visit_id="vis_1"))

    # A second visit would make her potential; one that brand B reports must not.
    assert await consumer.refuses(about(VisitCompleted, BRAND_B, visit_id="vis_2")) == REFUSAL
    assert consumer.member_stage() == "new"


async def test_a_visit_for_a_member_not_known_yet_starts_her_journey() -> None:
    consumer = Consumer()

    await consumer.take(about(VisitCompleted, BRAND_B))

    journey = tables_of(consumer.database).journeys[MEMBER]
    assert (journey.brand_id, journey.stage, journey.visit_count) == (BRAND_B, "new", 1)


@pytest.mark.parametrize("kind", ABOUT_A_MEMBER, ids=lambda kind: kind.event_type)
async def test_any_event_for_a_member_not_known_yet_is_applied(kind: type[DomainEvent]) -> None:
    consumer = Consumer()

    await consumer.take(about(kind, BRAND_B))

    assert consumer.database.commits == 1


@pytest.mark.parametrize("kind", ABOUT_A_MEMBER, ids=lambda kind: kind.event_type)
async def test_any_event_of_another_brand_than_the_replicas_is_refused(
    kind: type[DomainEvent],
) -> None:
    consumer = Consumer()
    # Identity's word reached the replica; journey has not seen her yet.
    known = KnownMember(member_id=MEMBER, brand_id=BRAND_A, store_id="sto_1")
    tables_of(consumer.database).directory.members[MEMBER] = known

    assert await consumer.refuses(about(kind, BRAND_B)) == REFUSAL


@pytest.mark.parametrize("kind", ABOUT_A_MEMBER, ids=lambda kind: kind.event_type)
async def test_any_event_of_another_brand_than_her_journeys_is_refused(
    kind: type[DomainEvent],
) -> None:
    consumer = Consumer()
    # Her journey is brand A's; her registration has not reached the replica.
    await consumer.take(about(VisitCompleted, BRAND_A))
    assert tables_of(consumer.database).directory.members == {}

    assert await consumer.refuses(about(kind, BRAND_B)) == REFUSAL
