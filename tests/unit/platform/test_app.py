import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI
from pydantic import BaseModel
from rapport_events.clock import ManualClock
from rapport_platform import app as app_module
from rapport_platform.app import create_app
from rapport_platform.audit import AuditEntry, AuditTrail
from rapport_platform.auth import CurrentPrincipal, Principal, Role, mint_token, require_roles
from rapport_platform.context import correlation_id_var
from rapport_platform.errors import Answer, ErrorTable
from rapport_platform.refusals import InvalidInput, OutOfScope, Refusal

SECRET = "unit-test-secret-that-is-long-enough-0123"
HQ = Principal(subject="alice", role=Role.HQ, brand_id="b-1")
ASSOCIATE = Principal(subject="bo", role=Role.ASSOCIATE, brand_id="b-1", store_id="s-1")


class PhoneTaken(Refusal):
    pass


ERRORS = ErrorTable({PhoneTaken: Answer(409, "phone_taken")})


class NewMember(BaseModel):
    phone: str
    name: str


def tiny_router() -> APIRouter:
    router = APIRouter(prefix="/v1")

    @router.post("/members")
    async def register(member: NewMember) -> dict[str, str]:
        return {"phone": member.phone}

    @router.get("/members/{member_id}")
    async def show(member_id: str, principal: CurrentPrincipal) -> dict[str, str | None]:
        if member_id == "taken":
            raise PhoneTaken("phone 138****5678 is already registered")
        if member_id == "elsewhere":
            raise OutOfScope("member", member_id)
        return {"member_id": member_id, "by": principal.subject, "corr": correlation_id_var.get()}

    @router.delete("/members/{member_id}")
    async def remove(
        member_id: str, principal: Annotated[Principal, Depends(require_roles(Role.HQ))]
    ) -> dict[str, str]:
        return {"removed": member_id}

    @router.get("/members")
    async def listing(limit: int = 50, cursor: str | None = None) -> list[str]:
        raise InvalidInput("limit" if limit > 10 else "cursor", "is not acceptable")

    @router.put("/members/{member_id}/phone")
    async def change_phone(member_id: str, member: NewMember) -> None:
        raise InvalidInput("phone" if member_id == "body" else "member_id", "is not acceptable")

    @router.get("/boom")
    async def boom() -> None:
        raise RuntimeError("password=hunter2 leaked from a driver")

    return router


async def ok() -> None:
    return None


def build(
    checks: Mapping[str, Callable[[], Awaitable[None]]] | None = None,
    audit: AuditTrail | None = None,
) -> FastAPI:
    app = create_app(
        title="test",
        description="a tiny service",
        version="0.0.1",
        routers=[tiny_router()],
        readiness_checks=checks if checks is not None else {"postgres": ok},
        audit=audit,
        errors=ERRORS,
    )
    app.state.auth_secret = SECRET
    return app


def client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc")


def bearer(principal: Principal) -> dict[str, str]:
    token = mint_token(SECRET, principal, now=datetime.now(UTC))
    return {"Authorization": f"Bearer {token}"}


async def test_healthz_says_alive() -> None:
    async with client(build()) as http:
        response = await http.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "alive"}


async def test_readyz_reports_every_check() -> None:
    async with client(build({"postgres": ok, "redis": ok})) as http:
        response = await http.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"postgres": "ok", "redis": "ok"}}


async def test_readyz_names_the_failing_check() -> None:
    async def kafka() -> None:
        raise ConnectionRefusedError("broker 127.0.0.1:59092 refused the connection")

    async with client(build({"postgres": ok, "kafka": kafka})) as http:
        response = await http.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready"
    assert body["checks"]["postgres"] == "ok"
    assert "broker 127.0.0.1:59092 refused" in body["checks"]["kafka"]


async def test_readyz_gives_up_on_a_check_that_hangs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app_module, "READINESS_TIMEOUT", 0.05)

    async def redis() -> None:
        await asyncio.Event().wait()

    async with client(build({"redis": redis})) as http:
        response = await http.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"] == "no answer within 0.05s"


async def test_a_validation_error_names_each_field() -> None:
    async with client(build()) as http:
        response = await http.post("/v1/members", json={"name": "Li"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_failed"
    assert "body.phone" in error["message"]
    assert [problem["field"] for problem in error["fields"]] == ["body.phone"]
    assert error["fields"][0]["message"]


@pytest.mark.parametrize("body", [b"{not json", b'{"phone": "1"', b"\xff\xfe"])
async def test_a_body_that_is_not_json_is_a_400_not_a_field_error(body: bytes) -> None:
    async with client(build()) as http:
        response = await http.post(
            "/v1/members", content=body, headers={"Content-Type": "application/json"}
        )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "malformed_json"
    assert [problem["field"] for problem in error["fields"]] == ["body"]
    assert "not valid JSON" in error["message"]


async def test_json_of_the_wrong_shape_is_still_a_422_naming_the_body() -> None:
    async with client(build()) as http:
        response = await http.post("/v1/members", json=["13812345678"])
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "body"


async def test_anything_out_of_scope_is_not_found() -> None:
    async with client(build()) as http:
        response = await http.get("/v1/members/elsewhere", headers=bearer(HQ))
    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "not_found", "message": "member elsewhere does not exist"}
    }


