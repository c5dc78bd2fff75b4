"""Refusals decided by the application layer rather than by the domain rules."""

from __future__ import annotations

from rapport_platform.refusals import OutOfScope, Refusal

from service_orders.domain.errors import InvalidField

IDEMPOTENCY_KEY_FIELD = "idempotency_key"
"""The input an idempotency refusal names; the HTTP layer locates it in its header."""


class OutsideStore(OutOfScope):
    """A store-bound caller (a store manager or an associate) named another store, which
    does not exist for her."""

    def __init__(self, store_id: str) -> None:
        super().__init__("store", store_id)
        self.store_id = store_id


class UnknownReference(InvalidField):
    """A body field names a member, store or member of staff the caller cannot use: unknown
    to the directory replica, another brand's, or (for store staff) another store.

    One refusal and one message for all of these, so that a caller cannot probe which ids
    exist elsewhere. The message also names the one honest reason an existing reference is
    refused: identity announced it a moment ago and the replica has not heard of it yet.
    """

    def __init__(self, field: str, reference: str, unknown: str, newcomer: str) -> None:
        super().__init__(
            field, f"{unknown}; {newcomer} a moment ago may take a second to appear, retry"
        )
        self.reference = reference


class UnknownMember(UnknownReference):
    def __init__(self, field: str, member_id: str) -> None:
        super().__init__(
            field,
            member_id,
            f"no member {member_id} is known in your brand",
            "a member registered",
        )


class UnknownStore(UnknownReference):
    """Also what store staff are told of another store of their brand: it is not theirs."""

    def __init__(self, field: str, store_id: str) -> None:
        super().__init__(
            field, store_id, f"no store {store_id} you may act for is known", "a store opened"
        )


class UnknownStaff(UnknownReference):
    def __init__(self, field: str, staff_id: str) -> None:
        super().__init__(
            field,
            staff_id,
            f"no member of staff {staff_id} is known in your brand",
            "someone who joined",
        )


class IdAlreadyUsed(InvalidField):
    """An id an outside system chose already names a different record: another one of its
    brand, or any record of another brand (one refusal for both, so that ids elsewhere
    cannot be probed). The same record sent again is no refusal: it changes nothing."""

    def __init__(self, field: str, reference: str) -> None:
        super().__init__(
            field,
            f"{field} {reference} already names a different record; a resend must repeat "
            "the original exactly, a new record needs a new id",
        )
        self.reference = reference


class IdempotencyKeyReused(Refusal):
    def __init__(self) -> None:
        message = "Idempotency-Key reused with a different request"
        super().__init__(message, fields={IDEMPOTENCY_KEY_FIELD: message})
