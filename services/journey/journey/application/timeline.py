"""A member's timeline: every stage change, trigger, touchpoint, task and goal, in order.

Scoped like her journey: anyone who may not see her journey is answered as if she did not
exist.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from rapport_platform.auth import Principal
from rapport_platform.pagination import Page, checked_limit, decode_cursor, page_of

from journey.application.access import visible_member
from journey.application.ports import JourneyUnitOfWork, TimelineLine


class TimelineQueries:
    def __init__(self, unit_of_work: Callable[[], JourneyUnitOfWork]) -> None:
        self._unit_of_work = unit_of_work

    async def timeline(
        self, caller: Principal, member_id: str, *, limit: int, cursor: str | None
    ) -> Page[TimelineLine]:
        checked_limit(limit)
        after = decode_cursor(cursor, (datetime, int)) if cursor else None
        async with self._unit_of_work() as uow:
            visible_member(caller, member_id, await uow.views.member(member_id))
            lines = await uow.timeline.page(member_id, after, limit + 1)  # type: ignore[arg-type]
        return page_of(lines, limit, key=lambda line: (line.at, line.id))
