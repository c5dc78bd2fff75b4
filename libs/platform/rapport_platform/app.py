"""The HTTP application every service shares: probes, error bodies, request context, audit.

:func:`create_app` gives each service the same outer behaviour, so clients meet one error
shape, one pair of request/correlation headers and one access log format everywhere.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from contextlib import AbstractAsyncContextManager
from typing import Any, Literal

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rapport_platform import api_answers
from rapport_platform.audit import AuditEntry, AuditTrail
from rapport_platform.auth import Principal
from rapport_platform.context import correlation_id_var
from rapport_platform.docs import add_offline_docs
from rapport_platform.errors import ErrorTable, FieldProblem, HttpError, error_body
from rapport_platform.input_guard import InputGuardMiddleware
from rapport_platform.refusals import Refusal

log = logging.getLogger(__name__)
access_log = logging.getLogger("rapport.access")

ReadinessCheck = Callable[[], Awaitable[None]]
Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]

READINESS_TIMEOUT = 2.0
REQUEST_ID_HEADER = "X-Request-Id"
CORRELATION_ID_HEADER = "X-Correlation-Id"
PROBE_PATHS = frozenset({"/healthz", "/readyz"})
BEARER_SCHEME = "bearerAuth"
OPERATIONS_TAG = {"name": "operations", "description": "Liveness and readiness probes."}
_ACCEPTABLE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

_STATUS_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "rejected",
    429: "too_many_requests",
    503: "unavailable",
}


def create_app(
    *,
    title: str,
    description: str,
    version: str,
    routers: Iterable[APIRouter],
    readiness_checks: Mapping[str, ReadinessCheck],
    lifespan: Lifespan | None = None,
    audit: AuditTrail | None = None,
    openapi_tags: list[dict[str, Any]] | None = None,
    errors: ErrorTable | None = None,
) -> FastAPI:
    app = FastAPI(
        title=title,
        description=description,
        version=version,
        lifespan=lifespan,
        openapi_tags=[*(openapi_tags or []), OPERATIONS_TAG],
        docs_url=None,
        redoc_url=None,
    )
    add_offline_docs(app)
    app.add_api_route(
        "/healthz", _healthz, methods=["GET"], tags=["operations"], summary="Liveness"
    )
    app.add_api_route(
        "/readyz",
        _readiness(dict(readiness_checks)),
        methods=["GET"],
        tags=["operations"],
        summary="Readiness: every dependency answers",
        responses={
            200: {"model": Readiness, "description": "Every dependency answers."},
            503: {"model": Readiness, "description": "A dependency does not answer."},
        },
    )
    for router in routers:
        app.include_router(router)
    app.add_exception_handler(RequestValidationError, _validation_failed)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(HttpError, _http_refusal)  # type: ignore[arg-type]
    app.add_exception_handler(Refusal, _refusal_handler(errors or ErrorTable({})))
    # Added first, so it runs inside the request context (ids, access log, audit).
    app.add_middleware(InputGuardMiddleware)
    app.add_middleware(RequestContextMiddleware, audit=audit)
    _add_bearer_scheme(app)
    return app


class Readiness(BaseModel):
    status: Literal["ready", "not ready"]
    checks: dict[str, str] = Field(description="`ok`, or why the dependency does not answer.")


async def _healthz() -> dict[str, str]:
    return {"status": "alive"}


def _readiness(checks: dict[str, ReadinessCheck]) -> Callable[[], Awaitable[JSONResponse]]:
    async def readyz() -> JSONResponse:
        names = list(checks)
        outcomes = await asyncio.gather(*(_run_check(checks[name]) for name in names))
        results = dict(zip(names, outcomes, strict=True))
        ready = all(outcome == "ok" for outcome in outcomes)
        return JSONResponse(
            {"status": "ready" if ready else "not ready", "checks": results},
            status_code=200 if ready else 503,
        )

    return readyz


async def _run_check(check: ReadinessCheck) -> str:
    try:
        await asyncio.wait_for(check(), timeout=READINESS_TIMEOUT)
    except TimeoutError:
        return f"no answer within {READINESS_TIMEOUT:g}s"
    except Exception as error:
        return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    return "ok"


def _field_name(location: Iterable[Any]) -> str:
    return ".".join(str(part) for part in location)


async def _validation_failed(request: Request, error: RequestValidationError) -> JSONResponse:
    unparsable = _unparsable_body(error)
    if unparsable is not None:
        return unparsable
    problems = [
        FieldProblem(field=_field_name(detail.get("loc", ())), message=str(detail.get("msg")))
        for detail in error.errors()
    ]
    summary = "; ".join(f"{problem.field}: {problem.message}" for problem in problems)
    return JSONResponse(
        error_body("validation_failed", f"the request is invalid: {summary}", problems),
        status_code=422,
    )


def _unparsable_body(error: RequestValidationError) -> JSONResponse | None:
    """A 400 for a body that is not JSON at all: no field of it can be named.

    FastAPI reports it as a validation error located at the offending character
    (``body.17``), which reads like a field; it is the body's syntax that is wrong.
    """
    for detail in error.errors():
        if detail.get("type") == "json_invalid":
            why = (detail.get("ctx") or {}).get("error") or detail.get("msg")
            problem = FieldProblem(field="body", message=f"is not valid JSON: {why}")
            return JSONResponse(
                error_body("malformed_json", f"the body is not valid JSON: {why}", [problem]),
                status_code=400,
            )
    return None


async def _http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
    code = _STATUS_CODES.get(
        error.status_code, "server_error" if error.status_code >= 500 else "bad_request"
    )
    message = error.detail if isinstance(error.detail, str) else str(error.detail)
    return JSONResponse(
        error_body(code, message), status_code=error.status_code, headers=error.headers
    )


FIELD_LOCATIONS = ("body.", "query.", "path.", "header.")


def _locate(field: str, request: Request) -> str:
    """Where an input the rules name (``cursor``) was in the request (``query.cursor``).

    Names that already carry a location are kept; otherwise the route's own parameters
    decide (path, then query, then header); anything else is a field of the body.
    """
    if field.startswith(FIELD_LOCATIONS):
        return field
    dependant = getattr(request.scope.get("route"), "dependant", None)
    for location, parameters in (
        ("path", getattr(dependant, "path_params", [])),
        ("query", getattr(dependant, "query_params", [])),
        ("header", getattr(dependant, "header_params", [])),
    ):
        for parameter in parameters:
            if field in (parameter.name, parameter.alias):
                return f"{location}.{parameter.alias or parameter.name}"
    # A name the route does not declare but the query string carries is still a query input.
    return f"query.{field}" if field in request.query_params else f"body.{field}"


def _located(problems: Iterable[FieldProblem], request: Request) -> list[FieldProblem]:
    return [
        problem.model_copy(update={"field": _locate(problem.field, request)})
        for problem in problems
    ]


async def _http_refusal(request: Request, error: HttpError) -> JSONResponse:
    return JSONResponse(
        error_body(error.code, error.message, _located(error.fields, request)),
        status_code=error.http_status,
        headers=error.headers or None,
    )


def _refusal_handler(
    errors: ErrorTable,
) -> Callable[[Request, Exception], Awaitable[JSONResponse]]:
    async def refused(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, Refusal)
        answer = errors.answer(error)
        problems = [FieldProblem(field=name, message=text) for name, text in error.fields.items()]
        return JSONResponse(
            error_body(answer.code, error.message, _located(problems, request)),
            status_code=answer.status,
            headers=dict(answer.headers) or None,
        )

    return refused


def _add_bearer_scheme(app: FastAPI) -> None:
    """Declare the bearer scheme even before any route uses it, for /docs' Authorize button."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
            )
            schemes = schema.setdefault("components", {}).setdefault("securitySchemes", {})
            schemes.setdefault(
                BEARER_SCHEME,
                {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
            )
            app.openapi_schema = api_answers.document(schema)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _acceptable_id(value: str | None) -> str | None:
    return value if value is not None and _ACCEPTABLE_ID.match(value) else None


class RequestContextMiddleware:
    """Request and correlation ids, the access log line, the audit entry, the last-resort 500.

    Incoming ``X-Request-Id``/``X-Correlation-Id`` are kept when well-formed so a caller's
    ids run through; otherwise new ones are made. Both are echoed on the response.
    """

    def __init__(self, app: ASGIApp, audit: AuditTrail | None = None) -> None:
        self.app = app
        self.audit = audit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        request_id = _acceptable_id(headers.get(REQUEST_ID_HEADER)) or uuid.uuid4().hex
        correlation_id = _acceptable_id(headers.get(CORRELATION_ID_HEADER)) or request_id
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        state["correlation_id"] = correlation_id
        token = correlation_id_var.set(correlation_id)
        response_status = 500
        response_started = False

        async def send_with_ids(message: Message) -> None:
            nonlocal response_status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                response_status = message["status"]
                response_headers = MutableHeaders(scope=message)
                response_headers[REQUEST_ID_HEADER] = request_id
                response_headers[CORRELATION_ID_HEADER] = correlation_id
            await send(message)

        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_with_ids)
        except Exception:
            log.exception(
                "unhandled error serving %s %s (error id %s)",
                scope["method"],
                scope["path"],
                request_id,
            )
            if response_started:
                raise
            body = error_body(
                "internal_error",
                f"an unexpected error occurred; quote error id {request_id} when reporting it",
            )
            await JSONResponse(body, status_code=500)(scope, receive, send_with_ids)
        finally:
            duration_ms = (time.perf_counter() - started) * 1000
            try:
                self._after(scope, request_id, correlation_id, response_status, duration_ms)
            finally:
                correlation_id_var.reset(token)

    def _after(
        self,
        scope: Scope,
        request_id: str,
        correlation_id: str,
        status: int,
        duration_ms: float,
    ) -> None:
        principal = scope.get("state", {}).get("principal")
        if not isinstance(principal, Principal):
            principal = None
        path: str = scope["path"]
        route = _route_template(scope)
        access_log.log(
            logging.DEBUG if path in PROBE_PATHS else logging.INFO,
            "%s %s %d %.1fms",
            scope["method"],
            path,
            status,
            duration_ms,
            extra={
                "method": scope["method"],
                "path": path,
                "route": route,
                "status": status,
                "duration_ms": round(duration_ms, 2),
                "request_id": request_id,
                "subject": principal.subject if principal else None,
                "role": principal.role.value if principal else None,
                "brand": principal.brand_id if principal else None,
            },
        )
        if self.audit is None or path in PROBE_PATHS:
            return
        client = scope.get("client")
        self.audit.record(
            AuditEntry(
                at=self.audit.clock.now(),
                request_id=request_id,
                correlation_id=correlation_id,
                method=scope["method"],
                path=path,
                route=route,
                status=status,
                subject=principal.subject if principal else None,
                role=principal.role.value if principal else None,
                brand_id=principal.brand_id if principal else None,
                resource_ids={
                    str(name): str(value)
                    for name, value in (scope.get("path_params") or {}).items()
                },
                client_ip=client[0] if client else None,
            )
        )


def _route_template(scope: Scope) -> str | None:
    route = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    return template if isinstance(template, str) else None
