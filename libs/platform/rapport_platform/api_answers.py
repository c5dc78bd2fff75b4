"""What every operation may answer because of the platform, written into each API document.

Some answers come from code every service shares rather than from a route: the input guard
refuses unstorable text (422) and oversized bodies (413), FastAPI's body parsing refuses a
body that is not JSON (400, see ``rapport_platform.app``), and the bearer check refuses a
missing or invalid token (401). A route cannot list them reliably, so :func:`document` adds
them to every operation they can happen on, and makes every error answer of the document
name the one error body (:class:`~rapport_platform.errors.ErrorResponse`) instead of
FastAPI's own validation schema, which no service answers with.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rapport_platform.errors import ErrorResponse
from rapport_platform.input_guard import MAX_BODY_BYTES, MAX_QUERY_BYTES, MAX_TEXT_LENGTH

ERROR_SCHEMA = "ErrorResponse"
ERROR_REF = f"#/components/schemas/{ERROR_SCHEMA}"
FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")
METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options", "trace"})

MALFORMED_BODY = "The body is not valid JSON (`malformed_json`)."
TOO_LARGE = f"The body is over {MAX_BODY_BYTES} bytes (`payload_too_large`)."
INVALID_INPUT = (
    "An input is invalid; `error.fields` names each one with its location (`body.phone`, "
    "`query.limit`, `path.member_id`, `header.x-request-id`). Besides each field's own rules, "
    "no text may contain U+0000 or unpaired surrogates, nor be longer than "
    f"{MAX_TEXT_LENGTH} characters, and a query string is at most {MAX_QUERY_BYTES} bytes "
    "(`invalid_text`)."
)
UNAUTHENTICATED = "No bearer token, or one that is invalid or expired (`unauthenticated`)."


def document(openapi: dict[str, Any]) -> dict[str, Any]:
    """``openapi`` with the platform's answers on every operation (changed in place)."""
    for operation in _operations(openapi):
        _add_platform_answers(operation)
        for status, response in operation["responses"].items():
            if str(status).startswith("4"):
                _name_the_error_body(response)
    schemas = openapi.setdefault("components", {}).setdefault("schemas", {})
    for name in FASTAPI_VALIDATION_SCHEMAS:
        schemas.pop(name, None)
    _add_error_schemas(schemas)
    return openapi


def _name_the_error_body(response: dict[str, Any]) -> None:
    """The one error body as the answer's schema; a route's own examples are kept."""
    media = response.get("content", {}).get("application/json", {})
    kept = {key: value for key, value in media.items() if key in ("example", "examples")}
    response["content"] = {"application/json": {"schema": {"$ref": ERROR_REF}, **kept}}


def _operations(openapi: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for path_item in openapi.get("paths", {}).values():
        for method, operation in path_item.items():
            if method in METHODS:
                yield operation


def _add_platform_answers(operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    # Path, query and headers of any request are checked, so any operation may answer 422.
    answers = {"422": INVALID_INPUT}
    if "requestBody" in operation:
        answers |= {"400": MALFORMED_BODY, "413": TOO_LARGE}
    if operation.get("security"):
        answers["401"] = UNAUTHENTICATED
    for status, description in answers.items():
        response = responses.setdefault(status, {})
        # FastAPI's "Validation Error" says nothing of ours; a route's own words are kept.
        if response.get("description") in (None, "", "Validation Error"):
            response["description"] = description
    operation["responses"] = dict(sorted(responses.items(), key=lambda item: str(item[0])))


def _add_error_schemas(schemas: dict[str, Any]) -> None:
    """The error body's schemas, for documents where no route named them itself."""
    generated = ErrorResponse.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, schema in generated.pop("$defs", {}).items():
        schemas.setdefault(name, schema)
    schemas.setdefault(ERROR_SCHEMA, generated)
