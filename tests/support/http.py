"""A service's HTTP API in the test process, on fakes: the app, a client, bearer tokens.

app = api_app([router(handlers, queries)], ERRORS)
async with api_client(app) as client:
    response = await client.get("/v1/members", headers=bearer(Role.HQ))
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI
from rapport_events.clock import ManualClock
from rapport_platform.app import create_app
from rapport_platform.auth import STORE_ROLES, Principal, Role, mint_token
from rapport_platform.errors import ErrorTable

SECRET = "a-test-secret-that-is-long-enough-for-hs256"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
BRAND = "brd_1"
STORE = "sto_1"


def api_app(routers: Sequence[APIRouter], errors: ErrorTable, *, now: datetime = NOW) -> FastAPI:
    """The service's routes behind the platform's app, with tokens checked at ``now``."""
    app = create_app(
        title="under test",
        description="",
        version="test",
        routers=routers,
        readiness_checks={},
        errors=errors,
    )
    app.state.auth_secret = SECRET
    app.state.auth_clock = ManualClock(now)
    return app


@asynccontextmanager
async def api_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


def principal(
    role: Role = Role.HQ,
    *,
    brand_id: str | None = BRAND,
    store_id: str | None = None,
    subject: str = "stf_1",
) -> Principal:
    """A caller; store staff get ``STORE`` unless another store is named."""
    if role in STORE_ROLES and store_id is None:
        store_id = STORE
    if role is Role.PLATFORM_ADMIN:
        brand_id = None
    return Principal(subject=subject, role=role, brand_id=brand_id, store_id=store_id)


def bearer(caller: Principal | Role = Role.HQ, *, now: datetime = NOW) -> dict[str, str]:
    """The Authorization header of ``caller`` (a principal, or a role in the default brand)."""
    who = caller if isinstance(caller, Principal) else principal(caller)
    return {"Authorization": f"Bearer {mint_token(SECRET, who, now=now)}"}


def ok(response: httpx.Response, status: int = 200) -> Any:
    """The JSON body of ``response``, which must have ``status``."""
    assert response.status_code == status, response.text
    return response.json()


def refused(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """The error detail of ``response``, which must be a refusal with ``status``."""
    assert response.status_code == status, response.text
    detail: dict[str, Any] = response.json()["error"]
    if code is not None:
        assert detail["code"] == code, detail
    return detail
