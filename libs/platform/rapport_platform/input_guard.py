"""Refuse text no service can store, before any route sees it.

PostgreSQL refuses U+0000 in ``text`` and any store refuses half a surrogate pair; a
request carrying either used to travel to the database and come back as a 500. This
middleware looks at every part of every request, the path, the query string, the headers
and a JSON body, and answers 422 naming the input at fault (``path``, ``query.brand_id``,
``header.x-request-id``, ``body.members[2].name``). It also bounds what a caller may send:
a body over :data:`MAX_BODY_BYTES` is a 413, a single text over :data:`MAX_TEXT_LENGTH`
characters a 422 (routes declare tighter limits of their own).

Being middleware, it covers every route of every service without any handler having to
remember it.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, unquote_to_bytes

from rapport_events.text import texts, unstorable
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rapport_platform.errors import FieldProblem, error_body

MAX_BODY_BYTES = 1_000_000
MAX_TEXT_LENGTH = 10_000
MAX_QUERY_BYTES = 8_192


class UnstorableText(ValueError):
    def __init__(self, field: str, why: str) -> None:
        super().__init__(f"{field}: {why}")
        self.field = field
        self.why = why


def problem_with(text: str) -> str | None:
    """Why ``text`` cannot be stored, or None when it can."""
    why = unstorable(text)
    if why is None and len(text) > MAX_TEXT_LENGTH:
        return f"must be at most {MAX_TEXT_LENGTH} characters"
    return why


def _check(field: str, text: str) -> None:
    why = problem_with(text)
    if why is not None:
        raise UnstorableText(field, why)


def check_json(body: bytes) -> None:
    """Refuse unstorable text anywhere in a JSON body; bodies that are not JSON are left to
    the route (which answers its own 400 or 422)."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return
    for field, text in texts(document, "body"):
        _check(field, text)


def check_query(query_string: bytes) -> None:
    if len(query_string) > MAX_QUERY_BYTES:
        raise UnstorableText("query", f"must be at most {MAX_QUERY_BYTES} bytes")
    try:
        pairs = parse_qsl(query_string.decode("ascii"), keep_blank_values=True, errors="strict")
    except UnicodeDecodeError as error:
        raise UnstorableText("query", "is not valid UTF-8") from error
    for name, value in pairs:
        _check(f"query.{name}", name)
        _check(f"query.{name}", value)


def check_path(scope: Scope) -> None:
    raw: bytes | None = scope.get("raw_path")
    if raw is not None:
        try:
            unquote_to_bytes(raw.split(b"?", 1)[0]).decode("utf-8")
        except UnicodeDecodeError as error:
            raise UnstorableText("path", "is not valid UTF-8") from error
    _check("path", scope["path"])


def check_headers(scope: Scope) -> None:
    for name, value in scope.get("headers", []):
        text = value.decode("latin-1")
        if "\x00" in text:
            raise UnstorableText(f"header.{name.decode('latin-1')}", "must not contain NUL")


def _refusal(problem: UnstorableText, status: int = 422) -> JSONResponse:
    code = "payload_too_large" if status == 413 else "invalid_text"
    return JSONResponse(
        error_body(
            code,
            f"the request is invalid: {problem.field}: {problem.why}",
            [FieldProblem(field=problem.field, message=problem.why)],
        ),
        status_code=status,
    )


class InputGuardMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            check_path(scope)
            check_query(scope.get("query_string", b""))
            check_headers(scope)
        except UnstorableText as problem:
            await _refusal(problem)(scope, receive, send)
            return
        body, complete = await _read_body(receive)
        if not complete:
            too_large = UnstorableText("body", f"must be at most {MAX_BODY_BYTES} bytes")
            await _refusal(too_large, 413)(scope, receive, send)
            return
        try:
            if body and _is_json(scope):
                check_json(body)
        except UnstorableText as problem:
            await _refusal(problem)(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)


def _is_json(scope: Scope) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            return b"json" in value.lower()
    # FastAPI reads a body without a content type as JSON too.
    return True


async def _read_body(receive: Receive) -> tuple[bytes, bool]:
    """The whole body, and False when it is over the limit (then it is not all read)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), True
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return b"", False
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), True


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body read already, then whatever the client sends next (its disconnect)."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed
