"""Why the identity rules refuse a command.

Refusals carry a message and the input at fault, never an HTTP status: the answer each one
gets is decided in one table, :data:`identity.entrypoints.errors.ERRORS`.
"""

from __future__ import annotations

from rapport_platform.refusals import InvalidInput, OutOfScope, Refusal


class InvalidPhone(InvalidInput):
    def __init__(self, message: str) -> None:
        super().__init__("phone", message)


class InvalidBirthday(InvalidInput):
    def __init__(self, message: str) -> None:
        super().__init__("birthday", message)


class InvalidInviteCode(InvalidInput):
    def __init__(self, message: str) -> None:
        super().__init__("invite_code", message)


class UnknownReference(InvalidInput):
    """The body names something (a store, an invite code) that does not exist in the brand."""


class BrandNotFound(OutOfScope):
    def __init__(self, brand_id: str) -> None:
        super().__init__("brand", brand_id)


class MemberNotFound(OutOfScope):
    def __init__(self, member_id: str) -> None:
        super().__init__("member", member_id)
        self.member_id = member_id


class DuplicatePhone(Refusal):
    def __init__(self) -> None:
        super().__init__(
            "a member with this phone is already registered in this brand",
            fields={"phone": "already registered in this brand"},
        )


class DuplicateUsername(Refusal):
    def __init__(self, username: str) -> None:
        super().__init__(
            f"username {username!r} is already taken in this brand",
            fields={"username": "already taken in this brand"},
        )


class DuplicateBrandCode(Refusal):
    def __init__(self, code: str) -> None:
        super().__init__(
            f"a brand with code {code!r} already exists", fields={"code": "already taken"}
        )


class AlreadyBound(Refusal):
    def __init__(self, member_id: str, associate_id: str) -> None:
        super().__init__(
            f"member {member_id} is already bound to associate {associate_id}; "
            "moving her to another associate needs a hand-over"
        )


class NotPermitted(Refusal):
    """The caller's role may not do this at all (not a matter of scope)."""


class InvalidCredentials(Refusal):
    # One message for an unknown user and a wrong password: callers must not learn which.
    def __init__(self) -> None:
        super().__init__("unknown user or wrong password")


class IngestionUnavailable(Refusal):
    """The platform's Kafka takes unauthenticated clients, so it has no users to give out."""

    def __init__(self) -> None:
        super().__init__(
            "this platform's Kafka does not authenticate clients (PLAINTEXT), so it cannot give "
            "an integration credentials of its own; run it with SASL/SCRAM "
            "(RAPPORT_KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT) and ask again"
        )
