"""Steps the end-to-end stories share: a brand with a store and an associate, a member bound
to her, and requests retried until the services have heard of what they refer to."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from tests.e2e.conftest import RunningPlatform
from tests.support.polling import eventually

ASSOCIATE_USERNAME = "wangli"
ASSOCIATE_PASSWORD = "associate-password-1"


@dataclass(frozen=True)
class Brand:
    code: str
    hq_token: str
    store_id: str
    associate_id: str
    invite_code: str


def new_trace() -> tuple[str, str]:
    """A W3C traceparent the test sends on every request, and its trace id."""
    trace_id = secrets.token_hex(16)
    return f"00-{trace_id}-{secrets.token_hex(8)}-01", trace_id


async def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, f"{response.request.url}: {response.text}"
    return response.json()


async def set_up_brand(platform: RunningPlatform, admin_token: str, trace: str) -> Brand:
    """A new brand with its HQ login, one store in Shanghai and one associate there."""
    code = "lumiere" + uuid.uuid4().hex[:6]
    async with platform.client("identity", admin_token, trace) as identity:
        await ok(
            await identity.post(
                "/v1/brands",
                json={
                    "code": code,
                    "name": "Lumière Nails",
                    "hq_username": "hq",
                    "hq_password": "hq-password-1",
                },
            ),
            201,
        )
    hq_token = await log_in(platform, code, "hq", "hq-password-1", trace)
    async with platform.client("identity", hq_token, trace) as identity:
        store = await ok(
            await identity.post("/v1/stores", json={"name": "Jing'an", "city": "Shanghai"}), 201
        )
        associate = await ok(
            await identity.post(
                "/v1/staff",
                json={
                    "store_id": store["store_id"],
                    "role": "associate",
                    "display_name": "Wang Li",
                    "username": ASSOCIATE_USERNAME,
                    "password": ASSOCIATE_PASSWORD,
                },
            ),
            201,
        )
    return Brand(
        code=code,
        hq_token=hq_token,
        store_id=store["store_id"],
        associate_id=associate["staff_id"],
        invite_code=associate["invite_code"],
    )


async def log_in(
    platform: RunningPlatform, brand_code: str, username: str, password: str, trace: str
) -> str:
    """An access token from identity, as a person of the brand logs in."""
    async with platform.client("identity", trace=trace) as identity:
        login = await ok(
            await identity.post(
                "/v1/auth/token",
                json={"brand_code": brand_code, "username": username, "password": password},
            )
        )
    return str(login["access_token"])


async def register_bound_member(
    platform: RunningPlatform, brand: Brand, trace: str, member: dict[str, Any]
) -> str:
    """Register her at the brand's store and bind her to its associate by the invite code."""
    async with platform.client("identity", brand.hq_token, trace) as identity:
        registered = await ok(
            await identity.post("/v1/members", json={**member, "store_id": brand.store_id}), 201
        )
        member_id = str(registered["member_id"])
        bound = await ok(
            await identity.post(
                f"/v1/members/{member_id}/binding", json={"invite_code": brand.invite_code}
            )
        )
    assert bound["associate_id"] == brand.associate_id
    return member_id


async def post_once_known(
    client: httpx.AsyncClient, path: str, body: Any, what: str = "her and her store"
) -> httpx.Response:
    """The answer of a service-orders write once it knows the member and store it names (it
    hears of them from identity's events); one Idempotency-Key for every attempt, so that it
    happens once."""
    headers = {"Idempotency-Key": str(uuid.uuid4())}

    async def attempt() -> httpx.Response | None:
        response = await client.post(path, json=body, headers=headers)
        unknown = (
            response.status_code == 422 and response.json()["error"]["code"] == "unknown_reference"
        )
        return None if unknown else response

    return await eventually(attempt, timeout=15, what=f"service-orders to know {what}")


async def json_when(request: Awaitable[httpx.Response], accept: Callable[[Any], bool]) -> Any:
    """The body of a 200 answer that ``accept`` likes, else None (for ``eventually``)."""
    response = await request
    if response.status_code != 200:
        return None
    body = response.json()
    return body if accept(body) else None
