"""Errors that cross the HTTP boundary, and the one body shape every error response has.

Every error answer looks like::

    {"error": {"code": "not_found", "message": "member m-1 does not exist",
               "fields": [{"field": "body.phone", "message": "..."}]}}

``fields`` is present only when particular inputs are at fault.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from pydantic import BaseModel


class FieldProblem(BaseModel):
    field: str
    message: str


class ErrorDetail(BaseModel):
    code: str
    message: str
    fields: list[FieldProblem] | None = None


class ErrorResponse(BaseModel):
    """The body of every error response (for OpenAPI ``responses=``)."""

    error: ErrorDetail


def error_body(
    code: str, message: str, fields: Iterable[FieldProblem] | None = None
) -> dict[str, Any]:
    detail: dict[str, Any] = {"code": code, "message": message}
    problems = list(fields or [])
    if problems:
        detail["fields"] = [problem.model_dump() for problem in problems]
    return {"error": detail}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI documentation of error statuses a route may answer with."""
    return {status: {"model": ErrorResponse} for status in statuses}


class DomainError(Exception):
    """A refusal the caller can act on; the HTTP layer maps it to ``http_status``.

    ``code`` is a stable machine-readable word; a subclass or an instance may narrow it
    (``Conflict("phone already registered", code="phone_taken")``).
    """

    http_status: ClassVar[int] = 400
    default_code: ClassVar[str] = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        fields: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.fields = [
            FieldProblem(field=name, message=problem) for name, problem in (fields or {}).items()
        ]

    @property
    def headers(self) -> dict[str, str]:
        return {}


class NotFound(DomainError):
    http_status = 404
    default_code = "not_found"


class Conflict(DomainError):
    http_status = 409
    default_code = "conflict"


class Rejected(DomainError):
    http_status = 422
    default_code = "rejected"


class Forbidden(DomainError):
    http_status = 403
    default_code = "forbidden"


class Unauthenticated(DomainError):
    http_status = 401
    default_code = "unauthenticated"

    @property
    def headers(self) -> dict[str, str]:
        # RFC 6750: a 401 tells the client which scheme to use.
        return {"WWW-Authenticate": "Bearer"}
