"""HQ hands its brand's outside systems Kafka credentials; nobody else can, and they rotate."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from identity.entrypoints.errors import ERRORS
from identity.entrypoints.http import router
from rapport_platform.auth import Role

from tests.support.http import api_app, api_client, bearer, ok, principal, refused
from tests.unit.identity.world import World, new_world

ROUTE = "/v1/integrations/kafka-credentials"


@pytest_asyncio.fixture
async def world() -> World:
    world = new_world()
    await world.brand()
    return world


@pytest_asyncio.fixture
async def client(world: World) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(api_app([router(world.handlers, world.queries)], ERRORS)) as client:
        yield client


def hq_of(world: World) -> dict[str, str]:
    return bearer(principal(Role.HQ, brand_id=world.brand_id, subject=world.hq_actor.subject))


async def test_hq_gets_credentials_for_its_own_brands_topic_only(
    client: httpx.AsyncClient, world: World
) -> None:
    response = await client.post(ROUTE, headers=hq_of(world))

    body = ok(response, 201)
    assert response.headers["cache-control"] == "no-store"
    assert body["brand_id"] == world.brand_id
    assert body["topic"] == f"rapport.ingest.{world.brand_id}"
    assert body["username"] == f"ingest-{world.brand_id}"
    assert (body["security_protocol"], body["sasl_mechanism"]) == (
        "SASL_PLAINTEXT",
        "SCRAM-SHA-512",
    )
    assert world.ingestion.valid == {body["username"]: body["password"]}
    assert body["librdkafka"]["partitioner"] == "murmur2_random"
    assert body["librdkafka"]["sasl.password"] == body["password"]


async def test_asking_again_rotates_the_password(client: httpx.AsyncClient, world: World) -> None:
    first = ok(await client.post(ROUTE, headers=hq_of(world)), 201)
    second = ok(await client.post(ROUTE, headers=hq_of(world)), 201)

    assert first["password"] != second["password"]
    assert world.ingestion.valid == {second["username"]: second["password"]}


@pytest.mark.parametrize("role", [Role.STORE_MANAGER, Role.ASSOCIATE, Role.INTEGRATION])
async def test_other_roles_are_refused_and_nothing_is_provisioned(
    client: httpx.AsyncClient, world: World, role: Role
) -> None:
    caller = bearer(principal(role, brand_id=world.brand_id, store_id="sto_1"))
    refused(await client.post(ROUTE, headers=caller), 403, "forbidden")
    assert world.ingestion.valid == {}


async def test_without_a_token_nothing_is_provisioned(
    client: httpx.AsyncClient, world: World
) -> None:
    refused(await client.post(ROUTE), 401, "unauthenticated")
    assert world.ingestion.valid == {}


async def test_a_brand_that_does_not_exist_gets_none(
    client: httpx.AsyncClient, world: World
) -> None:
    ghost = bearer(principal(Role.HQ, brand_id="brd_" + "0" * 32))
    refused(await client.post(ROUTE, headers=ghost), 404, "brand_not_found")
    assert world.ingestion.valid == {}


async def test_a_kafka_without_logins_is_a_clear_refusal(
    client: httpx.AsyncClient, world: World
) -> None:
    world.ingestion.unavailable = True
    response = await client.post(ROUTE, headers=hq_of(world))
    body = refused(response, 409, "ingestion_unavailable")
    assert "SASL" in body["message"]


async def test_the_password_is_never_logged(
    client: httpx.AsyncClient, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        body = ok(await client.post(ROUTE, headers=hq_of(world)), 201)
    assert body["password"] not in caplog.text
