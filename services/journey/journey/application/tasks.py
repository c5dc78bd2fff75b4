"""Staff tasks: an associate's list (a store manager's alerts the same way), and its actions.

A task is a staff touchpoint of a map. The list is sorted by urgency: the most overdue first
(a postponed task counts from its new date), then the highest priority. Its actions:

- *send* what it suggests to the member (her voucher, a message): a touchpoint to her, whose
  id is derived from the task's, so sending twice asks the notifier once; the task stays open;
- *done* with an outcome (what came of it, in words);
- *postpone* to a later moment on the platform clock.

Each action writes a line on the member's timeline in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Final

from rapport_events.clock import Clock
from rapport_events.contracts.journey import TouchpointRequested
from rapport_platform.auth import Principal
from rapport_platform.pagination import Page, checked_limit, decode_cursor, page_of
from rapport_platform.refusals import InvalidInput, Refusal

from journey.application.access import task_filter, visible_task
from journey.application.commands import CompleteTask, PostponeTask, SendTaskSuggestion
from journey.application.ports import (
    JourneyUnitOfWork,
    Task,
    TaskStatus,
    TimelineLine,
    TouchpointRecord,
)
from journey.domain.touchpoints import Touchpoint, title_for, touchpoint_id

OUTCOME_MAX: Final = 500
SUGGESTION_RULE: Final = "task_suggestion"
"""The rule naming a task's "send" touchpoint: with the task id, it derives the touchpoint id."""


class TaskClosed(Refusal):
    def __init__(self, task_id: str, status: str) -> None:
        super().__init__(f"task {task_id} is {status}; only an open task can be acted on")


class NoSuggestion(Refusal):
    def __init__(self, task_id: str) -> None:
        super().__init__(f"task {task_id} suggests nothing to send")


class TaskQueries:
    def __init__(self, unit_of_work: Callable[[], JourneyUnitOfWork]) -> None:
        self._unit_of_work = unit_of_work

    async def tasks(
        self,
        caller: Principal,
        *,
        status: TaskStatus | None,
        assignee_id: str | None,
        limit: int,
        cursor: str | None,
    ) -> Page[Task]:
        where = task_filter(caller, status, assignee_id)
        checked_limit(limit)
        after = decode_cursor(cursor, (datetime, int, str)) if cursor else None
        async with self._unit_of_work() as uow:
            tasks = await uow.tasks.page(where, after, limit + 1)  # type: ignore[arg-type]
        return page_of(tasks, limit, key=lambda task: task.urgency)

    async def task(self, caller: Principal, task_id: str) -> Task:
        async with self._unit_of_work() as uow:
            task = await uow.tasks.get(task_id)
        return visible_task(caller, task_id, task)


class TaskHandlers:
    def __init__(self, unit_of_work: Callable[[], JourneyUnitOfWork], clock: Clock) -> None:
        self._unit_of_work = unit_of_work
        self._clock = clock

    async def send_suggestion(self, caller: Principal, command: SendTaskSuggestion) -> Task:
        now = self._clock.now()
        async with self._unit_of_work() as uow:
            task = _open(caller, command.task_id, await uow.tasks.get(command.task_id))
            suggestion = task.suggestion
            if not suggestion or not isinstance(suggestion.get("template"), str):
                raise NoSuggestion(task.task_id)
            journey = await uow.journeys.get(task.member_id)
            if journey is None:  # a task is only ever made for a member journey knows
                raise NoSuggestion(task.task_id)
            variables = suggestion.get("variables") or {}
            touchpoint = Touchpoint(
                touchpoint_id=touchpoint_id(task.member_id, SUGGESTION_RULE, task.task_id),
                template=suggestion["template"],
                audience="member",
                channel=journey.preferred_channel,
                recipient_id=task.member_id,
                marketing=suggestion.get("category", "marketing") == "marketing",
                variables={
                    "surname": journey.surname or "",
                    "title": title_for(journey.gender),
                    **{str(k): str(v) for k, v in dict(variables).items()},
                },
            )
            logged = TouchpointRecord(
                touchpoint_id=touchpoint.touchpoint_id,
                member_id=task.member_id,
                brand_id=task.brand_id,
                template=touchpoint.template,
                channel=touchpoint.channel,
                status="requested",
                requested_at=now,
                map_key=task.map_key,
                trigger=task.trigger,
            )
            if await uow.touchpoints.record(logged):
                uow.emit(
                    TouchpointRequested(
                        touchpoint_id=touchpoint.touchpoint_id,
                        member_id=task.member_id,
                        brand_id=task.brand_id,
                        store_id=task.store_id,
                        template=touchpoint.template,
                        audience="member",
                        channel=touchpoint.channel,
                        recipient_id=task.member_id,
                        marketing=touchpoint.marketing,
                        variables=dict(touchpoint.variables),
                        requested_at=now,
                    ),
                    brand_id=task.brand_id,
                )
                await uow.timeline.append(
                    [
                        _line(
                            task,
                            caller,
                            now,
                            "task_suggestion_sent",
                            f"{caller.subject} sent {touchpoint.template}",
                            touchpoint_id=touchpoint.touchpoint_id,
                        )
                    ]
                )
        return task

    async def complete(self, caller: Principal, command: CompleteTask) -> Task:
        outcome = command.outcome.strip()
        if not outcome:
            raise InvalidInput("outcome", "must say what came of the task")
        if len(outcome) > OUTCOME_MAX:
            raise InvalidInput("outcome", f"must be at most {OUTCOME_MAX} characters")
        now = self._clock.now()
        async with self._unit_of_work() as uow:
            task = _open(caller, command.task_id, await uow.tasks.get(command.task_id))
            done = replace(task, status="done", outcome=outcome, closed_at=now)
            await uow.tasks.save(done)
            await uow.timeline.append(
                [_line(done, caller, now, "task_done", f"{caller.subject}: {outcome}")]
            )
        return done

    async def postpone(self, caller: Principal, command: PostponeTask) -> Task:
        now = self._clock.now()
        if command.until <= now:
            raise InvalidInput("until", f"must be in the future (now is {now.isoformat()})")
        async with self._unit_of_work() as uow:
            task = _open(caller, command.task_id, await uow.tasks.get(command.task_id))
            postponed = replace(task, postponed_until=command.until)
            await uow.tasks.save(postponed)
            await uow.timeline.append(
                [
                    _line(
                        postponed,
                        caller,
                        now,
                        "task_postponed",
                        f"{caller.subject} postponed it to {command.until.isoformat()}",
                    )
                ]
            )
        return postponed


async def reassign_open_tasks(uow: JourneyUnitOfWork, member_id: str, assignee_id: str) -> int:
    """On a hand-over (she is bound to another associate), her open tasks follow her; in the
    consumer's unit of work. How many moved."""
    return await uow.tasks.reassign_open(member_id, assignee_id)


def _open(caller: Principal, task_id: str, task: Task | None) -> Task:
    seen = visible_task(caller, task_id, task)
    if seen.status != "open":
        raise TaskClosed(task_id, seen.status)
    return seen


def _line(
    task: Task,
    caller: Principal,
    at: datetime,
    kind: str,
    reason: str,
    **detail: str,
) -> TimelineLine:
    return TimelineLine(
        brand_id=task.brand_id,
        member_id=task.member_id,
        at=at,
        kind=kind,
        rule=task.trigger,
        reason=reason,
        store_id=task.store_id,
        associate_id=task.assignee_id,
        map_key=task.map_key,
        version=task.version,
        detail={"task_id": task.task_id, "by": caller.subject, **detail},
    )
