"""The HTTP API over in-memory adapters: status codes, error bodies, scoping, idempotency."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from itertools import count
from typing import Any

import httpx
import pytest
from rapport_events.clock import ManualClock
from rapport_events.uow import InMemoryDatabase
from rapport_platform.auth import Role
from service_orders.adapters.memory import in_memory_database, unit_of_work_factory
from service_orders.application.handlers import ServiceOrdersHandlers
from service_orders.application.queries import ServiceOrdersQueries
from service_orders.entrypoints.errors import ERRORS
from service_orders.entrypoints.http import router

from tests.support.http import api_app, api_client, bearer, ok, principal, refused
from tests.unit.service_orders.world import known_world

NOON = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TOMORROW = "2026-03-02T15:00:00+08:00"


def headers(
    role: Role = Role.HQ,
    *,
    brand: str = "brand-1",
    store: str | None = None,
    subject: str = "anna",
    key: str | None = None,
) -> dict[str, str]:
    caller = principal(role, brand_id=brand, store_id=store, subject=subject)
    result = bearer(caller, now=NOON)
    if key is not None:
        result["Idempotency-Key"] = key
    return result


def associate() -> dict[str, str]:
    return headers(Role.ASSOCIATE, store="store-1", subject="staff-li")


def manager_elsewhere() -> dict[str, str]:
    return headers(Role.STORE_MANAGER, store="store-2", subject="boss-wu")


@pytest.fixture
def database() -> InMemoryDatabase:
    return known_world(in_memory_database())


@pytest.fixture
async def client(database: InMemoryDatabase) -> AsyncIterator[httpx.AsyncClient]:
    numbers = count(1)
    clock = ManualClock(NOON)
    unit_of_work = unit_of_work_factory(database, clock)
    handlers = ServiceOrdersHandlers(
        unit_of_work, clock, new_id=lambda prefix: f"{prefix}_{next(numbers)}"
    )
    app = api_app([router(handlers, ServiceOrdersQueries(unit_of_work))], ERRORS, now=NOON)
    async with api_client(app) as http:
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
    client: httpx.AsyncClient, database: InMemoryDatabase
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
        "cancellation_reason": None,
        "missed_at": None,
    }
    assert [envelope.type for envelope in database.committed] == [
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
    client: httpx.AsyncClient, database: InMemoryDatabase
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
    assert fields(other) == ["header.Idempotency-Key"]
    assert len(database.committed) == 1


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
    admin = await client.get("/v1/appointments", headers=headers(Role.PLATFORM_ADMIN))
    integration = await client.get("/v1/appointments", headers=headers(Role.INTEGRATION))

    assert anonymous.status_code == 401
    assert admin.status_code == 403
    assert integration.status_code == 200
    assert integration.json() == {"items": [], "next_cursor": None}


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
    assert error(other_store) == error(other_brand)
    refused(other_store, 404, "not_found")
    assert error(complete_elsewhere) == error(other_brand)
    refused(complete_elsewhere, 404, "not_found")
    assert refused(book_elsewhere, 422, "unknown_reference")["message"].startswith(
        "no store store-1 you may act for is known;"
    )
    assert fields(book_elsewhere) == ["body.store_id"]
    assert listed_elsewhere.json() == {"items": [], "next_cursor": None}


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
    client: httpx.AsyncClient, database: InMemoryDatabase
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
        "items": [],
    }
    assert retry.status_code == 201 and retry.json() == first.json()
    assert free.status_code == 422
    assert listed.json() == {"items": [first.json()], "next_cursor": None}
    assert fetched.json() == first.json()
    assert [envelope.type for envelope in database.committed] == [
        "rapport.service-orders.purchase.recorded"
    ]


async def test_the_api_is_documented_with_examples(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()

    booking_schema = schema["components"]["schemas"]["BookAppointmentRequest"]
    assert booking_schema["examples"][0]["service_code"] == "gel-manicure"
    assert "/v1/appointments/{appointment_id}/completion" in schema["paths"]
    assert "/v1/purchases" in schema["paths"]


async def test_unknown_body_fields_are_refused(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/appointments", json={**BOOKING, "discount": "10%"}, headers=headers()
    )

    refused(response, 422, "validation_failed")
    assert fields(response) == ["body.discount"]


async def test_lists_are_paged_with_cursors(client: httpx.AsyncClient) -> None:
    early = await book(client)
    late = await book(client, scheduled_at="2026-03-03T10:00:00+08:00")

    first = ok(await client.get("/v1/appointments?limit=1", headers=headers()))
    second = ok(
        await client.get(
            "/v1/appointments",
            params={"limit": 1, "cursor": first["next_cursor"]},
            headers=headers(),
        )
    )
    bad_cursor = await client.get("/v1/appointments?cursor=bm9wZQ", headers=headers())
    bad_purchases_limit = await client.get("/v1/purchases?limit=0", headers=headers())

    assert [item["appointment_id"] for item in first["items"]] == [late["appointment_id"]]
    assert [item["appointment_id"] for item in second["items"]] == [early["appointment_id"]]
    assert second["next_cursor"] is None
    refused(bad_cursor, 422, "invalid_cursor")
    assert fields(bad_cursor) == ["query.cursor"]
    assert fields(bad_purchases_limit) == ["query.limit"]


async def test_store_staff_naming_another_store_find_nothing_there(
    client: httpx.AsyncClient,
) -> None:
    appointments = await client.get(
        "/v1/appointments?store_id=store-1", headers=manager_elsewhere()
    )
    purchases = await client.get("/v1/purchases?store_id=store-1", headers=manager_elsewhere())

    assert refused(appointments, 404, "not_found")["message"] == "store store-1 does not exist"
    refused(purchases, 404, "not_found")


async def test_an_unknown_appointment_or_purchase_is_not_found(client: httpx.AsyncClient) -> None:
    appointment = await client.get("/v1/appointments/apt_nope", headers=headers())
    purchase = await client.get("/v1/purchases/pur_nope", headers=headers())
    cancel = await client.post("/v1/appointments/apt_nope/cancellation", headers=headers())

    assert (
        refused(appointment, 404, "not_found")["message"] == "appointment apt_nope does not exist"
    )
    assert refused(purchase, 404, "not_found")["message"] == "purchase pur_nope does not exist"
    refused(cancel, 404, "not_found")


async def test_the_examples_use_real_ids_and_a_bookable_time(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    [example] = schema["components"]["schemas"]["BookAppointmentRequest"]["examples"]

    assert example["member_id"].startswith("mbr_") and len(example["member_id"]) == 36
    assert example["store_id"].startswith("sto_") and len(example["store_id"]) == 36
    scheduled_at = datetime.fromisoformat(example["scheduled_at"])
    assert scheduled_at > NOON


async def test_the_writes_document_the_refusal_of_an_unknown_reference(
    client: httpx.AsyncClient,
) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    writes = [
        paths["/v1/appointments"]["post"],
        paths["/v1/appointments/{appointment_id}/completion"]["post"],
        paths["/v1/purchases"]["post"],
    ]

    for write in writes:
        refusal = write["responses"]["422"]
        assert "`unknown_reference`" in refusal["description"]
        example = refusal["content"]["application/json"]["example"]["error"]
        assert example["code"] == "unknown_reference"
        assert example["message"].endswith("may take a second to appear, retry")
