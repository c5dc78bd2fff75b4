"""Refusals decided by the application layer rather than by the domain rules."""

from __future__ import annotations

from rapport_platform.refusals import OutOfScope, Refusal

IDEMPOTENCY_KEY_FIELD = "idempotency_key"
"""The input an idempotency refusal names; the HTTP layer locates it in its header."""


class OutsideStore(OutOfScope):
    """A store-bound caller (a store manager or an associate) named another store, which
    does not exist for her."""

    def __init__(self, store_id: str) -> None:
        super().__init__("store", store_id)
        self.store_id = store_id


class IdempotencyKeyReused(Refusal):
    def __init__(self) -> None:
        message = "Idempotency-Key reused with a different request"
        super().__init__(message, fields={IDEMPOTENCY_KEY_FIELD: message})
