"""Reading members, stores and staff, scoped to the caller and masked by role."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import cast

from rapport_events.contracts.identity import Channel, Gender
from rapport_platform.auth import Principal
from rapport_platform.pagination import (
    DEFAULT_LIMIT,
    Page,
    checked_limit,
    decode_cursor,
    page_of,
)
from rapport_platform.pii import mask_name, mask_phone

from identity.application import access
from identity.application.ports import (
    ByName,
    ByRegistration,
    IdentityUnitOfWork,
    MemberFilter,
    StaffFilter,
)
from identity.domain.member import Member
from identity.domain.organisation import Staff, Store
from identity.domain.phone import COUNTRY_PREFIX, national_number


@dataclass(frozen=True)
class MemberView:
    member_id: str
    brand_id: str
    store_id: str
    name: str
    surname: str
    phone: str
    gender: Gender
    birthday: date | None
    preferred_channel: Channel
    associate_id: str | None
    referred_by: str | None
    registered_at: datetime
    masked: bool

    @classmethod
    def of(cls, member: Member, viewer: Principal) -> MemberView:
        full = access.sees_personal_data(viewer, member)
        return cls(
            member_id=member.member_id,
            brand_id=member.brand_id,
            store_id=member.store_id,
            name=member.name if full else mask_name(member.name),
            surname=member.surname,
            phone=member.phone
            if full
            else COUNTRY_PREFIX + mask_phone(national_number(member.phone)),
            gender=member.gender,
            birthday=member.birthday,
            preferred_channel=member.preferred_channel,
            associate_id=member.associate_id,
            referred_by=member.referred_by,
            registered_at=member.registered_at,
            masked=not full,
        )


def _after_name(cursor: str | None) -> ByName | None:
    # decode_cursor checks each value's type against the shape it is given.
    return cast(ByName, decode_cursor(cursor, (str, str))) if cursor else None


def _after_registration(cursor: str | None) -> ByRegistration | None:
    return cast(ByRegistration, decode_cursor(cursor, (datetime, str))) if cursor else None


def _store_key(store: Store) -> ByName:
    return store.name, store.store_id


def _staff_key(staff: Staff) -> ByName:
    return staff.display_name, staff.staff_id


def _member_key(member: Member) -> ByRegistration:
    return member.registered_at, member.member_id


class IdentityQueries:
    def __init__(self, unit_of_work: Callable[[], IdentityUnitOfWork]) -> None:
        self._unit_of_work = unit_of_work

    async def member(self, viewer: Principal, member_id: str) -> MemberView:
        async with self._unit_of_work() as uow:
            found = await uow.members.get(member_id)
        return MemberView.of(access.ensure_may_see_member(viewer, member_id, found), viewer)

    async def members(
        self,
        viewer: Principal,
        *,
        store_id: str | None = None,
        associate_id: str | None = None,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> Page[MemberView]:
        """One page, newest first; ``next_cursor`` fetches the following one (None at the end)."""
        checked_limit(limit)
        store_id, associate_id = access.member_scope(viewer, store_id, associate_id)
        after = _after_registration(cursor)
        where = MemberFilter(access.acting_brand(viewer), store_id, associate_id)
        async with self._unit_of_work() as uow:
            rows = await uow.members.page(where, after, limit + 1)
        page = page_of(rows, limit, key=_member_key)
        return Page([MemberView.of(member, viewer) for member in page.items], page.next_cursor)

    async def stores(
        self, viewer: Principal, *, limit: int = DEFAULT_LIMIT, cursor: str | None = None
    ) -> Page[Store]:
        """The stores of the viewer's brand by name."""
        checked_limit(limit)
        after = _after_name(cursor)
        async with self._unit_of_work() as uow:
            rows = await uow.stores.page(access.acting_brand(viewer), after, limit + 1)
        return page_of(rows, limit, key=_store_key)

    async def staff(
        self,
        viewer: Principal,
        *,
        store_id: str | None = None,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> Page[Staff]:
        """The staff of the viewer's brand (or of one store) by display name."""
        checked_limit(limit)
        where = StaffFilter(access.acting_brand(viewer), access.staff_store_scope(viewer, store_id))
        after = _after_name(cursor)
        async with self._unit_of_work() as uow:
            rows = await uow.staff.page(where, after, limit + 1)
        return page_of(rows, limit, key=_staff_key)
