"""The HTTP API over in-memory adapters: status codes, error bodies, scoping, idempotency."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from itertools import count
from typing import Any

import httpx
import pytest
from rapport_events.clock import ManualClock, SystemClock
from rapport_platform.app import create_app
from rapport_platform.auth import Principal, Role, mint_token
from service_orders.application.handlers import ServiceOrdersHandlers
from service_orders.application.queries import ServiceOrdersQueries
from service_orders.entrypoints.http import build_router

from tests.unit.service_orders.fakes import FakeDatabase

SECRET = "service-orders-unit-test-secret-0123456789"
NOON = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TOMORROW = "2026-03-02T15:00:00+08:00"


def headers(
    role: Role = Role.HQ,
    *,
    brand: str | None = "brand-1",
    store: str | None = None,
    subject: str = "anna",
    key: str | None = None,
) -> dict[str, str]:
    principal = Principal(subject=subject, role=role, brand_id=brand, store_id=store)
    token = mint_token(SECRET, principal, now=SystemClock().now())
    result = {"Authorization": f"Bearer {token}"}
    if key is not None:
        result["Idempotency-Key"] = key
    return result


def associate() -> dict[str, str]:
    return headers(Role.ASSOCIATE, store="store-1", subject="staff-li")


def manager_elsewhere() -> dict[str, str]:
    return headers(Role.STORE_MANAGER, store="store-2", subject="boss-wu")


@pytest.fixture
def database() -> FakeDatabase:
    return FakeDatabase(ManualClock(NOON))


@pytest.fixture
async def client(database: FakeDatabase) -> AsyncIterator[httpx.AsyncClient]:
    numbers = count(1)
    handlers = ServiceOrdersHandlers(
        begin=database.begin,
        clock=database.clock,
        new_id=lambda prefix: f"{prefix}_{next(numbers)}",
    )
    queries = ServiceOrdersQueries(database.appointment_reader(), database.purchase_reader())
    app = create_app(
        title="service-orders",
        description="test",
        version="0",
        routers=[build_router(lambda: handlers, lambda: queries)],
        readiness_checks={},
    )
    app.state.auth_secret = SECRET
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


BOOKING = {
    "member_id": "mem-1",
    "store_id": "store-1",
    "service_code": "gel-manicure",
    "scheduled_at": TOMORROW,
}


async def book(client: httpx.AsyncClient, **changes: object) -> dict[str, object]:
    response = await client.post("/v1/appointments", json={**BOOKING, **changes}, headers=headers())
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def error(response: httpx.Response) -> dict[str, Any]:
    body: dict[str, dict[str, Any]] = response.json()
    return body["error"]


def fields(response: httpx.Response) -> list[str]:
    return [problem["field"] for problem in error(response).get("fields", [])]


async def test_booking_answers_201_with_the_appointment(
    client: httpx.AsyncClient, database: FakeDatabase
) -> None:
    response = await client.post("/v1/appointments", json=BOOKING, headers=associate())

    assert response.status_code == 201
    assert response.json() == {
        "appointment_id": "apt_1",
        "brand_id": "brand-1",
        "store_id": "store-1",
        "member_id": "mem-1",
        "service_code": "gel-manicure",
        "scheduled_at": "2026-03-02T07:00:00Z",
        "status": "booked",
        "booked_by": "staff-li",
        "booked_at": "2026-03-01T12:00:00Z",
        "visit": None,
        "cancelled_by": None,
        "cancelled_at": None,
    }
    assert [envelope.type for envelope in database.published] == [
        "rapport.service-orders.appointment.booked"
    ]


async def test_completion_answers_the_visit_and_a_second_one_conflicts(
    client: httpx.AsyncClient,
) -> None:
    booked = await book(client)
    path = f"/v1/appointments/{booked['appointment_id']}/completion"

    done = await client.post(path, json={"amount": 268}, headers=associate())
    again = await client.post(path, json={"amount": "268.00"}, headers=headers())

    assert done.status_code == 200, done.text
    assert done.json()["status"] == "completed"
    assert done.json()["visit"] == {
        "visit_id": "vis_2",
        "amount": "268.00",
        "served_by": "staff-li",
        "completed_at": "2026-03-01T12:00:00Z",
    }
    assert again.status_code == 409
    assert error(again) == {
        "code": "invalid_transition",
        "message": f"appointment {booked['appointment_id']} is already completed",
    }


async def test_cancellation_answers_the_cancelled_appointment(client: httpx.AsyncClient) -> None:
    booked = await book(client)

    response = await client.post(
        f"/v1/appointments/{booked['appointment_id']}/cancellation", headers=headers()
    )
    fetched = await client.get(f"/v1/appointments/{booked['appointment_id']}", headers=headers())

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert response.json()["cancelled_by"] == "anna"
    assert fetched.json() == response.json()


async def test_a_retry_with_the_same_key_answers_the_same_resource(
    client: httpx.AsyncClient, database: FakeDatabase
) -> None:
    first = await client.post("/v1/appointments", json=BOOKING, headers=headers(key="k-1"))
    retry = await client.post("/v1/appointments", json=BOOKING, headers=headers(key="k-1"))
    other = await client.post(
        "/v1/appointments",
        json={**BOOKING, "member_id": "mem-2"},
        headers=headers(key="k-1"),
    )

    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json() == first.json()
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert other.status_code == 422
    assert error(other)["message"] == "Idempotency-Key reused with a different request"
    assert error(other)["code"] == "idempotency_key_reused"
    assert len(database.published) == 1


async def test_bad_input_is_refused_naming_the_field(client: httpx.AsyncClient) -> None:
    naive = await client.post(
        "/v1/appointments",
        json={**BOOKING, "scheduled_at": "2026-03-02T15:00:00"},
        headers=headers(),
    )
    past = await client.post(
        "/v1/appointments",
        json={**BOOKING, "scheduled_at": "2026-03-01T10:00:00Z"},
        headers=headers(),
    )
    booked = await book(client)
    fen = await client.post(
        f"/v1/appointments/{booked['appointment_id']}/completion",
        json={"amount": "12.345"},
        headers=headers(),
    )
    key = await client.post("/v1/appointments", json=BOOKING, headers=headers(key="a b"))

    assert naive.status_code == 422
    assert fields(naive) == ["body.scheduled_at"]
    assert past.status_code == 422
    assert error(past)["fields"] == [
        {"field": "body.scheduled_at", "message": error(past)["message"]}
    ]
    assert "more than 1 hour in the past" in str(error(past)["message"])
    assert fen.status_code == 422
    assert fields(fen) == ["body.amount"]
    assert key.status_code == 422
    assert fields(key) == ["header.Idempotency-Key"]


async def test_callers_need_a_token_and_a_role_of_a_brand(client: httpx.AsyncClient) -> None:
    anonymous = await client.get("/v1/appointments")
    admin = await client.get("/v1/appointments", headers=headers(Role.PLATFORM_ADMIN, brand=None))
    integration = await client.get("/v1/appointments", headers=headers(Role.INTEGRATION))

    assert anonymous.status_code == 401
    assert admin.status_code == 403
    assert integration.status_code == 200
    assert integration.json() == {"items": []}


async def test_other_brands_and_other_stores_are_out_of_reach(client: httpx.AsyncClient) -> None:
    booked = await book(client)
    path = f"/v1/appointments/{booked['appointment_id']}"

    other_brand = await client.get(path, headers=headers(brand="brand-2"))
    other_store = await client.get(path, headers=manager_elsewhere())
    complete_elsewhere = await client.post(
        f"{path}/completion", json={"amount": "10"}, headers=manager_elsewhere()
    )
    book_elsewhere = await client.post(
        "/v1/appointments", json=BOOKING, headers=manager_elsewhere()
    )
    listed_elsewhere = await client.get("/v1/appointments", headers=manager_elsewhere())

    assert other_brand.status_code == 404
    assert error(other_brand)["message"] == f"appointment {booked['appointment_id']} does not exist"
    assert other_store.status_code == 403
    assert complete_elsewhere.status_code == 403
    assert book_elsewhere.status_code == 403
    assert error(book_elsewhere)["code"] == "outside_store"
    assert listed_elsewhere.json() == {"items": []}


async def test_appointments_are_listed_by_filter(client: httpx.AsyncClient) -> None:
    first = await book(client)
    second = await book(client, member_id="mem-2", scheduled_at="2026-03-03T10:00:00+08:00")

    by_member = await client.get("/v1/appointments?member_id=mem-2", headers=headers())
    booked = await client.get("/v1/appointments?status=booked&limit=1", headers=headers())
    wrong_status = await client.get("/v1/appointments?status=lost", headers=headers())
    wrong_limit = await client.get("/v1/appointments?limit=201", headers=headers())

    assert [item["appointment_id"] for item in by_member.json()["items"]] == [
        second["appointment_id"]
    ]
    assert [item["appointment_id"] for item in booked.json()["items"]] == [second["appointment_id"]]
    assert first["appointment_id"] != second["appointment_id"]
    assert wrong_status.status_code == 422
    assert wrong_limit.status_code == 422
    assert fields(wrong_limit) == ["query.limit"]


async def test_purchases_are_recorded_once_and_listed(
    client: httpx.AsyncClient, database: FakeDatabase
) -> None:
    body = {"member_id": "mem-1", "store_id": "store-1", "amount": "580", "description": "set"}

    first = await client.post("/v1/purchases", json=body, headers=headers(key="pos-1"))
    retry = await client.post("/v1/purchases", json=body, headers=headers(key="pos-1"))
    free = await client.post("/v1/purchases", json={**body, "amount": 0}, headers=headers())
    listed = await client.get("/v1/purchases?member_id=mem-1", headers=associate())
    fetched = await client.get(f"/v1/purchases/{first.json()['purchase_id']}", headers=headers())

    assert first.status_code == 201, first.text
    assert first.json() == {
        "purchase_id": "pur_1",
        "brand_id": "brand-1",
        "store_id": "store-1",
        "member_id": "mem-1",
        "amount": "580.00",
        "description": "set",
        "recorded_by": "anna",
        "purchased_at": "2026-03-01T12:00:00Z",
    }
    assert retry.status_code == 201 and retry.json() == first.json()
    assert free.status_code == 422
    assert listed.json() == {"items": [first.json()]}
    assert fetched.json() == first.json()
    assert [envelope.type for envelope in database.published] == [
        "rapport.service-orders.purchase.recorded"
    ]


async def test_the_api_is_documented_with_examples(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()

    booking_schema = schema["components"]["schemas"]["BookAppointmentRequest"]
    assert booking_schema["examples"][0]["service_code"] == "gel-manicure"
    assert "/v1/appointments/{appointment_id}/completion" in schema["paths"]
    assert "/v1/purchases" in schema["paths"]
