"""What each service-orders refusal answers over HTTP.

Anything out of the caller's scope that a path or a filter names (another brand's or store's
appointment or purchase, another store in a listing of store staff) is an ``OutOfScope`` and
answers 404 through the platform's entry. A member, store or member of staff named in a body
that is unknown, another brand's or another store's answers 422 ``unknown_reference``, one
answer for all of them.
"""

from __future__ import annotations

from rapport_platform.errors import Answer, ErrorTable

from service_orders.application.errors import IdempotencyKeyReused, UnknownReference
from service_orders.domain.errors import AlreadyReviewed, InvalidField, TransitionRefused

ERRORS = ErrorTable(
    {
        InvalidField: Answer(422, "invalid_field"),
        TransitionRefused: Answer(409, "invalid_transition"),
        AlreadyReviewed: Answer(409, "already_reviewed"),
        IdempotencyKeyReused: Answer(422, "idempotency_key_reused"),
        UnknownReference: Answer(422, "unknown_reference"),
    }
)
