from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from notifier.adapters.memory import in_memory_database
from notifier.domain.templates import DEFAULT_TEMPLATES
from notifier.entrypoints.errors import ERRORS
from notifier.entrypoints.http import router
from rapport_events.clock import ManualClock
from rapport_events.uow import InMemoryDatabase
from rapport_platform.auth import Role

from tests.support.http import BRAND, NOW, STORE, api_app, api_client, bearer, ok, principal
from tests.support.http import refused as refusal
from tests.unit.notifier.builders import (
    MEMBER,
    OTHER_MEMBER,
    STAFF,
    TRACE_ID,
    WELCOME_BACK_TEXT,
    deliver,
    handlers_on,
    queries_on,
    touchpoint_id,
    touchpoint_requested,
)

DELIVERIES = "/v1/deliveries"
TEMPLATES = "/v1/templates"
OTHER_BRAND = "brd_2"


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


async def send(database: InMemoryDatabase, *requests: dict[str, Any], hours: int = 0) -> None:
    """Deliver one touchpoint per request, an hour apart from ``NOW + hours``."""
    clock = ManualClock(NOW + timedelta(hours=hours))
    for changes in requests:
        number = len(database.tables.deliveries) + 1
        await deliver(database, clock, touchpoint_requested(number, **changes))
        clock.advance(timedelta(hours=1))


def task_for(recipient_id: str) -> dict[str, Any]:
    return {
        "template": "churn_risk_alert",
        "channel": "task",
        "audience": "associate",
        "recipient_id": recipient_id,
        "marketing": False,
        "variables": {},
    }