@pytest.mark.parametrize(
    ("request_line", "field"),
    [
        ("/v1/members?limit=20", "query.limit"),
        ("/v1/members?limit=5&cursor=abc", "query.cursor"),
    ],
)
async def test_a_refused_query_parameter_is_named_with_its_location(
    request_line: str, field: str
) -> None:
    async with client(build()) as http:
        response = await http.get(request_line)
    assert response.status_code == 422
    assert [problem["field"] for problem in response.json()["error"]["fields"]] == [field]


@pytest.mark.parametrize(
    ("member_id", "field"), [("body", "body.phone"), ("m-1", "path.member_id")]
)
async def test_a_refused_path_parameter_or_body_field_is_named_with_its_location(
    member_id: str, field: str
) -> None:
    async with client(build()) as http:
        response = await http.put(
            f"/v1/members/{member_id}/phone", json={"phone": "1", "name": "x"}
        )
    assert response.status_code == 422
    assert [problem["field"] for problem in response.json()["error"]["fields"]] == [field]


async def test_the_api_documentation_is_served_without_a_cdn() -> None:
    async with client(build()) as http:
        page = await http.get("/docs")
        assets = [
            await http.get(f"/docs/assets/{name}")
            for name in ("swagger-ui-bundle.js", "swagger-ui.css")
        ]
        redoc = await http.get("/redoc")
    assert page.status_code == 200
    assert "/docs/assets/swagger-ui-bundle.js" in page.text
    assert "cdn" not in page.text.lower() and "unpkg" not in page.text.lower()
    assert all(asset.status_code == 200 and len(asset.content) > 1000 for asset in assets)
    assert redoc.status_code == 200 and "/docs/assets/redoc.standalone.js" in redoc.text
    assert "fonts.googleapis" not in redoc.text


async def test_a_domain_error_gets_its_status_and_code() -> None:
    async with client(build()) as http:
        response = await http.get("/v1/members/taken", headers=bearer(HQ))
    assert response.status_code == 409
    assert response.json() == {
        "error": {"code": "phone_taken", "message": "phone 138****5678 is already registered"}
    }


