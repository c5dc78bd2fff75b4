"""What each refusal of the loyalty service answers over HTTP."""

from __future__ import annotations

from rapport_platform.errors import Answer, ErrorTable

from loyalty.domain.errors import (
    AccountMismatch,
    InvalidAmount,
    LoyaltyError,
    MissingSource,
    NoPointsAccount,
)

ERRORS = ErrorTable(
    {
        # Also the answer for another brand's member: it must look exactly like none.
        NoPointsAccount: Answer(404, "no_points_account"),
        AccountMismatch: Answer(409, "account_mismatch"),
        InvalidAmount: Answer(422, "invalid_value"),
        MissingSource: Answer(422, "invalid_value"),
        LoyaltyError: Answer(422, "rejected"),
    }
)
