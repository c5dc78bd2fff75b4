"""The read side's contract: a member's journey as the API shows it, and the stage counts."""

from __future__ import annotations

from datetime import timedelta

from journey.domain.journey import StageChange
from journey.domain.maps.defaults import DORMANCY_TRIGGER

from tests.contract.journey.backends import NOW, Backend
from tests.contract.journey.builders import BRAND, arm, place, timer, touchpoint

DAY = timedelta(days=1)


async def test_an_unknown_member_has_no_view(backend: Backend) -> None:
    async with backend.begin() as uow:
        assert await uow.views.journey("mbr_unknown") is None


async def test_a_view_holds_history_dormancy_and_touchpoints_in_order(backend: Backend) -> None:
    await place(backend, "mbr_1", stage="new")
    async with backend.begin() as uow:
        journey = await uow.journeys.load("mbr_1", BRAND)
        journey.move_to("potential", "second visit", NOW + DAY)
        journey.move_to("dormant", "no visit for 30 days", NOW + 31 * DAY)
        await uow.journeys.save(journey, journey.take_changes())
        for record in (
            touchpoint("tpt_b", at=NOW + DAY),
            touchpoint("tpt_late", at=NOW + 2 * DAY),
            touchpoint("tpt_a", at=NOW + DAY),
        ):
            await uow.touchpoints.record(record)
        await uow.touchpoints.record(touchpoint("tpt_someone_else", "mbr_2"))
    await arm(
        backend,
        timer("tmr_dormancy", kind=DORMANCY_TRIGGER, due_in=30 * DAY),
        timer("tmr_guide", kind="care_guide", due_in=DAY),
    )

    async with backend.begin() as uow:
        view = await uow.views.journey("mbr_1")

    assert view is not None
    assert view.journey.stage == "dormant"
    assert view.stage_history == [
        StageChange(None, "new", "registered", NOW),
        StageChange("new", "potential", "second visit", NOW + DAY),
        StageChange("potential", "dormant", "no visit for 30 days", NOW + 31 * DAY),
    ]
    assert [t.touchpoint_id for t in view.touchpoints] == ["tpt_a", "tpt_b", "tpt_late"]
    assert view.dormant_after == NOW + 30 * DAY


async def test_dormant_after_is_gone_once_the_timer_fired(backend: Backend) -> None:
    await place(backend, "mbr_1")
    await arm(backend, timer("tmr_dormancy", kind=DORMANCY_TRIGGER))
    async with backend.begin() as uow:
        await uow.timers.mark_fired("tmr_dormancy", NOW + 30 * DAY)
        view = await uow.views.journey("mbr_1")

    assert view is not None and view.dormant_after is None


async def test_stage_counts_by_brand_and_store_leave_out_members_not_on_the_map(
    backend: Backend,
) -> None:
    await place(backend, "mbr_1", "mbr_2", stage="new")
    await place(backend, "mbr_3", stage="potential", store_id="sto_2")
    await place(backend, "mbr_4", stage=None)
    await place(backend, "mbr_5", stage="new", brand_id="brd_2")

    async with backend.begin() as uow:
        brand = await uow.views.stage_counts(BRAND, None)
        store = await uow.views.stage_counts(BRAND, "sto_2")
        empty = await uow.views.stage_counts(BRAND, "sto_9")

    assert brand == {"new": 2, "potential": 1}
    assert store == {"potential": 1}
    assert empty == {}
