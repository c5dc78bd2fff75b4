"""What journey keeps of each consumed contract: its kind, its event time, its fields."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from journey.application.member_events import KIND_OF_EVENT_TYPE, OCCURRED_AT, member_event
from journey.domain.maps.model import EVENT_KINDS
from rapport_events.contracts.identity import MemberRegistered
from rapport_events.contracts.loyalty import PointsEarned
from rapport_events.contracts.service_orders import VisitCompleted
from rapport_events.envelope import EventEnvelope
from rapport_events.registry import registry

HAPPENED = datetime(2026, 3, 1, 10, tzinfo=UTC)
ARRIVED = HAPPENED + timedelta(days=40)


def test_a_visit_is_kept_at_the_time_it_happened_not_when_it_arrived() -> None:
    visit = VisitCompleted(
        visit_id="vis_1",
        member_id="mbr_1",
        brand_id="brd_1",
        store_id="sto_1",
        service_code="gel-manicure",
        amount=Decimal("268.00"),
        completed_at=HAPPENED,
    )
    envelope = EventEnvelope.wrap(visit, source="/rapport/pos", brand_id="brd_1", time=ARRIVED)

    kept = member_event(visit, envelope)

    assert kept is not None
    assert (kept.event_id, kept.member_id, kept.brand_id) == (envelope.id, "mbr_1", "brd_1")
    assert (kept.kind, kept.at) == ("visit.completed", HAPPENED)
    assert kept.data["amount"] == "268.00" and kept.data["service_code"] == "gel-manicure"
    assert "member_id" not in kept.data and "brand_id" not in kept.data


def test_a_registration_keeps_her_birthday_as_a_date() -> None:
    registered = MemberRegistered(
        member_id="mbr_1",
        brand_id="brd_1",
        store_id="sto_1",
        surname="梁",
        gender="female",
        birthday=datetime(1992, 5, 17).date(),
        registered_at=HAPPENED,
    )
    envelope = EventEnvelope.wrap(
        registered, source="/rapport/identity", brand_id="brd_1", time=HAPPENED
    )

    kept = member_event(registered, envelope)

    assert kept is not None and kept.kind == "member.registered"
    assert kept.data["birthday"] == "1992-05-17" and kept.at == HAPPENED


def test_events_that_are_not_about_a_journey_are_not_kept() -> None:
    earned = PointsEarned(
        member_id="mbr_1",
        brand_id="brd_1",
        points=10,
        balance=10,
        reason="visit",
        source_id="vis_1",
        earned_at=HAPPENED,
    )
    envelope = EventEnvelope.wrap(
        earned, source="/rapport/loyalty", brand_id="brd_1", time=HAPPENED
    )

    assert member_event(earned, envelope) is None


def test_every_kind_a_map_may_name_has_its_event_time_field_in_its_contract() -> None:
    assert set(OCCURRED_AT) == set(EVENT_KINDS)
    for event_type, kind in KIND_OF_EVENT_TYPE.items():
        if registry.knows(event_type):
            assert OCCURRED_AT[kind] in registry.model_for(event_type).model_fields, kind
