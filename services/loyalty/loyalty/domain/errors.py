"""Why the loyalty rules refuse a command or a read.

They are refusals (:class:`~rapport_platform.refusals.Refusal`): the HTTP answer each one gets is
decided in ``entrypoints/errors.py``, and the consumer dead-letters the events they refuse.
"""

from __future__ import annotations

from rapport_platform.refusals import InvalidInput, OutOfScope, Refusal


class LoyaltyError(Refusal):
    """A command the loyalty rules do not accept; the message says which field and why."""


class InvalidAmount(InvalidInput, LoyaltyError):
    def __init__(self, message: str) -> None:
        super().__init__("amount", message)


class MissingSource(InvalidInput, LoyaltyError):
    def __init__(self) -> None:
        super().__init__("source_id", "must not be empty")


class AccountMismatch(LoyaltyError):
    """A command names a member or brand other than the account's own."""


class MemberOfAnotherBrand(AccountMismatch):
    """An earning for a member whose account belongs to another brand.

    Only events earn points, so this reaches the consumer alone, which dead-letters it. The
    message says so in the words of the directory replica's own refusal and names only the
    event's brand, never the account's.
    """

    def __init__(self, member_id: str, brand_id: str) -> None:
        super().__init__(
            f"member {member_id!r} belongs to another brand than the event's brand_id {brand_id!r}"
        )


class NoPointsAccount(OutOfScope, LoyaltyError):
    """No account the caller can see: none yet, or one of another brand (answered alike)."""

    def __init__(self, member_id: str) -> None:
        super().__init__("points account of member", member_id)
        # Says more than "does not exist": the account opens with the member's first earning.
        self.message = (
            f"member {member_id!r} has no points account yet: "
            "it is opened by the member's first paid visit or purchase"
        )
        self.args = (self.message,)
        self.member_id = member_id
