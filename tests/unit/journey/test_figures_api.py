"""Figures over HTTP: what the engine stored, counted in the caller's scope."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest_asyncio
from journey.adapters.memory import InMemoryJourneyUnitOfWork, journey_database, tables_of
from journey.application.figures import FigureQueries
from journey.application.ports import GoalOutcome, MapStageMove, MemberPosition, Task
from journey.domain.engine import Position
from journey.domain.journey import MemberJourney
from journey.entrypoints.errors import ERRORS
from journey.entrypoints.http import figures_router
from rapport_events.clock import ManualClock
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


@pytest_asyncio.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    database = journey_database()
    clock = ManualClock(NOW)
    journeys = tables_of(database).journeys
    for member_id, store_id, associate_id in (
        ("mbr_1", STORE, "stf_lina"),
        ("mbr_2", STORE, "stf_other"),
        ("mbr_3", "sto_2", None),
    ):
        journeys[member_id] = MemberJourney(
            member_id=member_id, brand_id=BRAND, store_id=store_id, associate_id=associate_id
        )
    async with InMemoryJourneyUnitOfWork(database, clock=clock) as uow:
        await uow.positions.save(
            [
                MemberPosition(m, BRAND, Position("lifecycle", 1, stage, NOW, NOW))
                for m, stage in (("mbr_1", "dormant"), ("mbr_2", "new"), ("mbr_3", "new"))
            ]
        )
        await uow.stage_history.append(
            [
                MapStageMove("mbr_1", BRAND, "lifecycle", "new", "dormant", "held", NOW - 5 * DAY),
                MapStageMove("mbr_1", BRAND, "lifecycle", "dormant", "won_back", "v", NOW - DAY),
                MapStageMove("mbr_3", BRAND, "lifecycle", "new", "dormant", "held", NOW - 4 * DAY),
            ]
        )
        await uow.goals.open(
            [
                GoalOutcome(
                    "tpt_1",
                    BRAND,
                    "lifecycle",
                    1,
                    "welcome_back",
                    "mbr_1",
                    STORE,
                    "stf_lina",
                    NOW - 5 * DAY,
                    NOW + 25 * DAY,
                    reached_at=NOW - DAY,
                )
            ]
        )
        await uow.tasks.add(
            [
                Task(
                    "tsk_1",
                    BRAND,
                    "mbr_1",
                    STORE,
                    "stf_lina",
                    "associate",
                    "call",
                    "lifecycle",
                    1,
                    "follow_up",
                    "high",
                    NOW - DAY,
                    NOW - 2 * DAY,
                )
            ]
        )

    def begin() -> InMemoryJourneyUnitOfWork:
        return InMemoryJourneyUnitOfWork(database, clock=clock)

    app = api_app([figures_router(FigureQueries(begin, clock))], ERRORS)
    async with api_client(app) as started:
        yield started


async def test_hq_reads_the_brands_figures(client: httpx.AsyncClient) -> None:
    stages = ok(await client.get("/v1/figures/stages", headers=bearer()))
    funnel = ok(await client.get("/v1/figures/transitions", headers=bearer()))
    goals = ok(await client.get("/v1/figures/goals", headers=bearer()))
    win_back = ok(await client.get("/v1/figures/win-back", headers=bearer()))
    tasks = ok(await client.get("/v1/figures/tasks", headers=bearer()))

    assert stages["stages"] == [
        {"map": "lifecycle", "stage": "dormant", "members": 1},
        {"map": "lifecycle", "stage": "new", "members": 2},
    ]
    assert (funnel["since"], funnel["until"]) == ("2026-02-01", "2026-03-02")
    assert [(t["from_stage"], t["to_stage"], t["members"]) for t in funnel["transitions"]] == [
        ("dormant", "won_back", 1),
        ("new", "dormant", 2),
    ]
    assert goals["goals"] == [
        {"map": "lifecycle", "trigger": "welcome_back", "opened": 1, "reached": 1, "rate": 1.0}
    ]
    assert win_back["win_back"] == [
        {"map": "lifecycle", "became_dormant": 2, "returned": 1, "rate": 0.5}
    ]
    assert tasks["assignees"] == [{"assignee_id": "stf_lina", "open": 1, "overdue": 1}]


async def test_store_staff_read_their_store_and_associates_themselves(
    client: httpx.AsyncClient,
) -> None:
    manager = bearer(principal(Role.STORE_MANAGER))
    lina = bearer(principal(Role.ASSOCIATE, subject="stf_lina"))

    in_store = ok(await client.get("/v1/figures/stages", headers=manager))
    hers = ok(await client.get("/v1/figures/stages", headers=lina))
    other_store = ok(
        await client.get("/v1/figures/stages", params={"store_id": "sto_2"}, headers=bearer())
    )

    assert in_store["store_id"] == STORE and sum(s["members"] for s in in_store["stages"]) == 2
    assert hers["associate_id"] == "stf_lina" and hers["stages"][0]["stage"] == "dormant"
    assert other_store["stages"] == [{"map": "lifecycle", "stage": "new", "members": 1}]
    refused(
        await client.get("/v1/figures/tasks", params={"store_id": "sto_2"}, headers=manager), 404
    )
    refused(
        await client.get("/v1/figures/tasks", params={"associate_id": "stf_other"}, headers=lina),
        404,
    )


async def test_a_range_must_run_forwards_and_not_too_far(client: httpx.AsyncClient) -> None:
    backwards = refused(
        await client.get(
            "/v1/figures/goals",
            params={"since": "2026-03-02", "until": "2026-03-01"},
            headers=bearer(),
        ),
        422,
    )
    too_long = refused(
        await client.get("/v1/figures/goals", params={"since": "2020-01-01"}, headers=bearer()),
        422,
    )
    not_a_day = refused(
        await client.get("/v1/figures/goals", params={"until": "soon"}, headers=bearer()), 422
    )

    assert backwards["fields"][0]["field"] == "query.since"
    assert too_long["fields"][0]["field"] == "query.since"
    assert not_a_day["fields"][0]["field"] == "query.until"


def test_members_per_stage_over_time_are_summed_from_the_days_moves() -> None:
    from datetime import date

    from journey.application.figures import DayRange, standing_per_day
    from journey.application.ports import DailyMoves, StageDay

    first, second, third = date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)
    moves = [
        DailyMoves(date(2026, 2, 1), "lifecycle", None, "new", 2),
        DailyMoves(second, "lifecycle", "new", "potential", 1),
        DailyMoves(third, "lifecycle", None, "new", 1),
    ]

    days = standing_per_day(moves, DayRange(first, third))

    assert days == [
        StageDay(first, "lifecycle", "new", 2),
        StageDay(second, "lifecycle", "new", 1),
        StageDay(second, "lifecycle", "potential", 1),
        StageDay(third, "lifecycle", "new", 2),
        StageDay(third, "lifecycle", "potential", 1),
    ]
