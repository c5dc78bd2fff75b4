"""The HTTP API on the in-memory read side: shapes, scoping and errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from journey.application import handlers
from journey.entrypoints.http import journey_router
from rapport_events.clock import ManualClock
from rapport_events.contracts.identity import MemberBoundToAssociate, MemberRegistered
from rapport_events.contracts.service_orders import VisitCompleted
from rapport_events.envelope import DomainEvent, EventEnvelope
from rapport_platform.app import create_app
from rapport_platform.auth import Principal, Role, mint_token

from tests.unit.journey.fakes import FakeJourneyUnitOfWork, InMemoryJourneyReader

SECRET = "a-test-secret-that-is-long-enough-for-hs256"
T0 = datetime(2026, 3, 1, 10, tzinfo=UTC)


def wrap(event: DomainEvent) -> EventEnvelope:
    return EventEnvelope.wrap(event, source="/rapport/test", brand_id="brd_1", time=T0)


async def member(
    uow: FakeJourneyUnitOfWork,
    member_id: str,
    *,
    brand_id: str = "brd_1",
    store_id: str = "sto_1",
    associate_id: str | None = None,
    visits: int = 0,
) -> None:
    registered = MemberRegistered(
        member_id=member_id,
        brand_id=brand_id,
        store_id=store_id,
        surname="梁",
        registered_at=T0,
    )
    await handlers.member_registered(registered, wrap(registered), uow)
    if associate_id is not None:
        bound = MemberBoundToAssociate(
            member_id=member_id,
            brand_id=brand_id,
            store_id=store_id,
            associate_id=associate_id,
            bound_at=T0,
        )
        await handlers.member_bound(bound, wrap(bound), uow)
    for number in range(visits):
        visit = VisitCompleted(
            visit_id=f"vst_{member_id}_{number}",
            member_id=member_id,
            brand_id=brand_id,
            store_id=store_id,
            service_code="gel-manicure",
            amount=Decimal("268.00"),
            completed_at=T0 + timedelta(days=number),
        )
        await handlers.visit_completed(visit, wrap(visit), uow)


@pytest.fixture
def uow() -> FakeJourneyUnitOfWork:
    return FakeJourneyUnitOfWork(ManualClock(T0))


@pytest.fixture
def app(uow: FakeJourneyUnitOfWork) -> FastAPI:
    reader = InMemoryJourneyReader(uow)
    app = create_app(
        title="journey",
        description="",
        version="test",
        routers=[journey_router(reader.opened)],
        readiness_checks={},
    )
    app.state.auth_secret = SECRET
    app.state.auth_clock = ManualClock(T0)
    return app


@pytest_asyncio.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://journey") as client:
        yield client


def bearer(
    role: Role = Role.HQ, brand_id: str | None = "brd_1", subject: str = "stf_1"
) -> dict[str, str]:
    store_id = "sto_1" if role in (Role.STORE_MANAGER, Role.ASSOCIATE) else None
    principal = Principal(subject=subject, role=role, brand_id=brand_id, store_id=store_id)
    return {"Authorization": f"Bearer {mint_token(SECRET, principal, now=T0)}"}


async def test_a_members_journey_with_history_timer_and_touchpoints(
    client: httpx.AsyncClient, uow: FakeJourneyUnitOfWork
) -> None:
    await member(uow, "mbr_1", visits=2)
    await handlers.fire_due_timers(uow, T0 + timedelta(days=31))

    response = await client.get("/v1/members/mbr_1/journey", headers=bearer())

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["member_id"] == "mbr_1"
    assert body["stage"] == "dormant"
    assert body["visit_count"] == 2
    assert body["last_visit_at"] == "2026-03-02T10:00:00Z"
    assert body["dormant_after"] is None
    assert [c["to_stage"] for c in body["stage_history"]] == ["new", "potential", "dormant"]
    [touchpoint] = body["touchpoints"]
    assert (touchpoint["template"], touchpoint["status"]) == ("welcome_back", "requested")


async def test_dormant_after_is_the_due_time_of_the_active_timer(
    client: httpx.AsyncClient, uow: FakeJourneyUnitOfWork
) -> None:
    await member(uow, "mbr_1", visits=1)

    body = (await client.get("/v1/members/mbr_1/journey", headers=bearer())).json()

    assert body["dormant_after"] == "2026-03-31T10:00:00Z"
    assert body["touchpoints"] == []


async def test_journeys_outside_the_callers_scope_are_not_found(
    client: httpx.AsyncClient, uow: FakeJourneyUnitOfWork
) -> None:
    await member(uow, "mbr_other_brand", brand_id="brd_2")
    await member(uow, "mbr_other_store", store_id="sto_2")
    await member(uow, "mbr_bound_elsewhere", associate_id="stf_9")
    await member(uow, "mbr_mine", associate_id="stf_1")

    async def status(member_id: str, headers: dict[str, str]) -> int:
        return (await client.get(f"/v1/members/{member_id}/journey", headers=headers)).status_code

    assert await status("mbr_other_brand", bearer()) == 404
    assert await status("mbr_unknown", bearer()) == 404
    assert await status("mbr_other_store", bearer(Role.STORE_MANAGER)) == 404
    assert await status("mbr_bound_elsewhere", bearer(Role.STORE_MANAGER)) == 200
    assert await status("mbr_bound_elsewhere", bearer(Role.ASSOCIATE)) == 404
    assert await status("mbr_mine", bearer(Role.ASSOCIATE)) == 200
    assert await status("mbr_other_store", bearer(Role.INTEGRATION)) == 200
    response = await client.get("/v1/members/mbr_unknown/journey", headers=bearer())
    assert response.json()["error"]["code"] == "not_found"


async def test_callers_without_a_token_or_a_reading_role_are_refused(
    client: httpx.AsyncClient,
) -> None:
    assert (await client.get("/v1/members/mbr_1/journey")).status_code == 401
    admin = bearer(Role.PLATFORM_ADMIN, brand_id=None)
    assert (await client.get("/v1/stages", headers=admin)).status_code == 403


async def test_stage_counts_for_the_brand_and_for_a_store(
    client: httpx.AsyncClient, uow: FakeJourneyUnitOfWork
) -> None:
    await member(uow, "mbr_1")
    await member(uow, "mbr_2", visits=2)
    await member(uow, "mbr_3", store_id="sto_2", visits=2)
    await member(uow, "mbr_4", brand_id="brd_2")

    brand = (await client.get("/v1/stages", headers=bearer())).json()
    store = (await client.get("/v1/stages?store_id=sto_2", headers=bearer())).json()
    manager = (await client.get("/v1/stages", headers=bearer(Role.STORE_MANAGER))).json()

    assert brand["store_id"] is None
    assert brand["members"] == 3
    assert brand["stages"] == {
        "new": 1,
        "potential": 2,
        "high_value": 0,
        "dormant": 0,
        "churn_risk": 0,
        "won_back": 0,
    }
    assert (store["store_id"], store["members"], store["stages"]["potential"]) == ("sto_2", 1, 1)
    assert (manager["store_id"], manager["members"]) == ("sto_1", 2)


async def test_store_staff_cannot_count_another_store_and_bad_filters_name_the_field(
    client: httpx.AsyncClient,
) -> None:
    other = await client.get("/v1/stages?store_id=sto_2", headers=bearer(Role.STORE_MANAGER))
    assert other.status_code == 403

    empty = await client.get("/v1/stages?store_id=", headers=bearer())
    assert empty.status_code == 422
    assert "store_id" in empty.text


async def test_the_openapi_document_carries_examples(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    journey = schema["components"]["schemas"]["JourneyOut"]
    assert journey["examples"][0]["stage"] == "dormant"
    assert "/v1/stages" in schema["paths"]
