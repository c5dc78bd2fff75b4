"""The Tasks contract: added once by id, listed by urgency in each scope, handed over open."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from journey.application.ports import Task, TaskFilter, TaskPriority

from tests.contract.journey.backends import NOW, Backend
from tests.contract.journey.builders import BRAND

DAY = timedelta(days=1)


def task(
    task_id: str,
    *,
    due_in: timedelta = DAY,
    priority: TaskPriority = "normal",
    assignee_id: str = "stf_1",
    store_id: str = "sto_1",
    member_id: str = "mbr_1",
    brand_id: str = BRAND,
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
        version=1,
        trigger="deep_cleaning",
        priority=priority,
        due_at=NOW + due_in,
        created_at=NOW,
        suggestion={"template": "deep_cleaning_voucher", "category": "marketing"},
    )


async def listed(backend: Backend, where: TaskFilter, limit: int = 100) -> list[str]:
    async with backend.begin() as uow:
        return [t.task_id for t in await uow.tasks.page(where, None, limit)]


async def test_a_task_is_added_once_and_comes_back_as_added(backend: Backend) -> None:
    async with backend.begin() as uow:
        assert await uow.tasks.add([task("tsk_1"), task("tsk_2"), task("tsk_2")]) == [
            "tsk_1",
            "tsk_2",
        ]
    async with backend.begin() as uow:
        assert await uow.tasks.add([replace(task("tsk_1"), template="other"), task("tsk_3")]) == [
            "tsk_3"
        ]
        assert await uow.tasks.add([]) == []
        assert await uow.tasks.get("tsk_1") == task("tsk_1")
        assert await uow.tasks.get("tsk_nobody") is None


async def test_tasks_are_listed_most_overdue_first_then_by_priority(backend: Backend) -> None:
    async with backend.begin() as uow:
        await uow.tasks.add(
            [
                task("tsk_later", due_in=3 * DAY, priority="urgent"),
                task("tsk_overdue_low", due_in=-2 * DAY, priority="low"),
                task("tsk_overdue_high", due_in=-2 * DAY, priority="high"),
                task("tsk_most_overdue", due_in=-5 * DAY, priority="low"),
                task("tsk_postponed", due_in=-9 * DAY, priority="urgent"),
            ]
        )
    async with backend.begin() as uow:
        postponed = await uow.tasks.get("tsk_postponed")
        assert postponed is not None
        await uow.tasks.save(replace(postponed, postponed_until=NOW + 2 * DAY))

    where = TaskFilter(BRAND, assignee_id="stf_1", status="open")
    expected = [
        "tsk_most_overdue",
        "tsk_overdue_high",
        "tsk_overdue_low",
        "tsk_postponed",
        "tsk_later",
    ]
    assert await listed(backend, where) == expected
    pages: list[str] = []
    async with backend.begin() as uow:
        after = None
        while True:
            page = await uow.tasks.page(where, after, 2)
            pages += [t.task_id for t in page]
            if len(page) < 2:
                break
            after = page[-1].urgency
    assert pages == expected


async def test_lists_are_narrowed_by_brand_store_assignee_and_status(backend: Backend) -> None:
    async with backend.begin() as uow:
        await uow.tasks.add(
            [
                task("tsk_mine"),
                task("tsk_colleague", assignee_id="stf_2"),
                task("tsk_other_store", store_id="sto_2", assignee_id="stf_3"),
                task("tsk_other_brand", brand_id="brd_2"),
                task("tsk_done", due_in=-DAY),
            ]
        )
        done = await uow.tasks.get("tsk_done")
        assert done is not None
        await uow.tasks.save(replace(done, status="done", outcome="booked", closed_at=NOW))

    assert await listed(backend, TaskFilter(BRAND, assignee_id="stf_1", status="open")) == [
        "tsk_mine"
    ]
    assert sorted(await listed(backend, TaskFilter(BRAND, store_id="sto_1", status="open"))) == [
        "tsk_colleague",
        "tsk_mine",
    ]
    assert len(await listed(backend, TaskFilter(BRAND))) == 4
    assert await listed(backend, TaskFilter(BRAND, status="done")) == ["tsk_done"]
    async with backend.begin() as uow:
        stored = await uow.tasks.get("tsk_done")
    assert stored is not None and (stored.status, stored.outcome, stored.closed_at) == (
        "done",
        "booked",
        NOW,
    )


async def test_her_open_associate_tasks_follow_her_to_a_new_associate(backend: Backend) -> None:
    alert = replace(task("tsk_alert", assignee_id="stf_manager"), audience="store_manager")
    async with backend.begin() as uow:
        await uow.tasks.add(
            [task("tsk_open"), task("tsk_closed"), alert, task("tsk_hers", member_id="mbr_2")]
        )
        closed = await uow.tasks.get("tsk_closed")
        assert closed is not None
        await uow.tasks.save(replace(closed, status="cancelled", closed_at=NOW))
    async with backend.begin() as uow:
        assert await uow.tasks.reassign_open("mbr_1", "stf_9") == 1

    assert await listed(backend, TaskFilter(BRAND, assignee_id="stf_9")) == ["tsk_open"]
    assert sorted(await listed(backend, TaskFilter(BRAND, assignee_id="stf_1"))) == [
        "tsk_closed",
        "tsk_hers",
    ]
