from decimal import Decimal

import pytest
from service_orders.domain.errors import InvalidField
from service_orders.domain.money import yuan


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("268", "268.00"),
        ("268.5", "268.50"),
        ("268.10", "268.10"),
        ("268.100", "268.10"),
        ("0.01", "0.01"),
        ("1000000", "1000000.00"),
        ("1E+2", "100.00"),
    ],
)
def test_amounts_are_scaled_to_fen(given: str, expected: str) -> None:
    amount = yuan(Decimal(given))

    assert amount == Decimal(expected)
    assert str(amount) == expected


def test_a_free_visit_costs_nothing_but_a_purchase_must_cost_something() -> None:
    assert yuan(Decimal("0"), allow_zero=True) == Decimal("0.00")

    with pytest.raises(InvalidField, match="amount must be greater than 0, got 0") as refused:
        yuan(Decimal("0"), allow_zero=False)
    assert refused.value.field == "amount"


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("-0.01", "amount must be 0 or more, got -0.01"),
        ("1000000.01", "amount must be at most 1000000.00 yuan, got 1000000.01"),
        ("12.345", "amount must have at most 2 decimal places (fen), got 12.345"),
        ("0.001", "amount must have at most 2 decimal places (fen), got 0.001"),
        ("NaN", "amount must be a finite decimal number of yuan"),
        ("Infinity", "amount must be a finite decimal number of yuan"),
    ],
)
def test_unacceptable_amounts_are_refused_with_the_reason(given: str, message: str) -> None:
    with pytest.raises(InvalidField) as refused:
        yuan(Decimal(given))

    assert refused.value.field == "amount"
    assert refused.value.message == message


def test_the_refusal_names_the_field_it_was_given() -> None:
    with pytest.raises(InvalidField) as refused:
        yuan(Decimal("-1"), field="price")

    assert refused.value.field == "price"
    assert refused.value.message.startswith("price must be 0 or more")
