from decimal import Decimal

import pytest
from loyalty.domain.errors import InvalidAmount
from loyalty.domain.points import points_for


@pytest.mark.parametrize(
    ("amount", "points"),
    [
        ("1.00", 1),
        ("268.00", 268),
        ("268.99", 268),
        ("499.50", 499),
        ("1999.999", 1999),
        ("580", 580),
    ],
)
def test_one_point_per_whole_yuan_rounded_down(amount: str, points: int) -> None:
    assert points_for(Decimal(amount)) == points


@pytest.mark.parametrize("amount", ["0", "0.00", "0.01", "0.99"])
def test_an_amount_under_one_yuan_earns_nothing(amount: str) -> None:
    assert points_for(Decimal(amount)) == 0


def test_big_amounts_stay_exact() -> None:
    assert points_for(Decimal("98765432109876.99")) == 98_765_432_109_876
    assert points_for(Decimal("1E+20")) == 10**20


@pytest.mark.parametrize("amount", ["-0.01", "-5"])
def test_a_negative_amount_is_refused(amount: str) -> None:
    with pytest.raises(InvalidAmount, match="negative"):
        points_for(Decimal(amount))


@pytest.mark.parametrize("amount", ["NaN", "Infinity", "-Infinity"])
def test_a_non_finite_amount_is_refused(amount: str) -> None:
    with pytest.raises(InvalidAmount, match="finite"):
        points_for(Decimal(amount))
