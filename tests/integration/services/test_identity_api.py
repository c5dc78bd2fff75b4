"""Identity's API on a real database: precise errors, tenant isolation, masking, audit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio
from aiokafka.errors import TopicAuthorizationFailedError
from identity.bootstrap import definition
from identity.settings import IdentitySettings
from rapport_events.topics import SERVICE_ORDERS
from rapport_platform.auth import Principal, Role, mint_token

from tests.integration.kafka.test_access import producer, refused_after_rotation
from tests.support.apps import RunningService, running
from tests.support.infrastructure import Endpoints, authenticating_kafka
from tests.support.services import service_settings

SECRET = "identity-integration-secret-0123456789"


@pytest_asyncio.fixture
async def identity(
    endpoints: Endpoints, database: str, topic_prefix: str
) -> AsyncIterator[RunningService]:
    settings = service_settings(
        IdentitySettings, endpoints, database, topic_prefix, auth_secret=SECRET
    )
    async with running(definition(settings)) as service:
        yield service


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def brand_with_store(client: httpx.AsyncClient, code: str) -> dict[str, Any]:
    admin = mint_token(
        SECRET, Principal(subject="ops", role=Role.PLATFORM_ADMIN), now=datetime.now(UTC)
    )
    body = {"code": code, "name": code.title(), "hq_username": "hq", "hq_password": "hq-pass-123"}
    assert (await client.post("/v1/brands", json=body, headers=bearer(admin))).status_code == 201
    login = await client.post(
        "/v1/auth/token", json={"brand_code": code, "username": "hq", "password": "hq-pass-123"}
    )
    token = login.json()["access_token"]
    store = await client.post(
        "/v1/stores", json={"name": "Main", "city": "Hangzhou"}, headers=bearer(token)
    )
    return {"token": token, "store_id": store.json()["store_id"]}


def member(store_id: str, phone: str = "+86 139-0000-1111") -> dict[str, Any]:
    return {
        "name": "陈思思",
        "surname": "陈",
        "phone": phone,
        "gender": "female",
        "store_id": store_id,
    }


async def test_bad_input_is_answered_with_the_field_and_what_to_do(
    identity: RunningService,
) -> None:
    client = identity.client
    brand = await brand_with_store(client, "nails")
    headers = bearer(brand["token"])

    bad_phone = await client.post(
        "/v1/members", json=member(brand["store_id"], "12345"), headers=headers
    )
    created = await client.post("/v1/members", json=member(brand["store_id"]), headers=headers)
    duplicate = await client.post(
        "/v1/members", json=member(brand["store_id"], "13900001111"), headers=headers
    )
    no_token = await client.post("/v1/members", json=member(brand["store_id"]))

    assert bad_phone.status_code == 422
    assert bad_phone.json()["error"]["fields"][0]["field"] == "body.phone"
    assert created.status_code == 201
    assert duplicate.status_code == 409
    assert "already registered" in duplicate.json()["error"]["message"]
    assert no_token.status_code == 401
    assert "Bearer" in no_token.json()["error"]["message"]


async def test_another_brand_cannot_see_a_member_and_personal_data_is_encrypted(
    identity: RunningService, pool: asyncpg.Pool
) -> None:
    client = identity.client
    ours = await brand_with_store(client, "ours")
    theirs = await brand_with_store(client, "theirs")
    created = await client.post(
        "/v1/members", json=member(ours["store_id"]), headers=bearer(ours["token"])
    )
    member_id = created.json()["member_id"]

    seen_by_us = await client.get(f"/v1/members/{member_id}", headers=bearer(ours["token"]))
    seen_by_them = await client.get(f"/v1/members/{member_id}", headers=bearer(theirs["token"]))

    assert seen_by_us.status_code == 200
    assert seen_by_us.json()["phone"] == "+8613900001111"
    assert seen_by_them.status_code == 404
    stored = await pool.fetchrow("SELECT * FROM members WHERE member_id = $1", member_id)
    assert stored is not None
    assert "13900001111" not in " ".join(str(value) for value in stored.values())
    assert "陈思思" not in " ".join(str(value) for value in stored.values())


async def test_every_request_is_audited_with_who_and_what(
    identity: RunningService, pool: asyncpg.Pool
) -> None:
    client = identity.client
    brand = await brand_with_store(client, "audited")
    created = await client.post(
        "/v1/members", json=member(brand["store_id"]), headers=bearer(brand["token"])
    )
    member_id = created.json()["member_id"]
    await client.get(f"/v1/members/{member_id}", headers=bearer(brand["token"]))
    await identity.app.state.audit.flush()

    rows = await pool.fetch(
        "SELECT role, method, route, status, resource_ids::text AS ids FROM audit_log"
        " WHERE route = '/v1/members/{member_id}'"
    )
    assert [(r["role"], r["method"], r["status"]) for r in rows] == [("hq", "GET", 200)]
    assert member_id in rows[0]["ids"]


async def test_lists_answer_pages_with_cursors_on_the_database(identity: RunningService) -> None:
    client = identity.client
    brand = await brand_with_store(client, "paged")
    headers = bearer(brand["token"])
    for name in ("Tianhe", "Jing'an"):
        await client.post("/v1/stores", json={"name": name, "city": "SH"}, headers=headers)
    for index in range(3):
        body = member(brand["store_id"], f"1390000{index:04d}")
        assert (await client.post("/v1/members", json=body, headers=headers)).status_code == 201

    stores = await client.get("/v1/stores", params={"limit": 2}, headers=headers)
    more_stores = await client.get(
        "/v1/stores", params={"cursor": stores.json()["next_cursor"]}, headers=headers
    )
    members = await client.get("/v1/members", params={"limit": 2}, headers=headers)
    more_members = await client.get(
        "/v1/members", params={"cursor": members.json()["next_cursor"]}, headers=headers
    )
    staff = await client.get("/v1/staff", headers=headers)
    bad = await client.get("/v1/members", params={"cursor": "garbage"}, headers=headers)

    names = [s["name"] for s in stores.json()["items"] + more_stores.json()["items"]]
    assert names == ["Jing'an", "Main", "Tianhe"]
    assert more_stores.json()["next_cursor"] is None
    listed = members.json()["items"] + more_members.json()["items"]
    assert len({m["member_id"] for m in listed}) == 3
    assert more_members.json()["next_cursor"] is None
    assert [s["username"] for s in staff.json()["items"]] == ["hq"]
    assert staff.json()["next_cursor"] is None
    assert bad.status_code == 422
    assert bad.json()["error"]["fields"][0]["field"] == "query.cursor"


async def test_hq_gets_kafka_credentials_that_write_to_its_ingestion_topic_only(
    identity: RunningService, endpoints: Endpoints, caplog: pytest.LogCaptureFixture
) -> None:
    authenticating_kafka(endpoints)
    hq = bearer((await brand_with_store(identity.client, "kafkabrand"))["token"])
    route = "/v1/integrations/kafka-credentials"

    platform_topic = identity.runtime.settings.topic_prefix + SERVICE_ORDERS
    first = (await identity.client.post(route, headers=hq)).json()
    issued = endpoints.kafka.as_user(first["username"], first["password"])
    async with producer(issued) as client:
        await client.send_and_wait(first["topic"], b"{}", key=b"mbr_1")
        with pytest.raises(TopicAuthorizationFailedError):
            await client.send_and_wait(platform_topic, b"{}")

    second = (await identity.client.post(route, headers=hq)).json()
    assert "SaslAuthenticationFailed" in await refused_after_rotation(issued, caplog)
    async with producer(endpoints.kafka.as_user(second["username"], second["password"])) as c:
        await c.send_and_wait(second["topic"], b"{}", key=b"mbr_1")
    assert first["password"] not in caplog.text and second["password"] not in caplog.text
