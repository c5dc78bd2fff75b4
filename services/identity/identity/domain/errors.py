"""Why the identity rules refuse a command.

Each refusal is one of the platform's error kinds, so the HTTP layer answers with the right
status (422 for bad values, 404, 409) and a message naming the field at fault.
"""

from __future__ import annotations

from rapport_platform.errors import Conflict, Forbidden, NotFound, Rejected, Unauthenticated


class InvalidValue(Rejected):
    """A value that breaks a rule; ``field`` names the input at fault."""

    def __init__(self, field: str, message: str, *, code: str = "invalid_value") -> None:
        super().__init__(f"{field}: {message}", code=code, fields={field: message})
        self.field = field


class InvalidPhone(InvalidValue):
    def __init__(self, message: str) -> None:
        super().__init__("phone", message, code="invalid_phone")


class InvalidBirthday(InvalidValue):
    def __init__(self, message: str) -> None:
        super().__init__("birthday", message, code="invalid_birthday")


class InvalidInviteCode(InvalidValue):
    def __init__(self, message: str) -> None:
        super().__init__("invite_code", message, code="invalid_invite_code")


class UnknownReference(InvalidValue):
    """The body names something (a store, an invite code) that does not exist in the brand."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(field, message, code="unknown_reference")


class MemberNotFound(NotFound):
    def __init__(self, member_id: str) -> None:
        super().__init__(f"member {member_id} does not exist", code="member_not_found")
        self.member_id = member_id


class DuplicatePhone(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "a member with this phone is already registered in this brand",
            code="phone_taken",
            fields={"phone": "already registered in this brand"},
        )


class DuplicateUsername(Conflict):
    def __init__(self, username: str) -> None:
        super().__init__(
            f"username {username!r} is already taken in this brand",
            code="username_taken",
            fields={"username": "already taken in this brand"},
        )


class DuplicateBrandCode(Conflict):
    def __init__(self, code: str) -> None:
        super().__init__(
            f"a brand with code {code!r} already exists",
            code="brand_code_taken",
            fields={"code": "already taken"},
        )


class AlreadyBound(Conflict):
    def __init__(self, member_id: str, associate_id: str) -> None:
        super().__init__(
            f"member {member_id} is already bound to associate {associate_id}; "
            "moving her to another associate needs a hand-over",
            code="already_bound",
        )


class NotPermitted(Forbidden):
    pass


class InvalidCredentials(Unauthenticated):
    # One message for an unknown user and a wrong password: callers must not learn which.
    def __init__(self) -> None:
        super().__init__("unknown user or wrong password", code="invalid_credentials")
