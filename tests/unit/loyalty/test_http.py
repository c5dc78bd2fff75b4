from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from loyalty.application.commands import EarnPoints
from loyalty.application.handlers import earn_points
from loyalty.entrypoints.http import points_router
from rapport_events.clock import ManualClock
from rapport_events.store import InMemoryEventStore
from rapport_platform.app import create_app
from rapport_platform.auth import Principal, Role, mint_token

from tests.unit.loyalty.fakes import FakeUnitOfWork, InMemoryPointsBalances

SECRET = "a-test-secret-that-is-long-enough-for-hs256"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
AT = datetime(2026, 3, 1, 10, 30, tzinfo=UTC)


@pytest.fixture
def balances() -> InMemoryPointsBalances:
    return InMemoryPointsBalances()


@pytest.fixture
def store() -> InMemoryEventStore:
    return InMemoryEventStore()


@pytest.fixture
def app(balances: InMemoryPointsBalances, store: InMemoryEventStore) -> FastAPI:
    app = create_app(
        title="loyalty",
        description="",
        version="test",
        routers=[points_router(lambda: balances, lambda: store)],
        readiness_checks={},
    )
    app.state.auth_secret = SECRET
    app.state.auth_clock = ManualClock(NOW)
    return app


@pytest_asyncio.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://loyalty") as client:
        yield client


def bearer(role: Role = Role.HQ, brand_id: str | None = "brd_1") -> dict[str, str]:
    store_id = "sto_1" if role in (Role.STORE_MANAGER, Role.ASSOCIATE) else None
    principal = Principal(subject="u-1", role=role, brand_id=brand_id, store_id=store_id)
    return {"Authorization": f"Bearer {mint_token(SECRET, principal, now=NOW)}"}


async def earn(
    balances: InMemoryPointsBalances,
    store: InMemoryEventStore,
    amounts: list[str],
    member_id: str = "mbr_1",
) -> None:
    uow = FakeUnitOfWork(store)
    for index, amount in enumerate(amounts):
        await earn_points(
            EarnPoints(
                member_id=member_id,
                brand_id="brd_1",
                amount=Decimal(amount),
                reason="purchase",
                source_id=f"pur_{index}",
                at=AT + timedelta(minutes=index),
            ),
            uow,
            balances,
        )


async def test_balance_with_tier(
    client: httpx.AsyncClient, balances: InMemoryPointsBalances, store: InMemoryEventStore
) -> None:
    await earn(balances, store, ["1999.99", "0.80", "1.20"])

    response = await client.get("/v1/members/mbr_1/points", headers=bearer())

    assert response.status_code == 200
    assert response.json() == {
        "member_id": "mbr_1",
        "balance": 2000,
        "lifetime_earned": 2000,
        "tier": "silver",
        "updated_at": "2026-03-01T10:32:00Z",
    }


@pytest.mark.parametrize("role", [Role.HQ, Role.STORE_MANAGER, Role.ASSOCIATE, Role.INTEGRATION])
async def test_every_brand_role_may_read(
    client: httpx.AsyncClient,
    balances: InMemoryPointsBalances,
    store: InMemoryEventStore,
    role: Role,
) -> None:
    await earn(balances, store, ["10"])
    response = await client.get("/v1/members/mbr_1/points", headers=bearer(role))
    assert response.status_code == 200


async def test_a_member_without_an_account_is_404_with_a_clear_message(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/v1/members/mbr_9/points", headers=bearer())

    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "no_points_account"
    assert "'mbr_9' has no points account yet" in error["message"]


async def test_another_brand_is_forbidden(
    client: httpx.AsyncClient, balances: InMemoryPointsBalances, store: InMemoryEventStore
) -> None:
    await earn(balances, store, ["10"])

    for path in ("/v1/members/mbr_1/points", "/v1/members/mbr_1/points/history"):
        response = await client.get(path, headers=bearer(brand_id="brd_2"))
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "forbidden"


async def test_a_token_is_required(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/members/mbr_1/points")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


async def test_history_newest_first_and_limited(
    client: httpx.AsyncClient, balances: InMemoryPointsBalances, store: InMemoryEventStore
) -> None:
    await earn(balances, store, ["100", "200", "0.10", "300"])

    response = await client.get(
        "/v1/members/mbr_1/points/history", params={"limit": 2}, headers=bearer()
    )

    assert response.status_code == 200
    body = response.json()
    assert body["member_id"] == "mbr_1"
    assert [
        (e["points"], e["balance"], e["reason"], e["source_id"], e["at"]) for e in body["entries"]
    ] == [
        (300, 600, "purchase", "pur_3", "2026-03-01T10:33:00Z"),
        (200, 300, "purchase", "pur_1", "2026-03-01T10:31:00Z"),
    ]
    stored_ids = [item.envelope.id for item in await store.load("points-account-mbr_1")]
    assert [e["event_id"] for e in body["entries"]] == stored_ids[::-1][:2]


async def test_history_of_an_unknown_member_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/members/mbr_9/points/history", headers=bearer())
    assert response.status_code == 404


@pytest.mark.parametrize("limit", ["0", "501", "many"])
async def test_a_bad_limit_names_the_field(
    client: httpx.AsyncClient,
    balances: InMemoryPointsBalances,
    store: InMemoryEventStore,
    limit: str,
) -> None:
    await earn(balances, store, ["10"])

    response = await client.get(
        "/v1/members/mbr_1/points/history", params={"limit": limit}, headers=bearer()
    )

    assert response.status_code == 422
    fields = [problem["field"] for problem in response.json()["error"]["fields"]]
    assert fields == ["query.limit"]


def test_docs_carry_examples(app: FastAPI) -> None:
    schemas = app.openapi()["components"]["schemas"]
    for name in ("PointsBalanceOut", "PointsHistoryOut", "PointsEntryOut"):
        assert schemas[name]["examples"], name
