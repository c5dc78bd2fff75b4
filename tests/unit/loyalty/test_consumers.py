from decimal import Decimal

import pytest
from loyalty.adapters.memory import in_memory_database
from loyalty.application.commands import earn_for_purchase, earn_for_visit
from loyalty.entrypoints.consumers import subscriptions
from rapport_events.consumer import RejectEvent
from rapport_events.contracts.identity import MemberBoundToAssociate, MemberRegistered
from rapport_events.contracts.loyalty import PointsEarned
from rapport_events.contracts.service_orders import PurchaseRecorded, VisitCompleted
from rapport_events.topics import IDENTITY_MEMBERS, SERVICE_ORDERS
from rapport_events.uow import InMemoryDatabase

from tests.unit.loyalty.builders import AT, consume, envelope_of, handlers_on

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


@pytest.fixture
def database() -> InMemoryDatabase:
    return in_memory_database()


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


async def test_purchase_and_visit_both_land_on_the_account(database: InMemoryDatabase) -> None:
    purchase_envelope, visit_envelope = envelope_of(PURCHASE), envelope_of(VISIT)

    await consume(database, PURCHASE, purchase_envelope)
    await consume(database, VISIT, visit_envelope)

    assert database.tables.balances["mbr_1"].balance == 580 + 268
    assert [env.causationid for env in database.published(PointsEarned)] == [
        purchase_envelope.id,
        visit_envelope.id,
    ]


async def test_a_free_visit_earns_nothing(database: InMemoryDatabase) -> None:
    free = VISIT.model_copy(update={"amount": Decimal("0.00")})

    await consume(database, free, envelope_of(free))

    assert database.published() == []
    assert database.tables.balances == {}


async def test_an_event_the_rules_refuse_is_dead_lettered(database: InMemoryDatabase) -> None:
    await consume(database, PURCHASE, envelope_of(PURCHASE))
    other_brand = PURCHASE.model_copy(update={"purchase_id": "pur_2", "brand_id": "brd_2"})

    with pytest.raises(RejectEvent, match=r"belongs to another brand .* brand_id 'brd_2'"):
        await consume(database, other_brand, envelope_of(other_brand, "brd_2"))

    assert len(database.published(PointsEarned)) == 1


async def test_an_invalid_amount_is_dead_lettered(database: InMemoryDatabase) -> None:
    negative = PURCHASE.model_copy(update={"amount": Decimal("-5")})

    with pytest.raises(RejectEvent, match="negative"):
        await consume(database, negative, envelope_of(negative))


def test_subscribes_to_service_orders_and_to_identitys_members(
    database: InMemoryDatabase,
) -> None:
    handled = {each.topic: set(each.handlers) for each in subscriptions(handlers_on(database))}

    assert handled == {
        SERVICE_ORDERS: {PurchaseRecorded, VisitCompleted},
        IDENTITY_MEMBERS: {MemberRegistered, MemberBoundToAssociate},
    }
