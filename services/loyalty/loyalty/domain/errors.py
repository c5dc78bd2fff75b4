"""Why the loyalty domain refuses a command."""

from __future__ import annotations


class LoyaltyError(Exception):
    """A command the loyalty rules do not accept; the message says which field and why."""


class InvalidAmount(LoyaltyError):
    pass


class AccountMismatch(LoyaltyError):
    """A command names a member or brand other than the account's own."""


class NoPointsAccount(LoyaltyError):
    def __init__(self, member_id: str) -> None:
        super().__init__(
            f"member {member_id!r} has no points account yet: "
            "it is opened by the member's first paid visit or purchase"
        )
        self.member_id = member_id
