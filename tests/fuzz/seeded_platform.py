"""The five services on real PostgreSQL, Redis and Kafka, with one brand seeded through them.

Each service runs its real app (its bootstrap's ``definition``, ``build_app`` and lifespan:
migrations, outbox relay, consumers, workers) on a fresh database of its own. All share one
fresh topic prefix, so identity's events reach the other services' replicas as in
production. The apps are served in-process by schemathesis's ASGI client, whose event loop
runs their lifespans too: the requests and the app's pools live on one loop, as under a
server.
"""

from __future__ import annotations

import asyncio
import importlib
import typing
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import requests
from fastapi import FastAPI
from rapport_events.topics import all_topics, ensure_topics
from rapport_platform.auth import Principal, Role, mint_token
from rapport_platform.service import ServiceDefinition, build_app
from rapport_platform.settings import ServiceSettings
from schemathesis.python.asgi import ASGIClient, get_client, shutdown_lifespans

from tests.support.infrastructure import Endpoints
from tests.support.polling import eventually

SECRET = "fuzz-test-secret-that-is-long-enough-for-hs256"
PACKAGES = ("identity", "service_orders", "loyalty", "journey", "notifier")
SETTLE_TIMEOUT = 30.0


@dataclass
class Service:
    """One running service of the platform."""

    package: str
    definition: ServiceDefinition
    app: FastAPI
    client: ASGIClient
    database: str


@dataclass
class SeededBrand:
    """What was created through the services; ids by their prefix (``mbr`` -> [...])."""

    brand_id: str
    hq_token: str
    invite_code: str
    ids: dict[str, list[str]] = field(default_factory=dict)

    def add(self, identifier: str) -> str:
        self.ids.setdefault(identifier.split("_", 1)[0], []).append(identifier)
        return identifier

    def first(self, prefix: str) -> str:
        return self.ids[prefix][0]

    @property
    def hq(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.hq_token}"}


@dataclass
class Platform:
    services: dict[str, Service]
    brand: SeededBrand


def platform_admin() -> dict[str, str]:
    admin = Principal(subject="fuzz-ops", role=Role.PLATFORM_ADMIN)
    return {"Authorization": f"Bearer {mint_token(SECRET, admin, now=datetime.now(UTC))}"}


def settings_class(definition: Callable[..., ServiceDefinition]) -> type[ServiceSettings]:
    """The settings type a bootstrap's ``definition(settings: X | None = None)`` takes."""
    hint = typing.get_type_hints(definition)["settings"]
    [kind] = [arg for arg in typing.get_args(hint) if arg is not type(None)]
    if not (isinstance(kind, type) and issubclass(kind, ServiceSettings)):
        raise TypeError(f"{definition.__module__}.definition takes {hint}, not service settings")
    settings: type[ServiceSettings] = kind
    return settings


def start(package: str, settings: Mapping[str, Any]) -> Service:
    """Build and start one service."""
    bootstrap = importlib.import_module(f"{package}.bootstrap")
    definition = bootstrap.definition(settings_class(bootstrap.definition)(**settings))
    app = build_app(definition)
    # FastAPI types its scope as a MutableMapping, schemathesis as a dict: the same thing.
    client = get_client(typing.cast(Any, app))
    client.__enter__()  # starts the lifespan, stopped by shutdown_lifespans()
    return Service(package, definition, app, client, database=str(settings["database_url"]))


def expect(response: requests.Response, status: int) -> Any:
    assert response.status_code == status, f"{response.request.url}: {response.text}"
    return response.json()


def seed_organisation(identity: ASGIClient) -> SeededBrand:
    """A brand with its HQ, two stores, a manager, an associate and two members."""
    created = expect(
        identity.post(
            "/v1/brands",
            json={
                "code": "fuzz",
                "name": "Fuzz",
                "hq_username": "hq",
                "hq_password": "hq-pass-2026",
            },
            headers=platform_admin(),
        ),
        201,
    )
    login = {"brand_code": "fuzz", "username": "hq", "password": "hq-pass-2026"}
    token = expect(identity.post("/v1/auth/token", json=login), 200)["access_token"]
    brand = SeededBrand(brand_id=created["brand_id"], hq_token=token, invite_code="")
    brand.add(created["brand_id"])
    brand.add(created["hq_staff_id"])
    for name in ("Jing'an", "Tianhe"):
        store = expect(
            identity.post("/v1/stores", json={"name": name, "city": "SH"}, headers=brand.hq), 201
        )
        brand.add(store["store_id"])
    _seed_staff(identity, brand)
    _seed_members(identity, brand)
    return brand


def _seed_staff(identity: ASGIClient, brand: SeededBrand) -> None:
    store = brand.first("sto")
    for role, username in (("associate", "lina"), ("store_manager", "zhaolei")):
        staff = {
            "store_id": store,
            "role": role,
            "display_name": username.title(),
            "username": username,
            "password": f"{username}-pass-2026",
        }
        created = expect(identity.post("/v1/staff", json=staff, headers=brand.hq), 201)
        brand.add(created["staff_id"])
        brand.invite_code = brand.invite_code or created["invite_code"]


