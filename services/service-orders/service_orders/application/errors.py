"""Refusals decided by the application layer rather than by the domain rules."""

from __future__ import annotations

from service_orders.domain.errors import ServiceOrdersError


class OutsideStore(ServiceOrdersError):
    """A store-bound caller (a store manager or an associate) reached for another store."""


class IdempotencyKeyReused(ServiceOrdersError):
    def __init__(self) -> None:
        super().__init__("Idempotency-Key reused with a different request")