async def all_pages(
    client: httpx.AsyncClient, path: str, *, caller: Role = Role.HQ, **params: Any
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        body = ok(await client.get(path, params=query, headers=bearer(caller)))
        items.extend(body["items"])
        if body["next_cursor"] is None:
            return items
        cursor = body["next_cursor"]


async def test_a_delivery_is_listed_whole(
    client: httpx.AsyncClient, database: InMemoryDatabase
) -> None:
    await send(database, {})

    body = ok(await client.get(DELIVERIES, headers=bearer()))

    [item] = body["items"]
    assert body["next_cursor"] is None
    assert item["delivery_id"].startswith("dlv_")
    assert {key: value for key, value in item.items() if key != "delivery_id"} == {
        "touchpoint_id": touchpoint_id(1),
        "brand_id": BRAND,
        "store_id": STORE,
        "member_id": MEMBER,
        "recipient_id": MEMBER,
        "audience": "member",
        "channel": "sms",
        "template": "welcome_back",
        "marketing": True,
        "text": WELCOME_BACK_TEXT,
        "status": "delivered",
        "reason": None,
        "trace_id": TRACE_ID,
        "correlation_id": "corr-1",
        "created_at": "2026-03-02T09:00:00Z",
        "held_until": None,
    }


async def test_deliveries_come_newest_first_in_pages(
    client: httpx.AsyncClient, database: InMemoryDatabase
) -> None:
    await send(database, *[{"marketing": False}] * 5)

    first = ok(await client.get(DELIVERIES, params={"limit": 2}, headers=bearer()))
    every = await all_pages(client, DELIVERIES, limit=2)

    assert [item["touchpoint_id"] for item in every] == [touchpoint_id(n) for n in (5, 4, 3, 2, 1)]
    assert first["items"] == every[:2] and first["next_cursor"] is not None


async def test_deliveries_of_one_instant_are_paged_by_id_without_loss(
    client: httpx.AsyncClient, database: InMemoryDatabase
) -> None:
    clock = ManualClock(NOW)
    for number in range(1, 6):
        await deliver(database, clock, touchpoint_requested(number, marketing=False))

    every = await all_pages(client, DELIVERIES, limit=2)

    ids = [item["delivery_id"] for item in every]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 5


async def test_deliveries_are_filtered_by_member_template_and_status(
    client: httpx.AsyncClient, database: InMemoryDatabase
) -> None:
    await send(
        database,
        {},
        {"member_id": OTHER_MEMBER, "recipient_id": OTHER_MEMBER},
        {"template": "care_guide_24h", "marketing": False},
        {"variables": {}},
    )

    def touchpoints(body: dict[str, Any]) -> list[str]:
        return [item["touchpoint_id"] for item in body["items"]]

    mine = ok(await client.get(DELIVERIES, params={"member_id": MEMBER}, headers=bearer()))
    care = ok(await client.get(DELIVERIES, params={"template": "care_guide_24h"}, headers=bearer()))
    failed = ok(await client.get(DELIVERIES, params={"status": "failed"}, headers=bearer()))
    assert touchpoints(mine) == [touchpoint_id(4), touchpoint_id(3), touchpoint_id(1)]
    assert touchpoints(care) == [touchpoint_id(3)]
    assert touchpoints(failed) == [touchpoint_id(4)]
    assert (
        failed["items"][0]["reason"]
        == "template welcome_back needs variables 'surname', 'title', 'offer'"
    )


async def test_an_associate_sees_only_the_tasks_addressed_to_her(
    client: httpx.AsyncClient, database: InMemoryDatabase
) -> None:
    await send(database, {}, task_for(STAFF), task_for("stf_colleague"))
    associate = bearer(principal(Role.ASSOCIATE, subject=STAFF))

    body = ok(await client.get(DELIVERIES, headers=associate))

    assert [(item["channel"], item["recipient_id"]) for item in body["items"]] == [("task", STAFF)]


@pytest.mark.parametrize("role", [Role.HQ, Role.STORE_MANAGER, Role.INTEGRATION, Role.ASSOCIATE])
async def test_every_brand_role_may_read(client: httpx.AsyncClient, role: Role) -> None:
    ok(await client.get(DELIVERIES, headers=bearer(role)))
    ok(await client.get(TEMPLATES, headers=bearer(role)))


async def test_another_brand_does_not_exist_for_the_caller(
    client: httpx.AsyncClient, database: InMemoryDatabase
) -> None:
    await send(database, {})

    for path in (DELIVERIES, TEMPLATES):
        response = await client.get(path, params={"brand_id": OTHER_BRAND}, headers=bearer())
        refusal(response, 404, "not_found")


async def test_another_brands_deliveries_are_answered_like_unknown_ones(
    client: httpx.AsyncClient, database: InMemoryDatabase
) -> None:
    theirs = touchpoint_requested(1, brand_id=OTHER_BRAND, member_id=OTHER_MEMBER)
    await deliver(database, ManualClock(NOW), theirs, brand_id=OTHER_BRAND)

    async def listed(params: dict[str, str], caller: Role = Role.HQ) -> Any:
        return ok(await client.get(DELIVERIES, params=params, headers=bearer(caller)))

    assert (await listed({}))["items"] == []
    foreign = await listed({"member_id": OTHER_MEMBER})
    assert foreign == await listed({"member_id": "mbr_unknown"})
    admin = await listed({"brand_id": OTHER_BRAND}, Role.PLATFORM_ADMIN)
    assert [item["member_id"] for item in admin["items"]] == [OTHER_MEMBER]


async def test_a_platform_admin_names_the_brand(
    client: httpx.AsyncClient, database: InMemoryDatabase
) -> None:
    await send(database, {})
    admin = bearer(Role.PLATFORM_ADMIN)

    unnamed = refusal(await client.get(DELIVERIES, headers=admin), 422)
    named = ok(await client.get(DELIVERIES, params={"brand_id": BRAND}, headers=admin))

    assert unnamed["fields"] == [
        {"field": "query.brand_id", "message": "required for role platform_admin"}
    ]
    assert len(named["items"]) == 1


PAGING_PROBLEMS = [
    ({"limit": 0}, "query.limit"),
    ({"limit": 201}, "query.limit"),
    ({"cursor": "bm90LWEtY3Vyc29y"}, "query.cursor"),
]


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        *[(DELIVERIES, params, field) for params, field in PAGING_PROBLEMS],
        *[(TEMPLATES, params, field) for params, field in PAGING_PROBLEMS],
        (DELIVERIES, {"status": "sent"}, "query.status"),
    ],
)
async def test_bad_query_parameters_are_named(
    client: httpx.AsyncClient, path: str, params: dict[str, Any], field: str
) -> None:
    error = refusal(await client.get(path, params=params, headers=bearer()), 422)

    assert [problem["field"] for problem in error["fields"]] == [field]


