"""Figures for headquarters and stores, each narrowed to the caller's scope.

Ranges are whole days in UTC, both ends included; by default the 30 days up to today on the
platform clock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Final, Generic, TypeVar

from rapport_events.clock import Clock
from rapport_platform.auth import Principal
from rapport_platform.refusals import InvalidInput

from journey.application.access import figure_scope
from journey.application.ports import (
    AssigneeTasks,
    DailyMoves,
    FigureScope,
    GoalConversion,
    JourneyUnitOfWork,
    StageCount,
    StageDay,
    Transition,
    WinBack,
)

DEFAULT_RANGE: Final = timedelta(days=29)
LONGEST_RANGE: Final = timedelta(days=366)
DORMANT_STAGE: Final = "dormant"
RETURNED_STAGE: Final = "won_back"
ACTIVITY: Final = "visit.completed"


@dataclass(frozen=True)
class DayRange:
    since: date
    until: date
    """Included."""

    @property
    def start(self) -> datetime:
        return datetime.combine(self.since, time(), UTC)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.until + timedelta(days=1), time(), UTC)


T = TypeVar("T")


@dataclass(frozen=True)
class Figures(Generic[T]):
    scope: FigureScope
    range: DayRange | None
    rows: list[T]


def day_range(today: date, since: date | None, until: date | None) -> DayRange:
    until = until or today
    since = since or until - DEFAULT_RANGE
    if since > until:
        raise InvalidInput("since", "must not be after until")
    if until - since > LONGEST_RANGE:
        raise InvalidInput("since", f"the range may span at most {LONGEST_RANGE.days} days")
    return DayRange(since, until)


class FigureQueries:
    def __init__(self, unit_of_work: Callable[[], JourneyUnitOfWork], clock: Clock) -> None:
        self._unit_of_work = unit_of_work
        self._clock = clock

    def _range(self, since: date | None, until: date | None) -> DayRange:
        return day_range(self._clock.now().astimezone(UTC).date(), since, until)

    async def stages(
        self, caller: Principal, store_id: str | None, associate_id: str | None
    ) -> Figures[StageCount]:
        scope = figure_scope(caller, store_id, associate_id)
        async with self._unit_of_work() as uow:
            rows = await uow.figures.stage_counts(scope)
        return Figures(scope, None, rows)

    async def transitions(
        self,
        caller: Principal,
        store_id: str | None,
        associate_id: str | None,
        since: date | None,
        until: date | None,
    ) -> Figures[Transition]:
        scope = figure_scope(caller, store_id, associate_id)
        days = self._range(since, until)
        async with self._unit_of_work() as uow:
            rows = await uow.figures.transitions(scope, days.start, days.end)
        return Figures(scope, days, rows)

    async def stages_over_time(
        self,
        caller: Principal,
        store_id: str | None,
        associate_id: str | None,
        since: date | None,
        until: date | None,
    ) -> Figures[StageDay]:
        """Members per stage at the end of each day of the range: her moves summed from her
        entry on (a move out of a stage counts against it, a move in for it)."""
        scope = figure_scope(caller, store_id, associate_id)
        days = self._range(since, until)
        async with self._unit_of_work() as uow:
            moves = await uow.figures.daily_moves(scope, days.end)
        return Figures(scope, days, standing_per_day(moves, days))

    async def goals(
        self,
        caller: Principal,
        store_id: str | None,
        associate_id: str | None,
        since: date | None,
        until: date | None,
    ) -> Figures[GoalConversion]:
        scope = figure_scope(caller, store_id, associate_id)
        days = self._range(since, until)
        async with self._unit_of_work() as uow:
            rows = await uow.figures.goal_conversions(scope, days.start, days.end)
        return Figures(scope, days, rows)

    async def win_backs(
        self,
        caller: Principal,
        store_id: str | None,
        associate_id: str | None,
        since: date | None,
        until: date | None,
    ) -> Figures[WinBack]:
        scope = figure_scope(caller, store_id, associate_id)
        days = self._range(since, until)
        async with self._unit_of_work() as uow:
            rows = await uow.figures.win_backs(
                scope, days.start, days.end, DORMANT_STAGE, RETURNED_STAGE, ACTIVITY
            )
        return Figures(scope, days, rows)

    async def tasks(
        self, caller: Principal, store_id: str | None, associate_id: str | None
    ) -> Figures[AssigneeTasks]:
        scope = figure_scope(caller, store_id, associate_id)
        async with self._unit_of_work() as uow:
            rows = await uow.figures.tasks_per_assignee(scope, self._clock.now())
        return Figures(scope, None, rows)


def standing_per_day(moves: list[DailyMoves], days: DayRange) -> list[StageDay]:
    """From each day's moves, how many stood on each stage at the end of each day."""
    standing: dict[tuple[str, str], int] = {}
    by_day: dict[date, list[DailyMoves]] = {}
    for move in moves:
        by_day.setdefault(move.day, []).append(move)
    for day in sorted(d for d in by_day if d < days.since):
        _apply_moves(standing, by_day[day])
    rows: list[StageDay] = []
    day = days.since
    while day <= days.until:
        _apply_moves(standing, by_day.get(day, []))
        rows.extend(
            StageDay(day, map_key, stage, members)
            for (map_key, stage), members in sorted(standing.items())
            if members > 0
        )
        day += timedelta(days=1)
    return rows


def _apply_moves(standing: dict[tuple[str, str], int], moves: list[DailyMoves]) -> None:
    for move in moves:
        if move.from_stage is not None:
            standing[(move.map_key, move.from_stage)] = (
                standing.get((move.map_key, move.from_stage), 0) - move.moves
            )
        standing[(move.map_key, move.to_stage)] = (
            standing.get((move.map_key, move.to_stage), 0) + move.moves
        )
