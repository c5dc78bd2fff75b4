"""What each identity refusal answers over HTTP."""

from __future__ import annotations

from rapport_platform.errors import Answer, ErrorTable

from identity.domain.errors import (
    AlreadyBound,
    BrandNotFound,
    DuplicateBrandCode,
    DuplicatePhone,
    DuplicateUsername,
    IngestionUnavailable,
    InvalidBirthday,
    InvalidCredentials,
    InvalidInviteCode,
    InvalidPhone,
    MemberNotFound,
    NotPermitted,
    UnknownReference,
)

ERRORS = ErrorTable(
    {
        InvalidPhone: Answer(422, "invalid_phone"),
        InvalidBirthday: Answer(422, "invalid_birthday"),
        InvalidInviteCode: Answer(422, "invalid_invite_code"),
        UnknownReference: Answer(422, "unknown_reference"),
        BrandNotFound: Answer(404, "brand_not_found"),
        MemberNotFound: Answer(404, "member_not_found"),
        DuplicatePhone: Answer(409, "phone_taken"),
        DuplicateUsername: Answer(409, "username_taken"),
        DuplicateBrandCode: Answer(409, "brand_code_taken"),
        AlreadyBound: Answer(409, "already_bound"),
        IngestionUnavailable: Answer(409, "ingestion_unavailable"),
        NotPermitted: Answer(403, "forbidden"),
        # RFC 6750: a 401 tells the client which scheme to use.
        InvalidCredentials: Answer(
            401, "invalid_credentials", headers=(("WWW-Authenticate", "Bearer"),)
        ),
    }
)