async def test_a_token_is_required(client: httpx.AsyncClient) -> None:
    for path in (DELIVERIES, TEMPLATES):
        refusal(await client.get(path), 401, "unauthenticated")
    refusal(await client.put(f"{TEMPLATES}/welcome_back", json={}), 401, "unauthenticated")


async def test_templates_are_listed_by_key_in_pages(client: httpx.AsyncClient) -> None:
    first = ok(await client.get(TEMPLATES, params={"limit": 3}, headers=bearer()))
    every = await all_pages(client, TEMPLATES, limit=3)

    assert [item["key"] for item in every] == sorted(DEFAULT_TEMPLATES)
    assert first["items"] == every[:3] and first["next_cursor"] is not None
    welcome = next(item for item in every if item["key"] == "welcome_back")
    assert welcome == {
        "key": "welcome_back",
        "channel": "sms",
        "body": DEFAULT_TEMPLATES["welcome_back"].body,
        "placeholders": ["surname", "title", "offer"],
        "max_length": 70,
        "source": "default",
        "updated_at": None,
        "updated_by": None,
    }


async def test_hq_saves_the_brands_version_of_a_template(client: httpx.AsyncClient) -> None:
    body = {"channel": "task", "body": "会员 {member_id} 有流失风险，请今天内致电回访。"}
    hq = bearer(principal(Role.HQ, subject=STAFF))

    saved = ok(await client.put(f"{TEMPLATES}/churn_risk_alert", json=body, headers=hq))

    assert saved == {
        **body,
        "key": "churn_risk_alert",
        "placeholders": ["member_id"],
        "max_length": None,
        "source": "brand",
        "updated_at": "2026-03-02T09:00:00Z",
        "updated_by": STAFF,
    }
    listed = await all_pages(client, TEMPLATES)
    assert saved in listed


async def test_hq_cannot_save_a_template_for_another_brand(client: httpx.AsyncClient) -> None:
    response = await client.put(
        f"{TEMPLATES}/welcome_back",
        params={"brand_id": OTHER_BRAND},
        json={"channel": "sms", "body": "您好"},
        headers=bearer(),
    )

    refusal(response, 404, "not_found")
    theirs = await all_pages(client, TEMPLATES, caller=Role.PLATFORM_ADMIN, brand_id=OTHER_BRAND)
    assert {item["source"] for item in theirs} == {"default"}


@pytest.mark.parametrize("role", [Role.STORE_MANAGER, Role.ASSOCIATE, Role.INTEGRATION])
async def test_only_hq_and_platform_admins_save_templates(
    client: httpx.AsyncClient, role: Role
) -> None:
    response = await client.put(
        f"{TEMPLATES}/welcome_back", json={"channel": "sms", "body": "您好"}, headers=bearer(role)
    )

    refusal(response, 403, "forbidden")


@pytest.mark.parametrize(
    ("key", "payload", "field"),
    [
        ("welcome_back", {"channel": "sms", "body": "好" * 71}, "body.body"),
        ("welcome_back", {"channel": "sms", "body": "您好 {member id}"}, "body.body"),
        ("welcome_back", {"channel": "fax", "body": "您好"}, "body.channel"),
        ("welcome_back", {"channel": "sms", "body": "您好", "brand": "x"}, "body.brand"),
        ("Welcome-Back", {"channel": "sms", "body": "您好"}, "path.key"),
    ],
)
async def test_a_template_refused_names_the_field(
    client: httpx.AsyncClient, key: str, payload: dict[str, Any], field: str
) -> None:
    response = await client.put(f"{TEMPLATES}/{key}", json=payload, headers=bearer())

    error = refusal(response, 422)
    assert [problem["field"] for problem in error["fields"]] == [field]
