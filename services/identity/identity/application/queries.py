"""Reading members, stores and staff, scoped to the caller and masked by role."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import date, datetime

from rapport_events.contracts.identity import Channel, Gender
from rapport_platform.auth import Principal
from rapport_platform.pii import mask_name, mask_phone

from identity.application import access
from identity.application.ports import IdentityUnitOfWork, MemberFilter, MemberPosition
from identity.domain.errors import InvalidValue, MemberNotFound
from identity.domain.member import Member
from identity.domain.organisation import Staff, Store
from identity.domain.phone import COUNTRY_PREFIX, national_number

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


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
            registered_at=member.registered_at,
            masked=not full,
        )


@dataclass(frozen=True)
class MemberPage:
    items: list[MemberView]
    next_cursor: str | None


def encode_cursor(position: MemberPosition) -> str:
    raw = f"{position.registered_at.isoformat()}|{position.member_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> MemberPosition:
    problem = InvalidValue("cursor", "is not a cursor returned by this listing")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        instant, separator, member_id = raw.partition("|")
        registered_at = datetime.fromisoformat(instant)
    except (binascii.Error, UnicodeDecodeError, ValueError) as error:
        raise problem from error
    if not separator or not member_id or registered_at.tzinfo is None:
        raise problem
    return MemberPosition(registered_at=registered_at, member_id=member_id)


async def get_member(viewer: Principal, member_id: str, uow: IdentityUnitOfWork) -> MemberView:
    async with uow:
        member = await uow.members.get(member_id)
    if member is None or not access.may_see_member(viewer, member):
        raise MemberNotFound(member_id)
    return MemberView.of(member, viewer)


async def list_members(
    viewer: Principal,
    uow: IdentityUnitOfWork,
    *,
    store_id: str | None = None,
    associate_id: str | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
    cursor: str | None = None,
) -> MemberPage:
    """One page, newest first; ``next_cursor`` fetches the following one (None at the end)."""
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise InvalidValue("limit", f"must be between 1 and {MAX_PAGE_SIZE}")
    store_id, associate_id = access.member_scope(viewer, store_id, associate_id)
    after = decode_cursor(cursor) if cursor else None
    where = MemberFilter(
        brand_id=viewer.require_brand(), store_id=store_id, associate_id=associate_id
    )
    async with uow:
        # One extra row tells whether another page follows.
        members = await uow.members.page(where, after, limit + 1)
    page, more = members[:limit], len(members) > limit
    next_cursor = (
        encode_cursor(MemberPosition(page[-1].registered_at, page[-1].member_id)) if more else None
    )
    return MemberPage(items=[MemberView.of(m, viewer) for m in page], next_cursor=next_cursor)


async def list_stores(brand_id: str, uow: IdentityUnitOfWork) -> list[Store]:
    async with uow:
        return await uow.stores.of_brand(brand_id)


async def list_staff(
    viewer: Principal, uow: IdentityUnitOfWork, store_id: str | None = None
) -> list[Staff]:
    store_id = access.staff_store_scope(viewer, store_id)
    brand_id = viewer.require_brand()
    async with uow:
        return await uow.staff.of_brand(brand_id, store_id)
