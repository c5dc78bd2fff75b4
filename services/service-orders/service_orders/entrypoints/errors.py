"""What each service-orders refusal answers over HTTP.

Anything out of the caller's scope (another brand's or store's appointment or purchase, or
another store named by store staff) is an ``OutOfScope`` and answers 404 through the
platform's entry.
"""

from __future__ import annotations

from rapport_platform.errors import Answer, ErrorTable

from service_orders.application.errors import IdempotencyKeyReused
from service_orders.domain.errors import InvalidField, TransitionRefused

ERRORS = ErrorTable(
    {
        InvalidField: Answer(422, "invalid_field"),
        TransitionRefused: Answer(409, "invalid_transition"),
        IdempotencyKeyReused: Answer(422, "idempotency_key_reused"),
    }
)
