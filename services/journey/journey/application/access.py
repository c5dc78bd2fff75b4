"""Who may see what of the journeys: every access rule of the service.

A journey belongs to the member's brand; store managers see their own store's members and
associates the members bound to them. Anything else answers as if it did not exist.
"""

from __future__ import annotations

from rapport_platform.auth import Principal, Role
from rapport_platform.refusals import OutOfScope

from journey.application.ports import FigureScope, JourneyView, Task, TaskFilter, TaskStatus
from journey.domain.journey import MemberJourney

READERS: tuple[Role, ...] = (Role.HQ, Role.STORE_MANAGER, Role.ASSOCIATE, Role.INTEGRATION)
"""Roles that may read journeys at all; the others are refused by role (403)."""

MAP_EDITORS: tuple[Role, ...] = (Role.HQ,)
"""Roles that edit, validate and publish their brand's maps: headquarters."""
MAP_READERS: tuple[Role, ...] = (Role.HQ, Role.INTEGRATION)
"""Roles that read their brand's maps. Store staff run the maps, they never see them (403)."""
TASK_HOLDERS: tuple[Role, ...] = (Role.HQ, Role.STORE_MANAGER, Role.ASSOCIATE)
"""Roles that list and act on staff tasks, each within their scope (:func:`task_filter`)."""
FIGURE_READERS: tuple[Role, ...] = READERS
"""Roles that read figures, each narrowed to their scope (:func:`figure_scope`)."""


def sees(caller: Principal, journey: MemberJourney) -> bool:
    if not caller.reaches_brand(journey.brand_id):
        return False
    if caller.role is Role.STORE_MANAGER:
        return journey.store_id == caller.store_id
    if caller.role is Role.ASSOCIATE:
        return journey.associate_id == caller.subject
    return True


def visible(caller: Principal, member_id: str, view: JourneyView | None) -> JourneyView:
    """The journey, refused exactly like a missing one when the caller may not see it."""
    if view is None or not sees(caller, view.journey):
        raise OutOfScope("member", member_id)
    return view


def counted_scope(caller: Principal, store_id: str | None) -> tuple[str, str | None]:
    """The brand and the store (None: the whole brand) whose stage counts the caller gets.

    Store staff count their own store whatever they ask; naming another store is asking
    for something that does not exist for them.
    """
    brand_id = caller.require_brand()
    if caller.role in (Role.STORE_MANAGER, Role.ASSOCIATE):
        if store_id is not None and not caller.reaches_store(store_id):
            raise OutOfScope("store", store_id)
        return brand_id, caller.store_id
    return brand_id, store_id


def visible_member(caller: Principal, member_id: str, journey: MemberJourney | None) -> None:
    """Refuse, like a member who does not exist, one the caller may not see."""
    if journey is None or not sees(caller, journey):
        raise OutOfScope("member", member_id)


def task_filter(
    caller: Principal, status: TaskStatus | None, assignee_id: str | None
) -> TaskFilter:
    """The tasks a caller lists: an associate her own, a store manager her store's, HQ the
    brand's. An associate naming another assignee asks for what does not exist for her."""
    brand_id = caller.require_brand()
    if caller.role is Role.ASSOCIATE:
        if assignee_id is not None and assignee_id != caller.subject:
            raise OutOfScope("associate", assignee_id)
        return TaskFilter(brand_id, caller.store_id, caller.subject, status)
    if caller.role is Role.STORE_MANAGER:
        return TaskFilter(brand_id, caller.store_id, assignee_id, status)
    return TaskFilter(brand_id, None, assignee_id, status)


def sees_task(caller: Principal, task: Task) -> bool:
    if not caller.reaches_brand(task.brand_id):
        return False
    if caller.role is Role.ASSOCIATE:
        return task.assignee_id == caller.subject and task.store_id == caller.store_id
    if caller.role is Role.STORE_MANAGER:
        return task.store_id == caller.store_id
    return caller.role is Role.HQ


def visible_task(caller: Principal, task_id: str, task: Task | None) -> Task:
    """The task, refused exactly like a missing one when the caller may not see it."""
    if task is None or not sees_task(caller, task):
        raise OutOfScope("task", task_id)
    return task


def figure_scope(caller: Principal, store_id: str | None, associate_id: str | None) -> FigureScope:
    """Whose figures a caller reads: HQ any store or associate of the brand, a store manager
    her store, an associate herself; naming anyone else is asking for what does not exist."""
    brand_id, store_id = counted_scope(caller, store_id)
    if caller.role is Role.ASSOCIATE:
        if associate_id is not None and associate_id != caller.subject:
            raise OutOfScope("associate", associate_id)
        associate_id = caller.subject
    return FigureScope(brand_id, store_id, associate_id)
