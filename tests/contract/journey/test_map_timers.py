"""Map timers: armed in bulk with their map, one active per member, map, kind and slot; the
old rulebook's timers live beside them unchanged."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from journey.application.ports import MapTimer, TimerCancelling

from tests.contract.journey.backends import NOW, Backend
from tests.contract.journey.builders import arm, due_ids, place, timer

DAY = timedelta(days=1)
LATER = NOW + timedelta(days=60)


def on_map(
    timer_id: str,
    member_id: str = "mbr_1",
    *,
    map_key: str = "lifecycle",
    kind: str = "birthday",
    slot: str = "",
    due_in: timedelta = DAY,
) -> MapTimer:
    return MapTimer(timer(timer_id, member_id, kind=kind, slot=slot, due_in=due_in), map_key, 3)


async def arm_on_maps(backend: Backend, *timers: MapTimer) -> None:
    async with backend.begin() as uow:
        await uow.timers.arm_on_maps(list(timers), NOW)


async def due_on_maps(backend: Backend, by: object = LATER) -> list[MapTimer]:
    async with backend.begin() as uow:
        return await uow.timers.due_on_maps(LATER, 100)


async def test_map_timers_come_back_with_their_map_and_version(backend: Backend) -> None:
    await place(backend, "mbr_1")
    armed = on_map("tmr_1", slot="2026")
    await arm_on_maps(backend, armed)

    assert await due_on_maps(backend) == [armed]
    assert await due_ids(backend, LATER, kinds=frozenset({"birthday"})) == []


async def test_arming_on_a_map_replaces_only_the_same_map_kind_and_slot(backend: Backend) -> None:
    await place(backend, "mbr_1")
    await arm(backend, timer("tmr_rulebook", kind="birthday"))
    await arm_on_maps(
        backend,
        on_map("tmr_first"),
        on_map("tmr_other_map", map_key="seasonal"),
        on_map("tmr_other_slot", slot="vst_1"),
    )
    await arm_on_maps(backend, on_map("tmr_second", due_in=2 * DAY), on_map("tmr_first"))
    # Two for one slot in one batch: the last one stands.
    await arm_on_maps(
        backend, on_map("tmr_third", slot="vst_2"), on_map("tmr_fourth", slot="vst_2")
    )
    # The one replaced within its batch is known: arming it again changes nothing.
    await arm_on_maps(backend, on_map("tmr_third", slot="vst_2"))

    ids = sorted(t.timer.timer_id for t in await due_on_maps(backend))
    assert ids == ["tmr_fourth", "tmr_other_map", "tmr_other_slot", "tmr_second"]
    assert await due_ids(backend, LATER, kinds=frozenset({"birthday"})) == ["tmr_rulebook"]


async def test_cancel_kind_calls_off_every_slot_of_a_kind_on_one_map(backend: Backend) -> None:
    await place(backend, "mbr_1", "mbr_2")
    await arm(backend, timer("tmr_rulebook", kind="care_guide"))
    await arm_on_maps(
        backend,
        on_map("tmr_a", kind="care_guide", slot="vst_1"),
        on_map("tmr_b", kind="care_guide", slot="vst_2"),
        on_map("tmr_c", kind="care_guide", map_key="seasonal"),
        on_map("tmr_d", "mbr_2", kind="care_guide"),
    )
    async with backend.begin() as uow:
        assert await uow.timers.cancel_kind("mbr_1", "care_guide", "lifecycle", NOW) == 2
        assert await uow.timers.cancel_kind("mbr_1", "care_guide", "lifecycle", NOW) == 0
        assert await uow.timers.cancel_kind("mbr_1", "care_guide", None, NOW) == 1

    assert sorted(t.timer.timer_id for t in await due_on_maps(backend)) == ["tmr_c", "tmr_d"]
    assert await due_ids(backend, LATER, kinds=frozenset({"care_guide"})) == []


async def test_a_fired_map_timer_is_not_due_again(backend: Backend) -> None:
    await place(backend, "mbr_1")
    await arm_on_maps(backend, on_map("tmr_1"))
    async with backend.begin() as uow:
        await uow.timers.mark_fired("tmr_1", NOW + DAY)
    await arm_on_maps(backend, on_map("tmr_1"))

    assert await due_on_maps(backend) == []


async def test_cancelling_many_at_once_honours_slot_and_armed_before(backend: Backend) -> None:
    await place(backend, "mbr_1", "mbr_2")
    older = on_map("tmr_older", kind="refill", slot="vst_1")
    newer = MapTimer(
        replace(timer("tmr_newer", kind="refill", slot="vst_2"), armed_for=NOW + 2 * DAY),
        "lifecycle",
        3,
    )
    await arm_on_maps(
        backend,
        older,
        newer,
        on_map("tmr_slot_a", kind="guide", slot="a"),
        on_map("tmr_slot_b", kind="guide", slot="b"),
        on_map("tmr_other_member", "mbr_2", kind="refill"),
    )
    async with backend.begin() as uow:
        await uow.timers.cancel_many(
            [
                # A late event from day 1 calls off what was waiting then, not what came after.
                TimerCancelling("mbr_1", "refill", "lifecycle", armed_before=NOW + DAY),
                TimerCancelling("mbr_1", "guide", "lifecycle", slot="a"),
            ],
            NOW + DAY,
        )

    left = sorted(t.timer.timer_id for t in await due_on_maps(backend))
    assert left == ["tmr_newer", "tmr_other_member", "tmr_slot_b"]