def _seed_members(identity: ASGIClient, brand: SeededBrand) -> None:
    stores = brand.ids["sto"]
    members = [
        {"name": "梁晓雯", "surname": "梁", "phone": "13700001111", "gender": "female",
         "store_id": stores[0], "invite_code": brand.invite_code},
        {"name": "Zhou Min", "surname": "Zhou", "phone": "13600002222", "store_id": stores[1]},
    ]  # fmt: skip
    for member in members:
        created = expect(identity.post("/v1/members", json=member, headers=brand.hq), 201)
        brand.add(created["member_id"])


def seed_orders(service_orders: ASGIClient, brand: SeededBrand) -> None:
    """Two bookings of the first member, the second completed (its visit reviewable), and a
    purchase."""
    member, store = brand.first("mbr"), brand.first("sto")
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    booking = {"member_id": member, "store_id": store, "service_code": "gel-manicure",
               "scheduled_at": tomorrow}  # fmt: skip
    for _ in range(2):
        booked = expect(
            service_orders.post("/v1/appointments", json=booking, headers=brand.hq), 201
        )
        brand.add(booked["appointment_id"])
    completion = {"amount": "268.00", "served_by": brand.ids["stf"][1]}
    completed = f"/v1/appointments/{brand.ids['apt'][1]}/completion"
    visited = expect(service_orders.post(completed, json=completion, headers=brand.hq), 200)
    brand.add(visited["visit"]["visit_id"])  # what a review names
    purchase = {"member_id": member, "store_id": store, "amount": "580.00",
                "description": "Hand-care set"}  # fmt: skip
    bought = expect(service_orders.post("/v1/purchases", json=purchase, headers=brand.hq), 201)
    brand.add(bought["purchase_id"])


@asynccontextmanager
async def fresh_databases(
    endpoints: Endpoints, names: Iterable[str]
) -> AsyncIterator[dict[str, str]]:
    """One new database per name, dropped afterwards; their DSNs by name."""
    run = uuid.uuid4().hex[:8]
    databases = {name: f"fz_{run}_{name}" for name in names}
    admin = await asyncpg.connect(endpoints.pg_dsn)
    base = endpoints.pg_dsn.rpartition("/")[0]
    try:
        for database in databases.values():
            await admin.execute(f'CREATE DATABASE "{database}"')
        yield {name: f"{base}/{database}" for name, database in databases.items()}
    finally:
        for database in databases.values():
            await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.close()


async def settle(services: Iterable[Service]) -> None:
    """Wait until every running service has processed every event it subscribes to."""
    running = [service for service in services if service.definition and service.client]
    async with AsyncExitStack() as stack:
        connections = {
            service.package: await stack.enter_async_context(_connection(service.database))
            for service in running
        }
        published = [
            row for service in running for row in await _outbox(connections[service.package])
        ]
        awaited = {service.package: _awaited(service, published) for service in running}

        async def missing() -> dict[str, set[str]]:
            late = {}
            for package, ids in awaited.items():
                rows = await connections[package].fetch(
                    "SELECT event_id FROM processed_events WHERE event_id = ANY($1)", list(ids)
                )
                late[package] = ids - {row["event_id"] for row in rows}
            return {package: ids for package, ids in late.items() if ids}

        async def settled() -> bool:
            return not await missing()

        try:
            await eventually(settled, timeout=SETTLE_TIMEOUT, what="every event consumed")
        except AssertionError as error:
            raise AssertionError(f"{error}; still unprocessed: {await missing()}") from None


@asynccontextmanager
async def _connection(dsn: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(dsn)
    try:
        yield connection
    finally:
        await connection.close()


async def _outbox(connection: asyncpg.Connection) -> list[tuple[str, str, str]]:
    rows = await connection.fetch("SELECT topic, envelope->>'type' AS type, event_id FROM outbox")
    return [(row["topic"], row["type"], row["event_id"]) for row in rows]


def _awaited(service: Service, published: list[tuple[str, str, str]]) -> set[str]:
    assert service.definition is not None
    handled = {
        (subscription.topic, kind.event_type)
        for subscription in service.definition.subscriptions
        for kind in subscription.handlers
    }
    return {event_id for topic, kind, event_id in published if (topic, kind) in handled}


def settings_for(endpoints: Endpoints, database: str, prefix: str) -> dict[str, Any]:
    return {
        "env": "test",
        "database_url": database,
        **endpoints.kafka_settings(),
        "redis_url": endpoints.redis_url,
        "topic_prefix": prefix,
        "kafka_partitions": 3,
        "auth_secret": SECRET,
        "relay_poll_interval": 0.05,
        "timer_poll_interval": 0.05,
    }


@asynccontextmanager
async def seeded_platform(endpoints: Endpoints) -> AsyncIterator[Platform]:
    """Every service started and one brand seeded through identity and service-orders."""
    prefix = f"fz{uuid.uuid4().hex[:10]}."
    await ensure_topics(endpoints.kafka, all_topics(prefix), partitions=3)
    async with fresh_databases(endpoints, PACKAGES) as databases:
        services: dict[str, Service] = {}
        try:
            for package in PACKAGES:
                settings = settings_for(endpoints, databases[package], prefix)
                services[package] = await asyncio.to_thread(start, package, settings)
            brand = await asyncio.to_thread(seed_organisation, services["identity"].client)
            await settle(services.values())
            await asyncio.to_thread(seed_orders, services["service_orders"].client, brand)
            await settle(services.values())
            yield Platform(services, brand)
        finally:
            await asyncio.to_thread(shutdown_lifespans)
