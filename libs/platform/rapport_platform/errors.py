r"""Errors that cross the HTTP boundary, and the one body shape every error response has.

Domain and application code raise :class:`~rapport_platform.refusals.Refusal`\ s; each
service maps them to answers with one :class:`ErrorTable`. :class:`HttpError` is for the
few refusals that only exist over HTTP (no or a bad token, a role not allowed).

Every error answer looks like::

    {"error": {"code": "not_found", "message": "member m-1 does not exist",
               "fields": [{"field": "body.phone", "message": "..."}]}}

``fields`` is present only when particular inputs are at fault.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import BaseModel

from rapport_platform.refusals import InvalidCursor, InvalidInput, OutOfScope, Refusal


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


class HttpError(Exception):
    """A refusal decided by the HTTP layer itself (authentication, roles)."""

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


class Rejected(HttpError):
    http_status = 422
    default_code = "rejected"


class Forbidden(HttpError):
    http_status = 403
    default_code = "forbidden"


class Unauthenticated(HttpError):
    http_status = 401
    default_code = "unauthenticated"

    @property
    def headers(self) -> dict[str, str]:
        # RFC 6750: a 401 tells the client which scheme to use.
        return {"WWW-Authenticate": "Bearer"}


@dataclass(frozen=True)
class Answer:
    """The HTTP answer to one kind of refusal."""

    status: int
    code: str
    headers: tuple[tuple[str, str], ...] = ()


class ErrorTable:
    """What each refusal of a service answers over HTTP.

    Looked up along the refusal's class hierarchy, so an entry for a base class covers its
    subclasses unless they have one of their own. Every service's table starts from
    :data:`PLATFORM_ANSWERS`: anything out of the caller's scope is a 404, everywhere.
    """

    def __init__(self, answers: Mapping[type[Refusal], Answer]) -> None:
        self._answers: dict[type[Refusal], Answer] = {**PLATFORM_ANSWERS, **answers}

    def answer(self, refusal: Refusal) -> Answer:
        for kind in type(refusal).__mro__:
            found = self._answers.get(kind)
            if found is not None:
                return found
        return FALLBACK_ANSWER

    def covers(self, kind: type[Refusal]) -> bool:
        """Whether ``kind`` has an answer of its own or through a base other than Refusal."""
        return any(base in self._answers for base in kind.__mro__ if base is not Refusal)

    @property
    def statuses(self) -> frozenset[int]:
        return frozenset(answer.status for answer in self._answers.values())


FALLBACK_ANSWER = Answer(422, "rejected")
PLATFORM_ANSWERS: dict[type[Refusal], Answer] = {
    OutOfScope: Answer(404, "not_found"),
    InvalidCursor: Answer(422, "invalid_cursor"),
    InvalidInput: Answer(422, "invalid_value"),
}
