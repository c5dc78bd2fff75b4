"""Goal outcomes and the figures read from what the engine stored."""

from __future__ import annotations

from datetime import timedelta

from journey.application.ports import (
    AssigneeTasks,
    DailyMoves,
    FigureScope,
    GoalConversion,
    GoalOutcome,
    MapStageMove,
    MemberPosition,
    StageCount,
    Transition,
    WinBack,
)
from journey.domain.engine import Position
from journey.domain.facts import MemberEvent

from tests.contract.journey.backends import NOW, Backend
from tests.contract.journey.builders import BRAND, place
from tests.contract.journey.test_tasks import task

DAY = timedelta(days=1)
RANGE = (NOW - DAY, NOW + 60 * DAY)


def goal(
    touchpoint_id: str, *, trigger: str = "welcome_back", store_id: str = "sto_1"
) -> GoalOutcome:
    return GoalOutcome(
        touchpoint_id=touchpoint_id,
        brand_id=BRAND,
        map_key="lifecycle",
        version=1,
        trigger=trigger,
        member_id="mbr_1",
        store_id=store_id,
        associate_id="stf_1",
        opened_at=NOW,
        deadline=NOW + 30 * DAY,
    )


def move(member_id: str, to_stage: str, days: int, from_stage: str | None = None) -> MapStageMove:
    return MapStageMove(
        member_id, BRAND, "lifecycle", from_stage, to_stage, "held", NOW + days * DAY
    )


async def test_a_goal_is_reached_once_and_only_by_its_deadline(backend: Backend) -> None:
    async with backend.begin() as uow:
        await uow.goals.open([goal("tpt_1"), goal("tpt_2"), goal("tpt_3"), goal("tpt_1")])
        await uow.goals.open([])
    async with backend.begin() as uow:
        assert await uow.goals.reach(["tpt_1", "tpt_nobody"], NOW + DAY) == 1
        assert await uow.goals.reach(["tpt_1"], NOW + 2 * DAY) == 0
        assert await uow.goals.reach(["tpt_2"], NOW + 31 * DAY) == 0
        conversions = await uow.figures.goal_conversions(FigureScope(BRAND), *RANGE)
        in_store = await uow.figures.goal_conversions(FigureScope(BRAND, store_id="sto_2"), *RANGE)

    assert conversions == [GoalConversion("lifecycle", "welcome_back", opened=3, reached=1)]
    assert in_store == []


async def test_stage_counts_and_transitions_follow_the_members_scope(backend: Backend) -> None:
    await place(backend, "mbr_1", "mbr_2")
    await place(backend, "mbr_3", store_id="sto_2")
    async with backend.begin() as uow:
        positions = [
            MemberPosition(m, BRAND, Position("lifecycle", 1, stage, NOW, NOW))
            for m, stage in (("mbr_1", "new"), ("mbr_2", "dormant"), ("mbr_3", "new"))
        ]
        gone = Position("lifecycle", 1, "new", NOW, NOW, exited_at=NOW)
        await uow.positions.save([*positions, MemberPosition("mbr_4", BRAND, gone)])
        await uow.stage_history.append(
            [
                move("mbr_1", "new", 0),
                move("mbr_2", "new", 0),
                move("mbr_2", "dormant", 30, "new"),
                move("mbr_3", "new", 0),
                move("mbr_3", "new", 90),
            ]
        )
        counts = await uow.figures.stage_counts(FigureScope(BRAND))
        store_counts = await uow.figures.stage_counts(FigureScope(BRAND, store_id="sto_2"))
        funnel = await uow.figures.transitions(FigureScope(BRAND), *RANGE)

    assert counts == [StageCount("lifecycle", "dormant", 1), StageCount("lifecycle", "new", 2)]
    assert store_counts == [StageCount("lifecycle", "new", 1)]
    assert funnel == [
        Transition("lifecycle", None, "new", members=3, moves=3),
        Transition("lifecycle", "new", "dormant", members=1, moves=1),
    ]


async def test_win_backs_count_dormant_members_who_returned_or_visited_later(
    backend: Backend,
) -> None:
    await place(backend, "mbr_1", "mbr_2", "mbr_3", "mbr_4")
    async with backend.begin() as uow:
        await uow.stage_history.append(
            [
                move("mbr_1", "dormant", 1),
                move("mbr_1", "won_back", 5, "dormant"),
                move("mbr_2", "dormant", 1),
                move("mbr_3", "dormant", 1),
                move("mbr_4", "won_back", 0),
                move("mbr_4", "dormant", 2),
            ]
        )
        visit = MemberEvent("evt_1", "mbr_2", BRAND, "visit.completed", NOW + 3 * DAY)
        before = MemberEvent("evt_2", "mbr_3", BRAND, "visit.completed", NOW)
        await uow.member_events.add([visit, before], NOW)
        figures = await uow.figures.win_backs(
            FigureScope(BRAND), *RANGE, "dormant", "won_back", "visit.completed"
        )

    assert figures == [WinBack("lifecycle", became_dormant=4, returned=2)]


async def test_open_and_overdue_tasks_are_counted_per_assignee(backend: Backend) -> None:
    async with backend.begin() as uow:
        await uow.tasks.add(
            [
                task("tsk_1", due_in=-DAY),
                task("tsk_2"),
                task("tsk_3", assignee_id="stf_2", store_id="sto_2", due_in=-DAY),
            ]
        )
        everyone = await uow.figures.tasks_per_assignee(FigureScope(BRAND), NOW)
        hers = await uow.figures.tasks_per_assignee(FigureScope(BRAND, associate_id="stf_2"), NOW)

    assert everyone == [AssigneeTasks("stf_1", 2, 1), AssigneeTasks("stf_2", 1, 1)]
    assert hers == [AssigneeTasks("stf_2", 1, 1)]


async def test_daily_moves_count_every_move_before_the_end_by_day(backend: Backend) -> None:
    await place(backend, "mbr_1", "mbr_2")
    await place(backend, "mbr_3", store_id="sto_2")
    async with backend.begin() as uow:
        await uow.stage_history.append(
            [
                move("mbr_1", "new", 0),
                move("mbr_2", "new", 0),
                move("mbr_2", "dormant", 30, "new"),
                move("mbr_3", "new", 0),
                move("mbr_1", "potential", 90, "new"),
            ]
        )
        moves = await uow.figures.daily_moves(FigureScope(BRAND), NOW + 60 * DAY)
        store = await uow.figures.daily_moves(FigureScope(BRAND, store_id="sto_2"), NOW + DAY)

    day0, day30 = NOW.date(), (NOW + 30 * DAY).date()
    assert moves == [
        DailyMoves(day0, "lifecycle", None, "new", 3),
        DailyMoves(day30, "lifecycle", "new", "dormant", 1),
    ]
    assert store == [DailyMoves(day0, "lifecycle", None, "new", 1)]