async def test_an_unknown_route_answers_in_the_uniform_shape() -> None:
    async with client(build()) as http:
        response = await http.get("/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


async def test_a_missing_token_is_a_401_telling_how_to_get_one() -> None:
    async with client(build()) as http:
        response = await http.get("/v1/members/m-1")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    error = response.json()["error"]
    assert error["code"] == "unauthenticated"
    assert "rapport_platform.auth mint" in error["message"]


async def test_an_invalid_token_is_a_401_with_the_reason() -> None:
    async with client(build()) as http:
        response = await http.get("/v1/members/m-1", headers={"Authorization": "Bearer x.y.z"})
    assert response.status_code == 401
    assert "malformed" in response.json()["error"]["message"]


async def test_a_valid_token_reaches_the_endpoint() -> None:
    async with client(build()) as http:
        response = await http.get("/v1/members/m-1", headers=bearer(HQ))
    assert response.status_code == 200
    assert response.json()["by"] == "alice"


async def test_a_role_outside_the_allowed_ones_is_a_403_naming_them() -> None:
    async with client(build()) as http:
        refused = await http.delete("/v1/members/m-1", headers=bearer(ASSOCIATE))
        allowed = await http.delete("/v1/members/m-1", headers=bearer(HQ))
    assert refused.status_code == 403
    assert "allowed to roles hq" in refused.json()["error"]["message"]
    assert allowed.status_code == 200


async def test_an_unexpected_error_is_a_500_with_an_error_id_and_no_internals(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with client(build()) as http:
        response = await http.get("/v1/boom", headers={"X-Request-Id": "req-42"})
    assert response.status_code == 500
    error = response.json()["error"]
    assert error["code"] == "internal_error"
    assert "req-42" in error["message"]
    assert "hunter2" not in response.text
    assert response.headers["X-Request-Id"] == "req-42"
    logged = [record for record in caplog.records if record.exc_info]
    assert logged and "req-42" in logged[0].getMessage()


async def test_request_and_correlation_ids_are_propagated() -> None:
    async with client(build()) as http:
        given = await http.get(
            "/v1/members/m-1",
            headers={**bearer(HQ), "X-Request-Id": "r-1", "X-Correlation-Id": "flow-7"},
        )
        made = await http.get("/v1/members/m-1", headers=bearer(HQ))
        unsafe = await http.get(
            "/v1/members/m-1", headers={**bearer(HQ), "X-Correlation-Id": "bad id<script>"}
        )
    assert given.headers["X-Request-Id"] == "r-1"
    assert given.headers["X-Correlation-Id"] == "flow-7"
    assert given.json()["corr"] == "flow-7"
    assert made.headers["X-Request-Id"]
    assert made.headers["X-Correlation-Id"] == made.headers["X-Request-Id"]
    assert made.json()["corr"] == made.headers["X-Correlation-Id"]
    assert unsafe.headers["X-Correlation-Id"] == unsafe.headers["X-Request-Id"]
    assert correlation_id_var.get() is None


async def test_each_request_is_logged_once_with_its_principal(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="rapport.access")
    async with client(build()) as http:
        await http.get("/v1/members/m-1", headers=bearer(HQ))
    lines = [record for record in caplog.records if record.name == "rapport.access"]
    assert len(lines) == 1
    line: Any = lines[0]
    assert (line.method, line.path, line.status) == ("GET", "/v1/members/m-1", 200)
    assert (line.subject, line.role, line.brand) == ("alice", "hq", "b-1")
    assert line.route == "/v1/members/{member_id}"
    assert line.duration_ms >= 0


async def test_openapi_offers_the_bearer_scheme() -> None:
    async with client(build()) as http:
        schema = (await http.get("/openapi.json")).json()
    scheme = schema["components"]["securitySchemes"]["bearerAuth"]
    assert scheme["type"] == "http" and scheme["scheme"] == "bearer"


class FakeConnection:
    def __init__(self, rows: list[tuple[object, ...]], fail: bool) -> None:
        self.rows = rows
        self.fail = fail

    async def executemany(self, query: str, rows: list[tuple[object, ...]]) -> None:
        if self.fail:
            raise ConnectionError("database is down")
        assert "INSERT INTO audit_log" in query
        self.rows.extend(rows)


class FakePool:
    def __init__(self, fail: bool = False) -> None:
        self.rows: list[tuple[object, ...]] = []
        self.fail = fail

    @asynccontextmanager
    async def acquire(self) -> AsyncIterator[FakeConnection]:
        yield FakeConnection(self.rows, self.fail)


AUDIT_COLUMNS = [
    "at", "request_id", "correlation_id", "subject", "role", "brand_id", "method", "route",
    "path", "status", "resource_ids", "client_ip",
]  # fmt: skip


async def test_requests_are_audited_with_route_template_and_resource_ids() -> None:
    pool = FakePool()
    clock = ManualClock(datetime(2026, 3, 1, 9, 0, tzinfo=UTC))
    audit = AuditTrail(lambda: pool, clock=clock)  # type: ignore[arg-type, return-value]
    await audit.start()
    try:
        async with client(build(audit=audit)) as http:
            await http.get("/v1/members/m-9", headers={**bearer(HQ), "X-Request-Id": "r-9"})
            await http.get("/v1/members/m-9")
            await http.get("/healthz")
        await audit.flush()
    finally:
        await audit.close()
    rows = [dict(zip(AUDIT_COLUMNS, row, strict=True)) for row in pool.rows]
    assert len(rows) == 2
    first, anonymous = rows
    assert first["at"] == clock.now()
    assert first["request_id"] == "r-9"
    assert (first["subject"], first["role"], first["brand_id"]) == ("alice", "hq", "b-1")
    assert (first["method"], first["route"], first["path"]) == (
        "GET",
        "/v1/members/{member_id}",
        "/v1/members/m-9",
    )
    assert first["status"] == 200
    assert json.loads(str(first["resource_ids"])) == {"member_id": "m-9"}
    assert anonymous["status"] == 401
    assert anonymous["subject"] is None


async def test_an_unreachable_audit_database_does_not_fail_requests(
    caplog: pytest.LogCaptureFixture,
) -> None:
    pool = FakePool(fail=True)
    audit = AuditTrail(lambda: pool)  # type: ignore[arg-type, return-value]
    await audit.start()
    try:
        async with client(build(audit=audit)) as http:
            response = await http.get("/v1/members/m-1", headers=bearer(HQ))
        await audit.flush()
    finally:
        await audit.close()
    assert response.status_code == 200
    assert any("could not write 1 audit entries" in r.getMessage() for r in caplog.records)


async def test_closing_the_audit_trail_writes_what_is_queued() -> None:
    pool = FakePool()
    audit = AuditTrail(lambda: pool)  # type: ignore[arg-type, return-value]
    for number in range(3):
        audit.record(
            AuditEntry(
                at=datetime(2026, 1, 1, tzinfo=UTC),
                request_id=f"r-{number}",
                correlation_id=None,
                method="GET",
                path="/x",
                status=200,
            )
        )
    await audit.start()
    await audit.close()
    assert [row[1] for row in pool.rows] == ["r-0", "r-1", "r-2"]
