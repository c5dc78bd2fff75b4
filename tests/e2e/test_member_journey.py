"""A member's first weeks, through all five services running as real processes."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.e2e.conftest import RunningPlatform
from tests.support.polling import eventually

SERVICE_NAMES = {"identity", "service-orders", "loyalty", "journey", "notifier"}


def new_trace() -> tuple[str, str]:
    """A W3C traceparent the test sends on every request, and its trace id."""
    trace_id = secrets.token_hex(16)
    return f"00-{trace_id}-{secrets.token_hex(8)}-01", trace_id


async def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, f"{response.request.url}: {response.text}"
    return response.json()


async def set_up_brand(platform: RunningPlatform, admin_token: str, trace: str) -> dict[str, str]:
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
        login = await ok(
            await identity.post(
                "/v1/auth/token",
                json={"brand_code": code, "username": "hq", "password": "hq-password-1"},
            )
        )
    hq_token = login["access_token"]
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
                    "username": "wangli",
                    "password": "associate-password-1",
                },
            ),
            201,
        )
    return {
        "hq_token": hq_token,
        "store_id": store["store_id"],
        "associate_id": associate["staff_id"],
        "invite_code": associate["invite_code"],
    }


async def test_a_member_registers_visits_goes_quiet_and_is_welcomed_back(
    platform: RunningPlatform, admin_token: str
) -> None:
    trace, trace_id = new_trace()
    brand = await set_up_brand(platform, admin_token, trace)
    token, store_id = brand["hq_token"], brand["store_id"]

    # Register her and bind her to the associate through the invite code.
    async with platform.client("identity", token, trace) as identity:
        member = await ok(
            await identity.post(
                "/v1/members",
                json={
                    "name": "梁晓雯",
                    "surname": "梁",
                    "phone": "138 1234 5678",
                    "gender": "female",
                    "birthday": "1992-05-17",
                    "store_id": store_id,
                },
            ),
            201,
        )
        member_id = member["member_id"]
        bound = await ok(
            await identity.post(
                f"/v1/members/{member_id}/binding", json={"invite_code": brand["invite_code"]}
            )
        )
        assert bound["associate_id"] == brand["associate_id"]
        assert bound["phone"] == "+8613812345678"

    # Two completed services and a purchase. Service-orders hears of her and her store from
    # identity's events: the first booking is retried until it knows them.
    now = datetime.now(UTC)
    async with platform.client("service-orders", token, trace) as orders:
        for amount in ("268.00", "188.50"):
            booking = {
                "member_id": member_id,
                "store_id": store_id,
                "service_code": "gel-manicure",
                "scheduled_at": (now + timedelta(hours=2)).isoformat(),
            }
            appointment = await ok(await _book_once_known(orders, booking), 201)
            await ok(
                await orders.post(
                    f"/v1/appointments/{appointment['appointment_id']}/completion",
                    json={"amount": amount},
                )
            )
        await ok(
            await orders.post(
                "/v1/purchases",
                json={
                    "member_id": member_id,
                    "store_id": store_id,
                    "amount": "580.00",
                    "description": "care kit",
                },
            ),
            201,
        )

    # 268 + 188 (rounded down) + 580 points; two visits make her a potential customer.
    async with platform.client("loyalty", token, trace) as loyalty:
        points = await eventually(
            lambda: _json_when(
                loyalty.get(f"/v1/members/{member_id}/points"), lambda b: b["balance"] == 1036
            ),
            what="1036 points in loyalty",
        )
        assert points["lifetime_earned"] == 1036
    async with platform.client("journey", token, trace) as journey:
        await eventually(
            lambda: _json_when(
                journey.get(f"/v1/members/{member_id}/journey"), lambda b: b["stage"] == "potential"
            ),
            what="stage potential",
        )

    # Thirty days without a visit: dormant, and a welcome-back message goes out.
    await platform.advance_clock(timedelta(days=30, minutes=1))
    async with platform.client("journey", token, trace) as journey:
        state = await eventually(
            lambda: _json_when(
                journey.get(f"/v1/members/{member_id}/journey"), lambda b: b["stage"] == "dormant"
            ),
            what="stage dormant",
        )
        assert [change["to_stage"] for change in state["stage_history"]] == [
            "new",
            "potential",
            "dormant",
        ]
    async with platform.client("notifier", token, trace) as notifier:
        deliveries = await eventually(
            lambda: _json_when(
                notifier.get("/v1/deliveries", params={"member_id": member_id}),
                lambda b: any(
                    d["template"] == "welcome_back" and d["status"] == "delivered"
                    for d in b["items"]
                ),
            ),
            what="a delivered welcome_back message",
        )
    welcome = next(d for d in deliveries["items"] if d["template"] == "welcome_back")
    assert welcome["text"].startswith("梁女士")
    assert welcome["trace_id"] == trace_id

    # The whole flow is one trace, and every service took part in it.
    await eventually(
        lambda: _async(platform.spans.services_in_trace(trace_id) >= SERVICE_NAMES),
        what=f"spans of every service in trace {trace_id}",
    )


async def _book_once_known(orders: httpx.AsyncClient, booking: Any) -> httpx.Response:
    """The booking's answer once service-orders knows its member and store; one
    Idempotency-Key for every attempt, so that it is booked once."""
    headers = {"Idempotency-Key": str(uuid.uuid4())}

    async def attempt() -> httpx.Response | None:
        response = await orders.post("/v1/appointments", json=booking, headers=headers)
        unknown = (
            response.status_code == 422 and response.json()["error"]["code"] == "unknown_reference"
        )
        return None if unknown else response

    return await eventually(attempt, timeout=15, what="service-orders to know her and her store")


async def _json_when(request: Any, accept: Any) -> Any:
    response = await request
    if response.status_code != 200:
        return None
    body = response.json()
    return body if accept(body) else None


async def _async(value: bool) -> bool:
    return value
