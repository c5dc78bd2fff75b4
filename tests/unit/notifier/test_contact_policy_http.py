"""``GET`` and ``PUT /v1/contact-policy`` on the in-memory unit of work, and the
``TemplateSaved`` announcement of ``PUT /v1/templates/{key}``."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from notifier.adapters.memory import in_memory_database
from notifier.entrypoints.errors import ERRORS
from notifier.entrypoints.http import router
from notifier.entrypoints.schemas import ContactPolicyIn
from rapport_events.contracts.notifier import TemplateSaved
from rapport_events.registry import registry
from rapport_events.topics import NOTIFIER_TEMPLATES
from rapport_events.uow import InMemoryDatabase
from rapport_platform.auth import Role

from tests.support.http import BRAND, NOW, api_app, api_client, bearer, ok, principal
from tests.support.http import refused as refusal
from tests.unit.notifier.builders import handlers_on, queries_on

POLICY = "/v1/contact-policy"
OTHER_BRAND = "brd_2"
DEFAULT: dict[str, Any] = {
    "marketing_cap": {"limit": 2, "window_days": 7},
    "quiet_hours": {
        "enabled": True,
        "start": "21:00",
        "end": "08:00",
        "time_zone": "Asia/Shanghai",
    },
}
TOKYO: dict[str, Any] = {
    "marketing_cap": {"limit": 3, "window_days": 14},
    "quiet_hours": {"enabled": False, "start": "22:00", "end": "09:30", "time_zone": "Asia/Tokyo"},
}


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


def with_quiet_hours(**changes: Any) -> dict[str, Any]:
    return {**DEFAULT, "quiet_hours": {**DEFAULT["quiet_hours"], **changes}}


async def test_a_brand_without_a_policy_of_its_own_has_the_default(
    client: httpx.AsyncClient,
) -> None:
    body = ok(await client.get(POLICY, headers=bearer(Role.ASSOCIATE)))

    assert body == {**DEFAULT, "source": "default", "updated_at": None, "updated_by": None}


async def test_hq_replaces_the_policy_and_every_role_of_the_brand_reads_it(
    client: httpx.AsyncClient,
) -> None:
    saved = ok(await client.put(POLICY, json=TOKYO, headers=bearer(Role.HQ)))

    expected = {
        **TOKYO,
        "source": "brand",
        "updated_at": "2026-03-02T09:00:00Z",
        "updated_by": principal(Role.HQ).subject,
    }
    assert saved == expected
    for role in (Role.HQ, Role.STORE_MANAGER, Role.ASSOCIATE):
        assert ok(await client.get(POLICY, headers=bearer(role))) == expected
    theirs = ok(await client.get(POLICY, headers=bearer(principal(brand_id=OTHER_BRAND))))
    assert theirs["source"] == "default"


@pytest.mark.parametrize("role", [Role.STORE_MANAGER, Role.ASSOCIATE, Role.INTEGRATION])
async def test_only_hq_and_platform_admins_change_the_policy(
    client: httpx.AsyncClient, role: Role
) -> None:
    refusal(await client.put(POLICY, json=TOKYO, headers=bearer(role)), 403, "forbidden")

    assert ok(await client.get(POLICY, headers=bearer()))["source"] == "default"


async def test_a_platform_admin_acts_on_the_brand_she_names(client: httpx.AsyncClient) -> None:
    admin = bearer(principal(Role.PLATFORM_ADMIN, brand_id=None))

    ok(await client.put(POLICY, params={"brand_id": BRAND}, json=TOKYO, headers=admin))

    assert ok(await client.get(POLICY, headers=bearer()))["source"] == "brand"


async def test_another_brand_does_not_exist_for_hq(client: httpx.AsyncClient) -> None:
    params = {"brand_id": OTHER_BRAND}

    refusal(await client.get(POLICY, params=params, headers=bearer()), 404, "not_found")
    refusal(await client.put(POLICY, params=params, json=TOKYO, headers=bearer()), 404)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (with_quiet_hours(time_zone="Mars/Olympus"), "body.quiet_hours.time_zone"),
        (with_quiet_hours(time_zone="shanghai"), "body.quiet_hours.time_zone"),
        (with_quiet_hours(start="9pm"), "body.quiet_hours.start"),
        (with_quiet_hours(end="24:00"), "body.quiet_hours.end"),
        (with_quiet_hours(end="21:00"), "body.quiet_hours.end"),
        ({**DEFAULT, "marketing_cap": {"limit": -1, "window_days": 7}}, "body.marketing_cap.limit"),
        (
            {**DEFAULT, "marketing_cap": {"limit": 2, "window_days": 0}},
            "body.marketing_cap.window_days",
        ),
        ({"marketing_cap": DEFAULT["marketing_cap"]}, "body.quiet_hours"),
    ],
)
async def test_a_bad_policy_is_refused_naming_the_field(
    client: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    detail = refusal(await client.put(POLICY, json=body, headers=bearer()), 422)

    assert [problem["field"] for problem in detail["fields"]] == [field]
    assert ok(await client.get(POLICY, headers=bearer()))["source"] == "default"


def test_every_example_of_the_request_is_accepted() -> None:
    schema = ContactPolicyIn.model_json_schema()

    for example in schema["examples"]:
        ContactPolicyIn.model_validate(example)


@pytest.mark.parametrize("example", [DEFAULT, TOKYO])
async def test_the_documented_examples_are_saved_as_given(
    client: httpx.AsyncClient, example: dict[str, Any]
) -> None:
    saved = ok(await client.put(POLICY, json=example, headers=bearer()))

    assert {key: saved[key] for key in example} == example


async def test_saving_a_template_announces_it_for_journeys_replica(
    client: httpx.AsyncClient, database: InMemoryDatabase
) -> None:
    body = {"channel": "task", "body": "会员 {member_id} 需要回访"}

    ok(await client.put("/v1/templates/spring_call_task", json=body, headers=bearer()))

    [envelope] = database.published(TemplateSaved)
    assert registry.decode(envelope) == TemplateSaved(
        brand_id=BRAND, key="spring_call_task", channel="task", is_task=True, saved_at=NOW
    )
    assert envelope.brandid == BRAND and envelope.subject == BRAND
    assert TemplateSaved.topic == NOTIFIER_TEMPLATES


async def test_a_refused_template_announces_nothing(
    client: httpx.AsyncClient, database: InMemoryDatabase
) -> None:
    body = {"channel": "sms", "body": "好" * 71}

    refusal(await client.put("/v1/templates/welcome_back", json=body, headers=bearer()), 422)

    assert database.published(TemplateSaved) == []
