from datetime import UTC, datetime
from decimal import Decimal

import pytest
from rapport_events.contracts.service_orders import PurchaseRecorded
from rapport_events.envelope import EventEnvelope
from rapport_events.registry import registry
from service_orders.domain.errors import InvalidField
from service_orders.domain.purchase import Purchase

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def record(amount: str = "580", description: str | None = "hand-care set") -> Purchase:
    purchase, _ = Purchase.record(
        purchase_id="pur_1",
        brand_id="brand-1",
        store_id="store-1",
        member_id="mem-1",
        amount=Decimal(amount),
        description=description,
        recorded_by="staff-1",
        now=NOW,
    )
    return purchase


def test_recording_announces_the_purchase() -> None:
    purchase, event = Purchase.record(
        purchase_id="pur_1",
        brand_id="brand-1",
        store_id="store-1",
        member_id="mem-1",
        amount=Decimal("580.5"),
        description="  5-session nail package ",
        recorded_by="staff-1",
        now=NOW,
    )

    assert str(purchase.amount) == "580.50"
    assert purchase.description == "5-session nail package"
    assert event == PurchaseRecorded(
        purchase_id="pur_1",
        member_id="mem-1",
        brand_id="brand-1",
        store_id="store-1",
        amount=Decimal("580.50"),
        description="5-session nail package",
        purchased_at=NOW,
    )


def test_a_purchase_without_description_has_an_empty_one() -> None:
    assert record(description=None).description == ""


@pytest.mark.parametrize("amount", ["0", "-5"])
def test_a_purchase_must_cost_something(amount: str) -> None:
    with pytest.raises(InvalidField, match="amount must be greater than 0") as refused:
        record(amount=amount)

    assert refused.value.field == "amount"


def test_a_purchase_amount_has_at_most_two_decimals_and_a_ceiling() -> None:
    with pytest.raises(InvalidField, match="at most 2 decimal places"):
        record(amount="1.005")
    with pytest.raises(InvalidField, match=r"at most 1000000\.00 yuan"):
        record(amount="1000000.01")


def test_the_description_is_at_most_200_characters() -> None:
    assert len(record(description="x" * 200).description) == 200

    with pytest.raises(InvalidField) as refused:
        record(description="x" * 201)

    assert refused.value.field == "description"
    assert refused.value.message == "description must be at most 200 characters, got 201"


def test_a_purchase_recorded_before_items_existed_reads_with_none() -> None:
    v1 = EventEnvelope(
        id="evt-1",
        source="/pos",
        type="rapport.service-orders.purchase.recorded",
        subject="mem-1",
        time=datetime(2026, 3, 1, tzinfo=UTC),
        dataversion=1,
        brandid="brand-1",
        correlationid="evt-1",
        data={
            "purchase_id": "pur_1",
            "member_id": "mem-1",
            "brand_id": "brand-1",
            "store_id": "store-1",
            "amount": "580.00",
            "purchased_at": "2026-03-01T00:00:00Z",
        },
    )

    event = registry.decode(v1)

    assert isinstance(event, PurchaseRecorded)
    assert event.items == []
