"""The HTTP routes of cancellations with a reason, no-shows, reviews and purchase items."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from itertools import count

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
IN_HALF_AN_HOUR = "2026-03-01T20:30:00+08:00"


def headers(
    role: Role = Role.HQ, *, brand: str = "brand-1", store: str | None = None, subject: str = "anna"
) -> dict[str, str]:
    return bearer(principal(role, brand_id=brand, store_id=store, subject=subject), now=NOON)


def elsewhere() -> dict[str, str]:
    return headers(Role.STORE_MANAGER, store="store-2", subject="boss-wu")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOON)


@pytest.fixture
def database() -> InMemoryDatabase:
    return known_world(in_memory_database())


@pytest.fixture
async def client(
    database: InMemoryDatabase, clock: ManualClock
) -> AsyncIterator[httpx.AsyncClient]:
    numbers = count(1)
    unit_of_work = unit_of_work_factory(database, clock)
    handlers = ServiceOrdersHandlers(
        unit_of_work, clock, new_id=lambda prefix: f"{prefix}_{next(numbers)}"
    )
    app = api_app([router(handlers, ServiceOrdersQueries(unit_of_work))], ERRORS, now=NOON)
    async with api_client(app) as http:
        yield http


async def book(client: httpx.AsyncClient) -> str:
    body = {
        "member_id": "mem-1",
        "store_id": "store-1",
        "service_code": "gel-manicure",
        "scheduled_at": IN_HALF_AN_HOUR,
    }
    booked = ok(await client.post("/v1/appointments", json=body, headers=headers()), 201)
    return str(booked["appointment_id"])


async def visit(client: httpx.AsyncClient) -> str:
    appointment_id = await book(client)
    path = f"/v1/appointments/{appointment_id}/completion"
    completed = ok(await client.post(path, json={"amount": "268.00"}, headers=headers()))
    return str(completed["visit"]["visit_id"])


def types(database: InMemoryDatabase) -> list[str]:
    return [envelope.type for envelope in database.committed]


async def test_a_cancellation_may_say_why_or_carry_no_body(
    client: httpx.AsyncClient, database: InMemoryDatabase
) -> None:
    with_reason, without = await book(client), await book(client)

    said = await client.post(
        f"/v1/appointments/{with_reason}/cancellation",
        json={"reason": "member is travelling"},
        headers=headers(),
    )
    silent = await client.post(f"/v1/appointments/{without}/cancellation", headers=headers())

    assert ok(said)["cancellation_reason"] == "member is travelling"
    assert ok(silent)["cancellation_reason"] == ""
    assert types(database).count("rapport.service-orders.appointment.cancelled") == 2


async def test_an_over_long_reason_is_refused_naming_it(client: httpx.AsyncClient) -> None:
    appointment_id = await book(client)

    response = await client.post(
        f"/v1/appointments/{appointment_id}/cancellation",
        json={"reason": "x" * 201},
        headers=headers(),
    )

    detail = refused(response, 422)
    assert [problem["field"] for problem in detail["fields"]] == ["body.reason"]


async def test_a_no_show_answers_the_missed_appointment(
    client: httpx.AsyncClient, database: InMemoryDatabase, clock: ManualClock
) -> None:
    appointment_id = await book(client)
    path = f"/v1/appointments/{appointment_id}/missed"

    early = await client.post(path, headers=headers())
    clock.advance(timedelta(minutes=45))
    missed = await client.post(
        path, headers=headers(Role.ASSOCIATE, store="store-1", subject="staff-li")
    )
    again = await client.post(path, headers=headers())

    assert (
        "cannot be missed before its time" in refused(early, 409, "invalid_transition")["message"]
    )
    body = ok(missed)
    assert body["status"] == "missed"
    assert body["missed_at"] == "2026-03-01T12:45:00Z"
    assert refused(again, 409, "invalid_transition")["message"] == (
        f"appointment {appointment_id} is already missed"
    )
    assert types(database)[-1] == "rapport.service-orders.appointment.missed"


async def test_a_completed_appointment_cannot_be_missed(
    client: httpx.AsyncClient, clock: ManualClock
) -> None:
    visit_id = await visit(client)
    listed = ok(await client.get("/v1/appointments?status=completed", headers=headers()))
    [completed] = [item for item in listed["items"] if item["visit"]["visit_id"] == visit_id]
    clock.advance(timedelta(hours=1))

    response = await client.post(
        f"/v1/appointments/{completed['appointment_id']}/missed", headers=headers()
    )

    assert "is completed and cannot be missed" in refused(response, 409)["message"]


async def test_another_stores_appointment_is_not_found_for_a_no_show(
    client: httpx.AsyncClient,
) -> None:
    appointment_id = await book(client)

    response = await client.post(f"/v1/appointments/{appointment_id}/missed", headers=elsewhere())

    refused(response, 404)


async def test_a_review_answers_201_and_a_second_one_409(
    client: httpx.AsyncClient, database: InMemoryDatabase
) -> None:
    visit_id = await visit(client)
    body = {"recommendation": 9, "satisfaction": 92, "comment": "gentle and on time"}

    first = await client.post(f"/v1/visits/{visit_id}/review", json=body, headers=headers())
    second = await client.post(f"/v1/visits/{visit_id}/review", json=body, headers=headers())

    assert ok(first, 201) == {
        "review_id": "rev_3",
        "visit_id": visit_id,
        "brand_id": "brand-1",
        "store_id": "store-1",
        "member_id": "mem-1",
        "recommendation": 9,
        "satisfaction": 92,
        "comment": "gentle and on time",
        "submitted_by": "anna",
        "submitted_at": "2026-03-01T12:00:00Z",
    }
    refused(second, 409, "already_reviewed")
    assert types(database).count("rapport.service-orders.review.submitted") == 1


async def test_a_visit_out_of_scope_is_not_found_for_a_review(client: httpx.AsyncClient) -> None:
    visit_id = await visit(client)
    body = {"recommendation": 9, "satisfaction": 92}

    for caller in (elsewhere(), headers(brand="brand-2", subject="bo")):
        response = await client.post(f"/v1/visits/{visit_id}/review", json=body, headers=caller)
        refused(response, 404)
    unknown = await client.post("/v1/visits/vis_nope/review", json=body, headers=headers())
    refused(unknown, 404)


async def test_review_scores_out_of_range_are_refused_naming_the_field(
    client: httpx.AsyncClient,
) -> None:
    visit_id = await visit(client)

    response = await client.post(
        f"/v1/visits/{visit_id}/review",
        json={"recommendation": 11, "satisfaction": 101},
        headers=headers(),
    )

    detail = refused(response, 422)
    fields = {problem["field"] for problem in detail["fields"]}
    assert fields == {"body.recommendation", "body.satisfaction"}


async def test_a_purchase_takes_and_answers_its_items(
    client: httpx.AsyncClient, database: InMemoryDatabase
) -> None:
    body = {
        "member_id": "mem-1",
        "store_id": "store-1",
        "amount": "3980.00",
        "items": [
            {"product_code": "deep-sleep-180", "category": "mattress"},
            {"product_code": "mite-spray", "category": "care-kit", "quantity": 2},
        ],
    }

    recorded = ok(await client.post("/v1/purchases", json=body, headers=headers()), 201)
    bad = await client.post(
        "/v1/purchases",
        json={**body, "items": [{"product_code": "x", "category": "care-kit", "quantity": 0}]},
        headers=headers(),
    )

    assert recorded["items"] == [
        {"product_code": "deep-sleep-180", "category": "mattress", "quantity": 1},
        {"product_code": "mite-spray", "category": "care-kit", "quantity": 2},
    ]
    assert database.committed[-1].data["items"][0]["category"] == "mattress"
    assert database.committed[-1].dataversion == 2
    refused(bad, 422)
