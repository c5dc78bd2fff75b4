"""Every write endpoint, tried with references from another brand, another store and nowhere.

Each case sends one write naming one bad reference and expects the refusal, with nothing
stored, no idempotency key used up and nothing emitted. A reference that exists elsewhere must
be answered exactly like one that exists nowhere: the twin cases compare whole bodies.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import count
from typing import Any

import httpx
import pytest
from rapport_events.clock import ManualClock
from rapport_events.uow import InMemoryDatabase
from rapport_platform.auth import Role
from service_orders.adapters.memory import in_memory_database, unit_of_work_factory
from service_orders.application.handlers import ServiceOrdersHandlers
from service_orders.application.queries import ServiceOrdersQueries
from service_orders.entrypoints.errors import ERRORS
from service_orders.entrypoints.http import router

from tests.support.http import api_app, api_client, bearer, principal
from tests.unit.service_orders.world import (
    ASSOCIATE,
    BRAND,
    MEMBER,
    NOBODY,
    NOWHERE,
    OTHER_BRAND,
    OTHER_BRANDS_ASSOCIATE,
    OTHER_BRANDS_MEMBER,
    OTHER_BRANDS_STORE,
    SECOND_STORE,
    SECOND_STORES_MANAGER,
    STORE,
    known_world,
)

NOON = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TOMORROW = "2026-03-02T15:00:00+08:00"

OURS, THEIRS, NO_APPOINTMENT = "<our appointment>", "<their appointment>", "apt_does_not_exist"
"""Appointments the path cases name: brand 1's at store 1, brand 2's, and one never booked."""

CALLERS = {
    "hq": principal(Role.HQ, brand_id=BRAND, subject="hq-anna"),
    "manager of store 2": principal(
        Role.STORE_MANAGER, brand_id=BRAND, store_id=SECOND_STORE, subject=SECOND_STORES_MANAGER
    ),
    "associate of store 1": principal(
        Role.ASSOCIATE, brand_id=BRAND, store_id=STORE, subject=ASSOCIATE
    ),
    "brand 2": principal(Role.HQ, brand_id=OTHER_BRAND, subject="hq-bo"),
}


@dataclass(frozen=True)
class Refusal:
    status: int
    code: str
    field: str | None = None


def unknown(field: str) -> Refusal:
    return Refusal(422, "unknown_reference", f"body.{field}")


MISSING = Refusal(404, "not_found")


@dataclass(frozen=True)
class Case:
    write: str
    kind: str
    names: dict[str, str]
    expected: Refusal
    caller: str = "hq"

    @property
    def reference(self) -> str:
        """The one reference the case names."""
        [named] = self.names.values()
        return named

    @property
    def id(self) -> str:
        return f"{self.write}: {self.kind} ({self.caller})"


def _order_cases(write: str) -> list[Case]:
    """A booking or a purchase: the member and the store it names."""
    member, store = unknown("member_id"), unknown("store_id")
    elsewhere = "another store of the brand"
    return [
        Case(write, "another brand's member", {"member_id": OTHER_BRANDS_MEMBER}, member),
        Case(write, "another brand's store", {"store_id": OTHER_BRANDS_STORE}, store),
        Case(write, "no such member", {"member_id": NOBODY}, member),
        Case(write, "no such store", {"store_id": NOWHERE}, store),
        Case(write, elsewhere, {"store_id": STORE}, store, "manager of store 2"),
        Case(write, elsewhere, {"store_id": SECOND_STORE}, store, "associate of store 1"),
        Case(write, "no such store", {"store_id": NOWHERE}, store, "associate of store 1"),
    ]


def _appointment_cases(write: str) -> list[Case]:
    """A completion or a cancellation: the appointment its path names."""
    return [
        Case(write, "another brand's appointment", {"appointment_id": THEIRS}, MISSING),
        Case(write, "no such appointment", {"appointment_id": NO_APPOINTMENT}, MISSING),
        Case(
            write, "another store's appointment", {"appointment_id": OURS}, MISSING,
            "manager of store 2",
        ),
    ]  # fmt: skip


CASES = [
    *_order_cases("book"),
    *_order_cases("purchase"),
    *_appointment_cases("complete"),
    *_appointment_cases("cancel"),
    Case(
        "complete",
        "another brand's staff",
        {"served_by": OTHER_BRANDS_ASSOCIATE},
        unknown("served_by"),
    ),
    Case("complete", "no such staff", {"served_by": "stf_does_not_exist"}, unknown("served_by")),
]

TWINS = [
    *[
        (write, elsewhere, nowhere, caller)
        for write in ("book", "purchase")
        for elsewhere, nowhere, caller in [
            ("another brand's member", "no such member", "hq"),
            ("another brand's store", "no such store", "hq"),
            ("another store of the brand", "no such store", "associate of store 1"),
        ]
    ],
    *[
        (write, "another brand's appointment", "no such appointment", "hq")
        for write in ("complete", "cancel")
    ],
    ("complete", "another brand's staff", "no such staff", "hq"),
]
"""(write, a case naming something that exists elsewhere, its twin naming nothing, caller)."""


def case(write: str, kind: str, caller: str) -> Case:
    return next(c for c in CASES if (c.write, c.kind, c.caller) == (write, kind, caller))


def request_of(write: str, names: dict[str, str]) -> tuple[str, dict[str, Any] | None]:
    """The path and body of ``write`` naming good references except those in ``names``."""
    refs = {"member_id": MEMBER, "store_id": STORE, "appointment_id": OURS, **names}
    order = {"member_id": refs["member_id"], "store_id": refs["store_id"]}
    appointment = f"/v1/appointments/{refs['appointment_id']}"
    if write == "book":
        return "/v1/appointments", {**order, "service_code": "gel", "scheduled_at": TOMORROW}
    if write == "purchase":
        return "/v1/purchases", {**order, "amount": "580.00"}
    if write == "complete":
        return f"{appointment}/completion", {"amount": "268", "served_by": refs.get("served_by")}
    return f"{appointment}/cancellation", None


@dataclass
class World:
    http: httpx.AsyncClient
    database: InMemoryDatabase
    appointments: dict[str, str]

    async def send(self, write: str, names: dict[str, str], caller: str) -> httpx.Response:
        path, body = request_of(write, names)
        for placeholder, appointment_id in self.appointments.items():
            path = path.replace(placeholder, appointment_id)
        # A fresh key each time: a refusal must not use it up (checked by ``state``).
        headers = {**bearer(CALLERS[caller], now=NOON), "Idempotency-Key": str(uuid.uuid4())}
        return await self.http.post(path, json=body, headers=headers)

    def state(self) -> tuple[Any, ...]:
        tables = self.database.tables
        stored = (tables.appointments, tables.purchases, tables.idempotency_keys)
        return (*copy.deepcopy(stored), len(self.database.committed))


@pytest.fixture
async def world() -> AsyncIterator[World]:
    database = known_world(in_memory_database())
    numbers, clock = count(1), ManualClock(NOON)
    unit_of_work = unit_of_work_factory(database, clock)
    handlers = ServiceOrdersHandlers(
        unit_of_work, clock, new_id=lambda prefix: f"{prefix}_{next(numbers)}"
    )
    app = api_app([router(handlers, ServiceOrdersQueries(unit_of_work))], ERRORS, now=NOON)
    async with api_client(app) as http:
        world = World(http, database, {})
        ours = await world.send("book", {}, "hq")
        theirs = await world.send(
            "book", {"member_id": OTHER_BRANDS_MEMBER, "store_id": OTHER_BRANDS_STORE}, "brand 2"
        )
        assert (ours.status_code, theirs.status_code) == (201, 201), theirs.text
        world.appointments = {
            OURS: ours.json()["appointment_id"],
            THEIRS: theirs.json()["appointment_id"],
        }
        yield world


@pytest.mark.parametrize("attempt", CASES, ids=lambda c: c.id)
async def test_a_write_naming_a_reference_out_of_reach_is_refused_and_changes_nothing(
    world: World, attempt: Case
) -> None:
    before = world.state()

    response = await world.send(attempt.write, attempt.names, attempt.caller)

    expected = attempt.expected
    assert response.status_code == expected.status, response.text
    error = response.json()["error"]
    assert error["code"] == expected.code
    named = [problem["field"] for problem in error.get("fields", [])]
    assert named == ([expected.field] if expected.field else [])
    assert world.state() == before


@pytest.mark.parametrize(("write", "elsewhere", "nowhere", "caller"), TWINS)
async def test_a_reference_elsewhere_is_answered_like_one_that_does_not_exist(
    world: World, write: str, elsewhere: str, nowhere: str, caller: str
) -> None:
    existing, missing = case(write, elsewhere, caller), case(write, nowhere, caller)

    first = await world.send(write, existing.names, caller)
    second = await world.send(write, missing.names, caller)

    assert first.status_code == second.status_code
    reference_of = {OURS: world.appointments[OURS], THEIRS: world.appointments[THEIRS]}
    shown = reference_of.get(existing.reference, existing.reference)
    assert first.text.replace(shown, "<id>") == second.text.replace(missing.reference, "<id>")
    assert shown in first.text


async def test_a_member_may_visit_and_buy_at_another_store_of_her_brand(world: World) -> None:
    booked = await world.send("book", {"store_id": SECOND_STORE}, "hq")
    bought = await world.send("purchase", {"store_id": SECOND_STORE}, "manager of store 2")

    assert (booked.status_code, bought.status_code) == (201, 201), bought.text
    assert bought.json()["brand_id"] == BRAND
    assert [envelope.brandid for envelope in world.database.committed][-2:] == [BRAND, BRAND]
