from datetime import UTC, datetime
from decimal import Decimal

import pytest
from loyalty.bootstrap import LoyaltySettings
from loyalty.entrypoints.consumers import (
    apply_earning,
    earn_for_purchase,
    earn_for_visit,
    on_purchase_recorded,
    on_visit_completed,
    subscriptions,
)
from rapport_events.consumer import RejectEvent
from rapport_events.contracts.service_orders import PurchaseRecorded, VisitCompleted
from rapport_events.envelope import EventEnvelope
from rapport_events.store import InMemoryEventStore
from rapport_events.topics import SERVICE_ORDERS
from rapport_platform.service import Runtime

from tests.unit.loyalty.fakes import FakeUnitOfWork, InMemoryPointsBalances

AT = datetime(2026, 3, 1, 10, 30, tzinfo=UTC)

PURCHASE = PurchaseRecorded(
    purchase_id="pur_1",
    member_id="mbr_1",
    brand_id="brd_1",
    store_id="sto_1",
    amount=Decimal("580.90"),
    purchased_at=AT,
)
VISIT = VisitCompleted(
    visit_id="vis_1",
    appointment_id="apt_1",
    member_id="mbr_1",
    brand_id="brd_1",
    store_id="sto_1",
    service_code="gel-manicure",
    amount=Decimal("268.00"),
    completed_at=AT,
)


def envelope_of(event: PurchaseRecorded | VisitCompleted, brand_id: str = "brd_1") -> EventEnvelope:
    return EventEnvelope.wrap(event, source="/rapport/service-orders", brand_id=brand_id, time=AT)


def test_a_purchase_earns_for_its_purchase_id() -> None:
    command = earn_for_purchase(PURCHASE)
    assert (command.member_id, command.brand_id, command.amount) == (
        "mbr_1",
        "brd_1",
        Decimal("580.90"),
    )
    assert (command.reason, command.source_id, command.at) == ("purchase", "pur_1", AT)


def test_a_visit_earns_for_its_visit_id_and_amount() -> None:
    command = earn_for_visit(VISIT)
    assert (command.reason, command.source_id, command.amount, command.at) == (
        "visit",
        "vis_1",
        Decimal("268.00"),
        AT,
    )


async def test_purchase_and_visit_both_land_on_the_account() -> None:
    uow, balances = FakeUnitOfWork(InMemoryEventStore()), InMemoryPointsBalances()

    purchase_envelope, visit_envelope = envelope_of(PURCHASE), envelope_of(VISIT)

    await apply_earning(earn_for_purchase(PURCHASE), purchase_envelope, uow, balances)
    await apply_earning(earn_for_visit(VISIT), visit_envelope, uow, balances)

    assert balances.rows["mbr_1"].balance == 580 + 268
    assert [env.causationid for env in uow.emitted] == [purchase_envelope.id, visit_envelope.id]


async def test_a_free_visit_earns_nothing() -> None:
    uow, balances = FakeUnitOfWork(InMemoryEventStore()), InMemoryPointsBalances()
    free = VISIT.model_copy(update={"amount": Decimal("0.00")})

    await apply_earning(earn_for_visit(free), envelope_of(free), uow, balances)

    assert uow.emitted == []
    assert balances.rows == {}


async def test_an_event_the_rules_refuse_is_dead_lettered() -> None:
    uow, balances = FakeUnitOfWork(InMemoryEventStore()), InMemoryPointsBalances()
    await apply_earning(earn_for_purchase(PURCHASE), envelope_of(PURCHASE), uow, balances)
    other_brand = PURCHASE.model_copy(update={"purchase_id": "pur_2", "brand_id": "brd_2"})

    with pytest.raises(RejectEvent, match="brand_id 'brd_2'"):
        await apply_earning(
            earn_for_purchase(other_brand), envelope_of(other_brand, "brd_2"), uow, balances
        )


def test_subscribes_to_service_orders() -> None:
    (subscription,) = subscriptions(Runtime(LoyaltySettings()))

    assert subscription.topic == SERVICE_ORDERS
    assert dict(subscription.handlers) == {
        PurchaseRecorded: on_purchase_recorded,
        VisitCompleted: on_visit_completed,
    }
