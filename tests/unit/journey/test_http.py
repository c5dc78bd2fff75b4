"""The HTTP API on the in-memory unit of work: shapes, scoping and errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
import pytest_asyncio
from journey.application.commands import FireDueTimers
from journey.application.queries import JourneyQueries
from journey.entrypoints.errors import ERRORS
from journey.entrypoints.http import router
from rapport_events.contracts.identity import MemberBoundToAssociate, MemberRegistered
from rapport_events.contracts.service_orders import VisitCompleted
from rapport_events.envelope import DomainEvent, EventEnvelope
from rapport_platform.auth import Role

from tests.support.http import api_app, api_client, bearer, ok, principal, refused
from tests.unit.journey.fake_service import FakeJourney

T0 = datetime(2026, 3, 1, 10, tzinfo=UTC)


def wrap(event: DomainEvent) -> EventEnvelope:
    return EventEnvelope.wrap(event, source="/rapport/test", brand_id="brd_1", time=T0)


class Journey(FakeJourney):
    """The service on fakes: its handlers feed the database its routes read."""

    async def handle(self, event: DomainEvent) -> None:
        await self.take(event)

    async def member(
        self,
        member_id: str,
        *,
        brand_id: str = "brd_1",
        store_id: str = "sto_1",
        associate_id: str | None = None,
        visits: int = 0,
    ) -> None:
        await self.handle(
            MemberRegistered(
                member_id=member_id,
                brand_id=brand_id,
                store_id=store_id,
                surname="梁",
                registered_at=T0,
            )
        )
        if associate_id is not None:
            await self.handle(
                MemberBoundToAssociate(
                    member_id=member_id,
                    brand_id=brand_id,
                    store_id=store_id,
                    associate_id=associate_id,
                    bound_at=T0,
                )
            )
        for number in range(visits):
            await self.handle(
                VisitCompleted(
                    visit_id=f"vst_{member_id}_{number}",
                    member_id=member_id,
                    brand_id=brand_id,
                    store_id=store_id,
                    service_code="gel-manicure",
                    amount=Decimal("120.00"),
                    completed_at=T0 + timedelta(days=number),
                )
            )


@pytest.fixture
def journey() -> Journey:
    return Journey(T0)


@pytest_asyncio.fixture
async def client(journey: Journey) -> AsyncIterator[httpx.AsyncClient]:
    queries = JourneyQueries(journey.begin)
    app = api_app([router(journey.handlers, queries)], ERRORS)
    async with api_client(app) as client:
        yield client


async def test_a_members_journey_with_history_timer_and_touchpoints(
    client: httpx.AsyncClient, journey: Journey
) -> None:
    await journey.member("mbr_1", visits=2)
    await journey.handlers.fire_due_timers(FireDueTimers(T0 + timedelta(days=31)))

    body = ok(await client.get("/v1/members/mbr_1/journey", headers=bearer()))

    assert body["member_id"] == "mbr_1"
    assert body["stage"] == "dormant"
    assert body["visit_count"] == 2
    assert body["last_visit_at"] == "2026-03-02T10:00:00Z"
    assert body["dormant_after"] is None
    assert [c["to_stage"] for c in body["stage_history"]] == ["new", "potential", "dormant"]
    requested = [t["template"] for t in body["touchpoints"] if t["status"] == "requested"]
    # Asked for at the same instant, they are listed by touchpoint id.
    assert set(requested[:2]) == {"first_visit_voucher", "seasonal_package_offer"}
    assert requested[-1] == "welcome_back"
    # Timers that came due while nobody fired them were too late to send.
    skipped = {t["template"] for t in body["touchpoints"] if t["status"] == "skipped"}
    assert "care_guide_24h" in skipped


async def test_dormant_after_is_the_due_time_of_the_active_timer(
    client: httpx.AsyncClient, journey: Journey
) -> None:
    await journey.member("mbr_1", visits=1)

    body = ok(await client.get("/v1/members/mbr_1/journey", headers=bearer()))

    assert body["dormant_after"] == "2026-03-31T10:00:00Z"
    assert [t["template"] for t in body["touchpoints"]] == ["first_visit_voucher"]


async def test_journeys_outside_the_callers_scope_are_not_found(
    client: httpx.AsyncClient, journey: Journey
) -> None:
    await journey.member("mbr_other_brand", brand_id="brd_2")
    await journey.member("mbr_other_store", store_id="sto_2")
    await journey.member("mbr_bound_elsewhere", associate_id="stf_9")
    await journey.member("mbr_mine", associate_id="stf_1")

    async def status(member_id: str, role: Role = Role.HQ) -> int:
        response = await client.get(f"/v1/members/{member_id}/journey", headers=bearer(role))
        return response.status_code

    assert await status("mbr_other_brand") == 404
    assert await status("mbr_unknown") == 404
    assert await status("mbr_other_store", Role.STORE_MANAGER) == 404
    assert await status("mbr_bound_elsewhere", Role.STORE_MANAGER) == 200
    assert await status("mbr_bound_elsewhere", Role.ASSOCIATE) == 404
    assert await status("mbr_mine", Role.ASSOCIATE) == 200
    assert await status("mbr_other_store", Role.INTEGRATION) == 200
    unknown = await client.get("/v1/members/mbr_unknown/journey", headers=bearer())
    refused(unknown, 404, "not_found")
    other_brand = await client.get("/v1/members/mbr_other_brand/journey", headers=bearer())
    # Nothing tells another brand's member from one that does not exist.
    assert refused(other_brand, 404, "not_found")["message"] == (
        "member mbr_other_brand does not exist"
    )


async def test_callers_without_a_token_or_a_reading_role_are_refused(
    client: httpx.AsyncClient,
) -> None:
    refused(await client.get("/v1/members/mbr_1/journey"), 401, "unauthenticated")
    admin = bearer(Role.PLATFORM_ADMIN)
    refused(await client.get("/v1/stages", headers=admin), 403, "forbidden")


async def test_stage_counts_for_the_brand_and_for_a_store(
    client: httpx.AsyncClient, journey: Journey
) -> None:
    await journey.member("mbr_1")
    await journey.member("mbr_2", visits=2)
    await journey.member("mbr_3", store_id="sto_2", visits=2)
    await journey.member("mbr_4", brand_id="brd_2")

    brand = ok(await client.get("/v1/stages", headers=bearer()))
    store = ok(await client.get("/v1/stages?store_id=sto_2", headers=bearer()))
    manager = ok(await client.get("/v1/stages", headers=bearer(Role.STORE_MANAGER)))
    own = ok(await client.get("/v1/stages?store_id=sto_1", headers=bearer(Role.ASSOCIATE)))

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
    assert (own["store_id"], own["members"]) == ("sto_1", 2)


async def test_another_store_does_not_exist_for_store_staff(client: httpx.AsyncClient) -> None:
    for role in (Role.STORE_MANAGER, Role.ASSOCIATE):
        other = await client.get("/v1/stages?store_id=sto_2", headers=bearer(role))
        assert refused(other, 404, "not_found")["message"] == "store sto_2 does not exist"


async def test_another_brand_does_not_exist_either(
    client: httpx.AsyncClient, journey: Journey
) -> None:
    await journey.member("mbr_1", brand_id="brd_2")
    other_brand = bearer(principal(Role.HQ, brand_id="brd_2"))

    assert ok(await client.get("/v1/stages", headers=other_brand))["members"] == 1
    refused(await client.get("/v1/members/mbr_1/journey", headers=bearer()), 404, "not_found")


async def test_bad_filters_name_the_field(client: httpx.AsyncClient) -> None:
    empty = await client.get("/v1/stages?store_id=", headers=bearer())
    problem = refused(empty, 422)
    assert [field["field"] for field in problem["fields"]] == ["query.store_id"]


async def test_the_openapi_document_carries_examples(client: httpx.AsyncClient) -> None:
    schema = ok(await client.get("/openapi.json"))
    journey = schema["components"]["schemas"]["JourneyOut"]
    assert journey["examples"][0]["stage"] == "dormant"
    assert journey["examples"][0]["member_id"].startswith("mbr_")
    assert "/v1/stages" in schema["paths"]
    assert "404" in schema["paths"]["/v1/stages"]["get"]["responses"]
