"""Fact snapshots and map positions: stored for many members at once, loaded back whole."""

from __future__ import annotations

from datetime import timedelta

from journey.application.ports import MemberPosition
from journey.domain.engine import OpenGoal, Position

from tests.contract.journey.backends import NOW, Backend
from tests.contract.journey.builders import BRAND, place

DAY = timedelta(days=1)


def position(map_key: str = "lifecycle", *, stage: str | None = "new") -> Position:
    return Position(
        map_key=map_key,
        version=2,
        stage=stage,
        stage_since=NOW if stage else None,
        entered_at=NOW - DAY,
        fired_once={"first_visit_voucher", "welcome"},
        open_goals=[OpenGoal("welcome_back", "tpt_1", "visit.completed", NOW, NOW + 30 * DAY)],
    )


async def test_fact_snapshots_are_saved_on_journeys_and_loaded_for_many(backend: Backend) -> None:
    await place(backend, "mbr_1", "mbr_2")
    snapshot = {"visit_count": 2, "ratings": [90, 70], "products": [{"code": "m", "at": "x"}]}
    async with backend.begin() as uow:
        await uow.facts.save({"mbr_1": snapshot, "mbr_2": {"tier": "gold"}, "mbr_nobody": {}})
        await uow.facts.save({})
    async with backend.begin() as uow:
        await uow.facts.save({"mbr_2": {"tier": "silver"}})

    async with backend.begin() as uow:
        loaded = await uow.facts.load(["mbr_1", "mbr_2", "mbr_3", "mbr_nobody"])
    assert loaded == {"mbr_1": snapshot, "mbr_2": {"tier": "silver"}}


async def test_positions_are_upserted_in_bulk_and_loaded_per_member_and_map(
    backend: Backend,
) -> None:
    async with backend.begin() as uow:
        await uow.positions.save(
            [
                MemberPosition("mbr_1", BRAND, position()),
                MemberPosition("mbr_1", BRAND, position("seasonal", stage=None)),
                MemberPosition("mbr_2", BRAND, position()),
            ]
        )
    moved = position()
    moved.stage, moved.stage_since, moved.open_goals = "dormant", NOW + DAY, []
    moved.exited_at = NOW + 2 * DAY
    # The absence already answered must survive the store, or a re-armed timer answers it again.
    moved.absences_fired = {"dormancy_check": NOW + 31 * DAY}
    async with backend.begin() as uow:
        await uow.positions.save([MemberPosition("mbr_1", BRAND, moved)])
        await uow.positions.save([])

    async with backend.begin() as uow:
        loaded = await uow.positions.load(["mbr_1", "mbr_2", "mbr_3"])
    assert loaded == {
        "mbr_1": {"lifecycle": moved, "seasonal": position("seasonal", stage=None)},
        "mbr_2": {"lifecycle": position()},
    }
