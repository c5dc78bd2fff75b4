"""What each refusal of the notifier answers over HTTP."""

from __future__ import annotations

from rapport_platform.errors import Answer, ErrorTable

from notifier.domain.errors import (
    DeliveryRefused,
    InvalidContactPolicy,
    InvalidTemplate,
    NotifierError,
    NotPermitted,
)

ERRORS = ErrorTable(
    {
        InvalidTemplate: Answer(422, "invalid_value"),
        InvalidContactPolicy: Answer(422, "invalid_value"),
        NotPermitted: Answer(403, "forbidden"),
        # Decided while consuming a touchpoint and recorded as its failure; no route raises it.
        DeliveryRefused: Answer(422, "delivery_refused"),
        NotifierError: Answer(422, "rejected"),
    }
)
