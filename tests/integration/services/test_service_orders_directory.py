"""Service-orders learns identity's members and stores from identity's events, on real Kafka
and PostgreSQL, and refuses a booking from another brand that names them."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest_asyncio
from rapport_events.contracts.identity import MemberBoundToAssociate, MemberRegistered, StoreOpened
from rapport_events.envelope import EventEnvelope
from rapport_events.topics import SERVICE_ORDERS, dead_letter_topic
from rapport_platform.auth import Principal, Role, mint_token
from service_orders.bootstrap import definition
from service_orders.settings import SERVICE_NAME, ServiceOrdersSettings

from tests.support.apps import RunningService, running
from tests.support.infrastructure import Endpoints
from tests.support.kafka import header, read_topic
from tests.support.polling import eventually
from tests.support.services import publish_wrapped, service_settings

SECRET = "service-orders-integration-secret-0123"
BRAND_A, BRAND_B = "brd_" + "a" * 32, "brd_" + "b" * 32
STORE_A, STORE_B = "sto_" + "a" * 32, "sto_" + "b" * 32
MEMBER_A, MEMBER_B = "mbr_" + "a" * 32, "mbr_" + "b" * 32

IdentityEvent = StoreOpened | MemberRegistered | MemberBoundToAssociate


@pytest_asyncio.fixture
async def service_orders(
    endpoints: Endpoints, database: str, topic_prefix: str
) -> AsyncIterator[RunningService]:
    settings = service_settings(
        ServiceOrdersSettings, endpoints, database, topic_prefix, auth_secret=SECRET
    )
    async with running(definition(settings)) as service:
        yield service


async def publish_as_identity(endpoints: Endpoints, prefix: str, *events: IdentityEvent) -> None:
    """What identity's outbox relay would put on its topics for ``events``."""
    now = datetime.now(UTC)
    await publish_wrapped(
        endpoints,
        prefix,
        *(
            (e, EventEnvelope.wrap(e, source="/rapport/identity", brand_id=e.brand_id, time=now))
            for e in events
        ),
    )


def hq_of(brand_id: str) -> dict[str, str]:
    caller = Principal(subject=f"stf_hq_{brand_id[-4:]}", role=Role.HQ, brand_id=brand_id)
    return {"Authorization": f"Bearer {mint_token(SECRET, caller, now=datetime.now(UTC))}"}


def booking(member_id: str, store_id: str) -> dict[str, Any]:
    return {
        "member_id": member_id,
        "store_id": store_id,
        "service_code": "gel-manicure",
        "scheduled_at": (datetime.now(UTC) + timedelta(hours=2)).isoformat(),
    }


async def book_once_known(
    client: httpx.AsyncClient, body: dict[str, Any], brand_id: str = BRAND_A
) -> httpx.Response:
    """Book as a client should right after a registration: retry ``unknown_reference`` with
    the same Idempotency-Key until the replica knows her (or the deadline passes)."""
    headers = {**hq_of(brand_id), "Idempotency-Key": str(uuid.uuid4())}

    async def attempt() -> httpx.Response | None:
        response = await client.post("/v1/appointments", json=body, headers=headers)
        refused_as_unknown = (
            response.status_code == 422 and response.json()["error"]["code"] == "unknown_reference"
        )
        return None if refused_as_unknown else response

    return await eventually(attempt, timeout=20, what="the replica to know her and her store")


def registration(member_id: str, brand_id: str, store_id: str) -> MemberRegistered:
    return MemberRegistered(
        member_id=member_id,
        brand_id=brand_id,
        store_id=store_id,
        surname="梁",
        registered_at=datetime.now(UTC),
    )


async def test_a_member_identity_announced_can_be_booked_in_her_brand_only(
    service_orders: RunningService, endpoints: Endpoints, topic_prefix: str
) -> None:
    client = service_orders.client
    now = datetime.now(UTC)
    await publish_as_identity(
        endpoints,
        topic_prefix,
        StoreOpened(store_id=STORE_A, brand_id=BRAND_A, opened_at=now),
        StoreOpened(store_id=STORE_B, brand_id=BRAND_B, opened_at=now),
        registration(MEMBER_A, BRAND_A, STORE_A),
        registration(MEMBER_B, BRAND_B, STORE_B),
    )

    booked = await book_once_known(client, booking(MEMBER_A, STORE_A))
    theirs = await book_once_known(client, booking(MEMBER_B, STORE_B), brand_id=BRAND_B)
    their_hq = hq_of(BRAND_B)
    our_member = await client.post(
        "/v1/appointments", json=booking(MEMBER_A, STORE_B), headers=their_hq
    )
    our_store = await client.post(
        "/v1/appointments", json=booking(MEMBER_B, STORE_A), headers=their_hq
    )

    assert (booked.status_code, theirs.status_code) == (201, 201), theirs.text
    assert booked.json()["brand_id"] == BRAND_A
    for refused, field in ((our_member, "body.member_id"), (our_store, "body.store_id")):
        assert refused.status_code == 422, refused.text
        error = refused.json()["error"]
        assert error["code"] == "unknown_reference"
        assert [problem["field"] for problem in error["fields"]] == [field]
    announced = await read_topic(endpoints.kafka, topic_prefix + SERVICE_ORDERS, expected=2)
    assert sorted(header(record, "ce_brandid") or "" for record in announced) == [
        BRAND_A,
        BRAND_B,
    ]


async def test_an_identity_event_naming_her_under_another_brand_is_dead_lettered(
    service_orders: RunningService, endpoints: Endpoints, topic_prefix: str
) -> None:
    now = datetime.now(UTC)
    hijack = MemberBoundToAssociate(
        member_id=MEMBER_A, brand_id=BRAND_B, store_id=STORE_B, associate_id="stf_b", bound_at=now
    )
    await publish_as_identity(
        endpoints,
        topic_prefix,
        StoreOpened(store_id=STORE_A, brand_id=BRAND_A, opened_at=now),
        registration(MEMBER_A, BRAND_A, STORE_A),
    )
    assert (await book_once_known(service_orders.client, booking(MEMBER_A, STORE_A))).is_success

    await publish_as_identity(endpoints, topic_prefix, hijack)

    [rejected] = await read_topic(
        endpoints.kafka, topic_prefix + dead_letter_topic(SERVICE_NAME), expected=1
    )
    assert "belongs to another brand" in (header(rejected, "dlq_reason") or "")
    still_hers = await service_orders.client.post(
        "/v1/appointments", json=booking(MEMBER_A, STORE_A), headers=hq_of(BRAND_A)
    )
    assert still_hers.status_code == 201, still_hers.text
