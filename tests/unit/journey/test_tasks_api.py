"""The tasks API on the in-memory unit of work: lists by urgency, actions, scope."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import httpx
import pytest_asyncio
from journey.adapters.memory import InMemoryJourneyUnitOfWork, journey_database, tables_of
from journey.application.ports import Task, TaskPriority
from journey.application.tasks import TaskHandlers, TaskQueries, reassign_open_tasks
from journey.domain.journey import MemberJourney
from journey.entrypoints.errors import ERRORS
from journey.entrypoints.http import tasks_router
from rapport_events.clock import ManualClock
from rapport_events.contracts.journey import TouchpointRequested
from rapport_events.uow import InMemoryDatabase
from rapport_platform.auth import Role

from tests.support.http import (
    BRAND,
    NOW,
    STORE,
    api_app,
    api_client,
    bearer,
    ok,
    principal,
    refused,
)

DAY = timedelta(days=1)
ASSOCIATE = "stf_lina"


def task(
    task_id: str,
    *,
    due_in: timedelta = DAY,
    priority: TaskPriority = "normal",
    assignee_id: str = ASSOCIATE,
    store_id: str = STORE,
    brand_id: str = BRAND,
    member_id: str = "mbr_1",
) -> Task:
    return Task(
        task_id=task_id,
        brand_id=brand_id,
        member_id=member_id,
        store_id=store_id,
        assignee_id=assignee_id,
        audience="associate",
        template="deep_cleaning_due",
        map_key="lifecycle",
        version=2,
        trigger="deep_cleaning_due",
        priority=priority,
        due_at=NOW + due_in,
        created_at=NOW - DAY,
        suggestion={
            "template": "deep_cleaning_voucher",
            "category": "marketing",
            "variables": {"voucher": "DC-50"},
        },
    )


@dataclass
class Service:
    client: httpx.AsyncClient
    database: InMemoryDatabase
    clock: ManualClock

    async def add(self, *tasks: Task) -> None:
        async with InMemoryJourneyUnitOfWork(self.database, clock=self.clock) as uow:
            await uow.tasks.add(list(tasks))


def associate(subject: str = ASSOCIATE, store_id: str = STORE) -> dict[str, str]:
    return bearer(principal(Role.ASSOCIATE, subject=subject, store_id=store_id))


@pytest_asyncio.fixture
async def service() -> AsyncIterator[Service]:
    database = journey_database()
    clock = ManualClock(NOW)
    tables_of(database).journeys["mbr_1"] = MemberJourney(
        member_id="mbr_1",
        brand_id=BRAND,
        store_id=STORE,
        surname="梁",
        gender="female",
        preferred_channel="wechat",
        associate_id=ASSOCIATE,
    )

    def begin() -> InMemoryJourneyUnitOfWork:
        return InMemoryJourneyUnitOfWork(database, clock=clock)

    app = api_app([tasks_router(TaskHandlers(begin, clock), TaskQueries(begin), clock)], ERRORS)
    async with api_client(app) as client:
        yield Service(client, database, clock)


def ids(body: Any) -> list[str]:
    return [item["task_id"] for item in body["items"]]


async def test_an_associates_tasks_come_most_overdue_first_then_by_priority(
    service: Service,
) -> None:
    await service.add(
        task("tsk_later", due_in=3 * DAY, priority="urgent"),
        task("tsk_overdue_low", due_in=-2 * DAY, priority="low"),
        task("tsk_overdue_urgent", due_in=-2 * DAY, priority="urgent"),
        task("tsk_most_overdue", due_in=-5 * DAY),
        task("tsk_colleagues", assignee_id="stf_other"),
    )

    first = ok(await service.client.get("/v1/tasks", params={"limit": 2}, headers=associate()))
    rest = ok(
        await service.client.get(
            "/v1/tasks", params={"cursor": first["next_cursor"]}, headers=associate()
        )
    )

    assert ids(first) + ids(rest) == [
        "tsk_most_overdue",
        "tsk_overdue_urgent",
        "tsk_overdue_low",
        "tsk_later",
    ]
    assert first["items"][0]["overdue"] is True and rest["items"][-1]["overdue"] is False
    assert rest["next_cursor"] is None


async def test_each_role_lists_its_own_scope(service: Service) -> None:
    await service.add(
        task("tsk_mine"),
        task("tsk_colleagues", assignee_id="stf_other"),
        task("tsk_other_store", store_id="sto_2", assignee_id="stf_far"),
        task("tsk_other_brand", brand_id="brd_2"),
    )
    manager = bearer(principal(Role.STORE_MANAGER))

    assert ids(ok(await service.client.get("/v1/tasks", headers=associate()))) == ["tsk_mine"]
    assert sorted(ids(ok(await service.client.get("/v1/tasks", headers=manager)))) == [
        "tsk_colleagues",
        "tsk_mine",
    ]
    assert len(ids(ok(await service.client.get("/v1/tasks", headers=bearer(Role.HQ))))) == 3
    by_assignee = await service.client.get(
        "/v1/tasks", params={"assignee_id": "stf_far"}, headers=bearer(Role.HQ)
    )
    assert ids(ok(by_assignee)) == ["tsk_other_store"]
    refused(
        await service.client.get(
            "/v1/tasks", params={"assignee_id": "stf_other"}, headers=associate()
        ),
        404,
    )
    refused(await service.client.get("/v1/tasks", headers=bearer(Role.INTEGRATION)), 403)


async def test_sending_the_suggestion_reaches_the_member_once_and_keeps_the_task_open(
    service: Service,
) -> None:
    await service.add(task("tsk_1"))

    sent = ok(await service.client.post("/v1/tasks/tsk_1/sending", headers=associate()))
    again = ok(await service.client.post("/v1/tasks/tsk_1/sending", headers=associate()))

    assert sent["status"] == again["status"] == "open"
    [envelope] = service.database.published(TouchpointRequested)
    requested = TouchpointRequested.model_validate(envelope.data)
    assert requested.recipient_id == "mbr_1" and requested.audience == "member"
    assert (requested.template, requested.channel) == ("deep_cleaning_voucher", "wechat")
    assert requested.variables["voucher"] == "DC-50" and requested.marketing
    tables = tables_of(service.database)
    assert [line.kind for line in tables.timeline] == ["task_suggestion_sent"]
    assert tables.touchpoints[requested.touchpoint_id].trigger == "deep_cleaning_due"


async def test_done_needs_an_outcome_and_closes_the_task(service: Service) -> None:
    await service.add(task("tsk_1"), replace(task("tsk_2"), suggestion=None))

    missing = refused(
        await service.client.post("/v1/tasks/tsk_1/completion", json={}, headers=associate()),
        422,
    )
    blank = refused(
        await service.client.post(
            "/v1/tasks/tsk_1/completion", json={"outcome": "   "}, headers=associate()
        ),
        422,
    )
    long = refused(
        await service.client.post(
            "/v1/tasks/tsk_1/completion", json={"outcome": "x" * 501}, headers=associate()
        ),
        422,
    )
    done = ok(
        await service.client.post(
            "/v1/tasks/tsk_1/completion",
            json={"outcome": "Booked for Friday"},
            headers=associate(),
        )
    )
    closed = refused(
        await service.client.post(
            "/v1/tasks/tsk_1/completion", json={"outcome": "again"}, headers=associate()
        ),
        409,
        "task_closed",
    )
    refused(
        await service.client.post("/v1/tasks/tsk_2/sending", headers=associate()),
        409,
        "no_suggestion",
    )

    assert missing["fields"][0]["field"] == "body.outcome"
    assert blank["fields"] == [
        {"field": "body.outcome", "message": "must say what came of the task"}
    ]
    assert long["fields"][0]["field"] == "body.outcome"
    assert (done["status"], done["outcome"]) == ("done", "Booked for Friday")
    assert done["closed_at"] is not None and "open" not in closed["message"][:4]
    listed = ok(
        await service.client.get("/v1/tasks", params={"status": "done"}, headers=associate())
    )
    assert ids(listed) == ["tsk_1"]


async def test_postponing_moves_it_down_the_list_and_must_be_in_the_future(
    service: Service,
) -> None:
    await service.add(task("tsk_1", due_in=-DAY), task("tsk_2", due_in=DAY))
    later = (NOW + 3 * DAY).isoformat()

    past = refused(
        await service.client.post(
            "/v1/tasks/tsk_1/postponement",
            json={"until": (NOW - DAY).isoformat()},
            headers=associate(),
        ),
        422,
    )
    naive = refused(
        await service.client.post(
            "/v1/tasks/tsk_1/postponement",
            json={"until": "2026-04-01T10:00:00"},
            headers=associate(),
        ),
        422,
    )
    moved = ok(
        await service.client.post(
            "/v1/tasks/tsk_1/postponement", json={"until": later}, headers=associate()
        )
    )

    assert past["fields"][0]["field"] == "body.until"
    assert naive["fields"][0]["field"] == "body.until"
    assert moved["due_by"] == later.replace("+00:00", "Z") and moved["overdue"] is False
    assert ids(ok(await service.client.get("/v1/tasks", headers=associate()))) == ["tsk_2", "tsk_1"]


async def test_a_task_outside_the_callers_scope_does_not_exist_for_her(service: Service) -> None:
    await service.add(
        task("tsk_colleagues", assignee_id="stf_other"),
        task("tsk_other_store", store_id="sto_2", assignee_id="stf_far"),
        task("tsk_other_brand", brand_id="brd_2"),
    )
    manager = bearer(principal(Role.STORE_MANAGER))
    done = {"outcome": "x"}

    for task_id in ("tsk_colleagues", "tsk_other_store", "tsk_other_brand", "tsk_nobody"):
        refused(await service.client.post(f"/v1/tasks/{task_id}/sending", headers=associate()), 404)
        refused(
            await service.client.post(
                f"/v1/tasks/{task_id}/completion", json=done, headers=associate()
            ),
            404,
        )
    for task_id in ("tsk_other_store", "tsk_other_brand"):
        refused(await service.client.get(f"/v1/tasks/{task_id}", headers=manager), 404)
    refused(await service.client.get("/v1/tasks/tsk_other_brand", headers=bearer(Role.HQ)), 404)
    ok(await service.client.get("/v1/tasks/tsk_colleagues", headers=manager))


async def test_her_open_tasks_follow_her_to_her_new_associate(service: Service) -> None:
    await service.add(task("tsk_1"), task("tsk_2"))
    async with InMemoryJourneyUnitOfWork(service.database, clock=service.clock) as uow:
        assert await reassign_open_tasks(uow, "mbr_1", "stf_new") == 2

    assert ids(ok(await service.client.get("/v1/tasks", headers=associate()))) == []
    assert ids(ok(await service.client.get("/v1/tasks", headers=associate("stf_new")))) == [
        "tsk_1",
        "tsk_2",
    ]
