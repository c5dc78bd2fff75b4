"""Amounts of money: yuan as :class:`~decimal.Decimal` with two places (fen)."""

from __future__ import annotations

from decimal import Decimal

from service_orders.domain.errors import InvalidField

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("1000000.00")


def yuan(value: Decimal, *, field: str = "amount", allow_zero: bool = True) -> Decimal:
    """``value`` checked and scaled to two places; :class:`InvalidField` names ``field``.

    A free visit (a redone service, a voucher) may cost nothing; a purchase may not.
    """
    if not isinstance(value, Decimal) or not value.is_finite():
        raise InvalidField(field, f"{field} must be a finite decimal number of yuan")
    if value < 0 or (value == 0 and not allow_zero):
        bound = "0 or more" if allow_zero else "greater than 0"
        raise InvalidField(field, f"{field} must be {bound}, got {value}")
    if value > MAX_AMOUNT:
        raise InvalidField(field, f"{field} must be at most {MAX_AMOUNT} yuan, got {value}")
    scaled = value.quantize(CENT)
    if scaled != value:
        raise InvalidField(field, f"{field} must have at most 2 decimal places (fen), got {value}")
    return scaled
