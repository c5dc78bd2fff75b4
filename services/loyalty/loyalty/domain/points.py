"""How many points a payment earns."""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

from loyalty.domain.errors import InvalidAmount

POINTS_PER_YUAN = 1


def points_for(amount: Decimal) -> int:
    """Points earned by paying ``amount`` yuan: one per whole yuan, fractions dropped.

    Rounding down means a member never holds points for money she did not pay; an amount
    under one yuan therefore earns nothing.
    """
    if not amount.is_finite():
        raise InvalidAmount(f"amount must be a finite number of yuan, got {amount}")
    if amount < 0:
        raise InvalidAmount(f"amount cannot be negative, got {amount} yuan")
    whole_yuan = int(amount.to_integral_value(rounding=ROUND_FLOOR))
    return whole_yuan * POINTS_PER_YUAN
