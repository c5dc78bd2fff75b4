from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from loyalty.adapters.memory import in_memory_database
from loyalty.entrypoints.errors import ERRORS
from loyalty.entrypoints.http import router
from rapport_events.uow import InMemoryDatabase
from rapport_platform.auth import Role

from tests.support.http import api_app, api_client, bearer, ok, principal, refused
from tests.unit.loyalty.builders import AT, earning, handlers_on, queries_on

HISTORY = "/v1/members/mbr_1/points/history"


@pytest.fixture
def database() -> InMemoryDatabase:
    return in_memory_database()


@pytest.fixture
def app(database: InMemoryDatabase) -> FastAPI:
    return api_app([router(handlers_on(database), queries_on(database))], ERRORS)


@pytest_asyncio.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(app) as client:
        yield client


async def earn(database: InMemoryDatabase, amounts: list[str], member_id: str = "mbr_1") -> None:
    handlers = handlers_on(database)
    for index, amount in enumerate(amounts):
        await handlers.earn_points(
            earning(amount, f"pur_{index}", member_id=member_id, at=AT + timedelta(minutes=index))
        )


async def test_balance_with_tier(client: httpx.AsyncClient, database: InMemoryDatabase) -> None:
    await earn(database, ["1999.99", "0.80", "1.20"])

    response = await client.get("/v1/members/mbr_1/points", headers=bearer())

    assert ok(response) == {
        "member_id": "mbr_1",
        "balance": 2000,
        "lifetime_earned": 2000,
        "tier": "silver",
        "updated_at": "2026-03-01T10:32:00Z",
    }


@pytest.mark.parametrize("role", [Role.HQ, Role.STORE_MANAGER, Role.ASSOCIATE, Role.INTEGRATION])
async def test_every_brand_role_may_read(
    client: httpx.AsyncClient, database: InMemoryDatabase, role: Role
) -> None:
    await earn(database, ["10"])
    ok(await client.get("/v1/members/mbr_1/points", headers=bearer(role)))


async def test_a_platform_admin_may_not_read(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/members/mbr_1/points", headers=bearer(Role.PLATFORM_ADMIN))
    refused(response, 403, "forbidden")


async def test_a_member_without_an_account_is_404_with_a_clear_message(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/v1/members/mbr_9/points", headers=bearer())

    error = refused(response, 404, "no_points_account")
    assert "'mbr_9' has no points account yet" in error["message"]


async def test_another_brands_member_answers_exactly_like_an_unknown_one(
    client: httpx.AsyncClient, database: InMemoryDatabase
) -> None:
    await earn(database, ["10"])
    stranger = bearer(principal(Role.HQ, brand_id="brd_2"))

    for path in ("/v1/members/mbr_1/points", HISTORY):
        known = await client.get(path, headers=stranger)
        unknown = await client.get(path.replace("mbr_1", "mbr_9"), headers=stranger)
        known_error = refused(known, 404, "no_points_account")
        unknown_error = refused(unknown, 404, "no_points_account")
        # The same answer but for the id named in the message.
        assert known_error == {
            **unknown_error,
            "message": unknown_error["message"].replace("mbr_9", "mbr_1"),
        }


async def test_a_token_is_required(client: httpx.AsyncClient) -> None:
    refused(await client.get("/v1/members/mbr_1/points"), 401, "unauthenticated")


async def test_history_newest_first_and_limited(
    client: httpx.AsyncClient, database: InMemoryDatabase
) -> None:
    await earn(database, ["100", "200", "0.10", "300"])

    body = ok(await client.get(HISTORY, params={"limit": 2}, headers=bearer()))

    assert set(body) == {"items", "next_cursor"}
    assert [
        (e["points"], e["balance"], e["reason"], e["source_id"], e["at"]) for e in body["items"]
    ] == [
        (300, 600, "purchase", "pur_3", "2026-03-01T10:33:00Z"),
        (200, 300, "purchase", "pur_1", "2026-03-01T10:31:00Z"),
    ]
    stored = await database.streams.load("points-account-mbr_1")
    # Reaching 600 moved her up to "member": a tier change is no entry of the history.
    earnings = [item.envelope.id for item in stored if item.envelope.type == EARNED]
    assert stored[-1].envelope.type == "rapport.loyalty.tier.changed"
    assert [e["event_id"] for e in body["items"]] == earnings[::-1][:2]
    assert body["next_cursor"] is not None


EARNED = "rapport.loyalty.points.earned"


async def test_history_follows_the_cursor_to_the_last_page(
    client: httpx.AsyncClient, database: InMemoryDatabase
) -> None:
    await earn(database, ["100", "200", "0.10", "300"])
    first = ok(await client.get(HISTORY, params={"limit": 2}, headers=bearer()))

    params = {"limit": 2, "cursor": first["next_cursor"]}
    second = ok(await client.get(HISTORY, params=params, headers=bearer()))

    assert [e["source_id"] for e in second["items"]] == ["pur_0"]
    assert second["next_cursor"] is None


async def test_history_of_an_unknown_member_is_404(client: httpx.AsyncClient) -> None:
    refused(await client.get("/v1/members/mbr_9/points/history", headers=bearer()), 404)


@pytest.mark.parametrize("limit", ["0", "201", "many"])
async def test_a_bad_limit_names_the_field(
    client: httpx.AsyncClient, database: InMemoryDatabase, limit: str
) -> None:
    await earn(database, ["10"])

    response = await client.get(HISTORY, params={"limit": limit}, headers=bearer())

    error = refused(response, 422)
    assert [problem["field"] for problem in error["fields"]] == ["query.limit"]


@pytest.mark.parametrize("cursor", ["WyJ4Il0", "bm90LWpzb24", "WzBd"])
async def test_a_bad_cursor_names_the_field(
    client: httpx.AsyncClient, database: InMemoryDatabase, cursor: str
) -> None:
    await earn(database, ["10"])

    response = await client.get(HISTORY, params={"cursor": cursor}, headers=bearer())

    error = refused(response, 422, "invalid_cursor")
    assert [problem["field"] for problem in error["fields"]] == ["query.cursor"]


def test_docs_carry_examples(app: FastAPI) -> None:
    document = app.openapi()
    schemas = document["components"]["schemas"]
    for name in ("PointsBalanceOut", "PointsEntryOut"):
        assert schemas[name]["examples"], name
    history = document["paths"]["/v1/members/{member_id}/points/history"]["get"]
    example = history["responses"]["200"]["content"]["application/json"]["example"]
    assert example["items"] and "next_cursor" in example
    assert {"limit", "cursor"} <= {parameter["name"] for parameter in history["parameters"]}
