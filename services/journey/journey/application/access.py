"""Who may see what of the journeys: every access rule of the service.

A journey belongs to the member's brand; store managers see their own store's members and
associates the members bound to them. Anything else answers as if it did not exist.
"""

from __future__ import annotations

from rapport_platform.auth import Principal, Role
from rapport_platform.refusals import OutOfScope

from journey.application.ports import JourneyView
from journey.domain.journey import MemberJourney

READERS: tuple[Role, ...] = (Role.HQ, Role.STORE_MANAGER, Role.ASSOCIATE, Role.INTEGRATION)
"""Roles that may read journeys at all; the others are refused by role (403)."""


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
