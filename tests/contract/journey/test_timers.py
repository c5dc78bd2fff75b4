"""The Timers contract: one active timer per member, kind and slot; each due timer taken once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from journey.domain.timers import Timer

from tests.contract.journey.backends import NOW, Backend
from tests.contract.journey.builders import BRAND, arm, due_ids, place, timer

DAY = timedelta(days=1)
LATER = NOW + timedelta(days=60)


async def test_a_timer_comes_back_as_it_was_armed(backend: Backend) -> None:
    await place(backend, "mbr_1")
    armed = Timer(
        timer_id="tmr_1",
        member_id="mbr_1",
        brand_id=BRAND,
        kind="care_guide",
        due_at=NOW + DAY,
        armed_for=NOW,
        slot="vst_1",
        payload={"service_code": "gel-manicure"},
        armed_by_event_id="evt_1",
        traceparent="00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        tracestate="rapport=1",
        correlation_id="corr-1",
    )
    await arm(backend, armed)

    async with backend.begin() as uow:
        assert await uow.timers.due(LATER, 10, frozenset({"care_guide"})) == [armed]


async def test_due_timers_come_earliest_first_only_of_the_kinds_asked(backend: Backend) -> None:
    await place(backend, "mbr_1", "mbr_2", "mbr_3", "mbr_4", "mbr_5")
    await arm(
        backend,
        timer("tmr_late", "mbr_1", due_in=2 * DAY),
        timer("tmr_early", "mbr_2", due_in=DAY),
        timer("tmr_tie", "mbr_3", due_in=DAY),
        timer("tmr_other_kind", "mbr_4", kind="care_guide", due_in=DAY / 2),
        timer("tmr_not_yet", "mbr_5", due_in=10 * DAY),
    )
    by = NOW + 5 * DAY

    assert await due_ids(backend, by) == ["tmr_early", "tmr_tie", "tmr_late"]
    assert await due_ids(backend, by, limit=2) == ["tmr_early", "tmr_tie"]
    assert await due_ids(backend, by, kinds=frozenset({"care_guide"})) == ["tmr_other_kind"]
    assert await due_ids(backend, by, kinds=frozenset()) == []
    assert await due_ids(backend, NOW + 2 * DAY) == ["tmr_early", "tmr_tie", "tmr_late"]
    assert await due_ids(backend, NOW) == []


async def test_arming_cancels_the_active_timer_of_the_same_member_kind_and_slot(
    backend: Backend,
) -> None:
    await place(backend, "mbr_1", "mbr_2")
    await arm(
        backend,
        timer("tmr_first", "mbr_1"),
        timer("tmr_other_slot", "mbr_1", slot="vst_1"),
        timer("tmr_other_member", "mbr_2"),
        timer("tmr_other_kind", "mbr_1", kind="care_guide"),
    )
    await arm(backend, timer("tmr_rearmed", "mbr_1", due_in=40 * DAY), at=NOW + DAY)

    kinds = frozenset({"dormancy", "care_guide"})
    assert sorted(await due_ids(backend, LATER, kinds=kinds)) == [
        "tmr_other_kind",
        "tmr_other_member",
        "tmr_other_slot",
        "tmr_rearmed",
    ]


async def test_arming_a_known_timer_id_again_changes_nothing(backend: Backend) -> None:
    await place(backend, "mbr_1")
    await arm(backend, timer("tmr_first"), timer("tmr_second", due_in=31 * DAY))

    # The first again (cancelled) and the second again with another due time.
    await arm(backend, timer("tmr_first"), timer("tmr_second", due_in=DAY), at=NOW + DAY)

    assert await due_ids(backend, NOW + 2 * DAY) == []
    assert await due_ids(backend, LATER) == ["tmr_second"]


async def test_a_fired_timer_is_no_longer_due_and_its_slot_can_be_armed_again(
    backend: Backend,
) -> None:
    await place(backend, "mbr_1")
    await arm(backend, timer("tmr_first"))
    async with backend.begin() as uow:
        await uow.timers.mark_fired("tmr_first", NOW + 30 * DAY)

    assert await due_ids(backend, LATER) == []
    await arm(backend, timer("tmr_next", due_in=40 * DAY))
    assert await due_ids(backend, LATER) == ["tmr_next"]


async def test_a_timer_is_only_taken_with_its_members_journey(backend: Backend) -> None:
    await arm(backend, timer("tmr_orphan", "mbr_nobody"))
    assert await due_ids(backend, LATER) == []


async def test_two_workers_at_once_take_disjoint_timers(backend: Backend) -> None:
    members = [f"mbr_{n}" for n in range(6)]
    await place(backend, *members)
    await arm(backend, *(timer(f"tmr_{n}", member) for n, member in enumerate(members)))
    first_took, second_took = asyncio.Event(), asyncio.Event()
    taken: dict[str, list[str]] = {}

    async def first_worker() -> None:
        async with backend.begin() as uow:
            timers = await uow.timers.due(LATER, 3, frozenset({"dormancy"}))
            first_took.set()
            # In PostgreSQL the second worker takes its timers while these stay locked.
            await backend.hold_until(second_took)
            for due in timers:
                await uow.timers.mark_fired(due.timer_id, LATER)
        taken["first"] = [due.timer_id for due in timers]

    async def second_worker() -> None:
        await first_took.wait()
        async with backend.begin() as uow:
            timers = await uow.timers.due(LATER, 10, frozenset({"dormancy"}))
            second_took.set()
            for due in timers:
                await uow.timers.mark_fired(due.timer_id, LATER)
        taken["second"] = [due.timer_id for due in timers]

    await asyncio.wait_for(asyncio.gather(first_worker(), second_worker()), timeout=20)

    assert len(taken["first"]) == 3
    assert set(taken["first"]).isdisjoint(taken["second"])
    assert sorted(taken["first"] + taken["second"]) == [f"tmr_{n}" for n in range(6)]
    assert await due_ids(backend, LATER) == []


async def test_every_due_timer_is_taken_exactly_once_by_workers_in_a_race(
    backend: Backend,
) -> None:
    members = [f"mbr_{n:02}" for n in range(20)]
    await place(backend, *members)
    await arm(backend, *(timer(f"tmr_{member}", member) for member in members))
    taken: list[str] = []

    async def worker() -> None:
        while True:
            async with backend.begin() as uow:
                timers = await uow.timers.due(LATER, 3, frozenset({"dormancy"}))
                for due in timers:
                    await uow.timers.mark_fired(due.timer_id, LATER)
            if not timers:
                return
            taken.extend(due.timer_id for due in timers)

    await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(4))), timeout=30)

    assert sorted(taken) == [f"tmr_{member}" for member in members]
