"""HTTP API under ``/v1``: brands, staff login, stores, staff and members.

Every route but the login needs a bearer token; what a caller sees depends on her role
(see :mod:`identity.application.access`).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field, SecretStr
from rapport_events.clock import Clock, SystemClock
from rapport_events.contracts.identity import Channel, Gender
from rapport_platform.auth import DEFAULT_TTL, Principal, Role, mint_token, require_roles
from rapport_platform.errors import error_responses

from identity.application import handlers, queries
from identity.application.commands import (
    BindMember,
    CreateBrand,
    CreateStaff,
    CreateStore,
    LogIn,
    RegisterMember,
)
from identity.application.ports import IdentityUnitOfWork, PasswordHasher
from identity.application.queries import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, MemberView
from identity.domain.invite_codes import RandomBelow
from identity.domain.organisation import Staff, StaffRole, Store

PlatformAdmin = Annotated[Principal, Depends(require_roles(Role.PLATFORM_ADMIN))]
Hq = Annotated[Principal, Depends(require_roles(Role.HQ))]
Manager = Annotated[Principal, Depends(require_roles(Role.HQ, Role.STORE_MANAGER))]
MemberReader = Annotated[
    Principal,
    Depends(require_roles(Role.HQ, Role.STORE_MANAGER, Role.ASSOCIATE, Role.INTEGRATION)),
]

MemberId = Annotated[
    str,
    Path(min_length=1, max_length=64, description="The member's id.", examples=["mbr_5f2b0c9e"]),
]


@dataclass(frozen=True)
class IdentityWiring:
    """What the routes need; providers because the database exists only once started."""

    unit_of_work: Callable[[], IdentityUnitOfWork]
    clock: Callable[[], Clock]
    hasher: PasswordHasher
    random_below: RandomBelow = secrets.randbelow
    token_ttl: timedelta = DEFAULT_TTL


# -- request and response bodies ---------------------------------------------------------


class Body(BaseModel):
    # A misspelt field is refused by name rather than silently dropped.
    model_config = ConfigDict(extra="forbid")


class BrandIn(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "code": "lumiere",
                    "name": "Lumière Nails & Beauty",
                    "hq_username": "hq",
                    "hq_password": "lumiere-hq-2026",
                }
            ]
        }
    )

    code: str = Field(
        min_length=2, max_length=40, description="Short unique code staff log in with."
    )
    name: str = Field(min_length=1, max_length=100)
    hq_username: str = Field(min_length=2, max_length=32, description="The first HQ login.")
    hq_password: SecretStr = Field(min_length=8, max_length=128)
    hq_display_name: str = Field(default="Headquarters", min_length=1, max_length=100)


class BrandOut(BaseModel):
    brand_id: str = Field(examples=["brd_8c4e0f3a1b2d4e6f8a9b0c1d2e3f4a5b"])
    code: str = Field(examples=["lumiere"])
    name: str = Field(examples=["Lumière Nails & Beauty"])
    hq_staff_id: str = Field(description="The HQ login created with the brand.")


class LoginIn(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"brand_code": "lumiere", "username": "wangli", "password": "wangli-2026"}]
        }
    )

    brand_code: str = Field(min_length=1, max_length=40)
    username: str = Field(min_length=1, max_length=32)
    password: SecretStr = Field(min_length=1, max_length=128)


class PrincipalOut(BaseModel):
    subject: str = Field(description="The staff id.")
    role: Role
    brand_id: str | None
    store_id: str | None
    name: str | None

    @classmethod
    def of(cls, principal: Principal) -> PrincipalOut:
        return cls.model_validate(principal, from_attributes=True)


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the token expires.")
    principal: PrincipalOut


class StoreIn(Body):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"name": "Jing'an flagship", "city": "Shanghai"}]}
    )

    name: str = Field(min_length=1, max_length=100)
    city: str = Field(min_length=1, max_length=100)


class StoreOut(BaseModel):
    store_id: str
    brand_id: str
    name: str
    city: str

    @classmethod
    def of(cls, store: Store) -> StoreOut:
        return cls.model_validate(store, from_attributes=True)


class StoreList(BaseModel):
    items: list[StoreOut]


class StaffIn(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "store_id": "sto_3f9a2c7d5e1b4a6c8d0e2f4a6b8c0d1e",
                    "role": "associate",
                    "display_name": "Wang Li",
                    "username": "wangli",
                    "password": "wangli-2026",
                }
            ]
        }
    )

    store_id: str | None = Field(
        default=None, max_length=64, description="Required except for role hq."
    )
    role: StaffRole
    display_name: str = Field(min_length=1, max_length=100)
    username: str = Field(min_length=2, max_length=32)
    password: SecretStr = Field(min_length=8, max_length=128)


class StaffOut(BaseModel):
    staff_id: str
    brand_id: str
    store_id: str | None
    role: StaffRole
    display_name: str
    username: str
    invite_code: str | None = Field(
        description="Associates only: members who join with it are bound to her.",
        examples=["7KQ3M9XA"],
    )

    @classmethod
    def of(cls, staff: Staff) -> StaffOut:
        return cls.model_validate(staff, from_attributes=True)


class StaffList(BaseModel):
    items: list[StaffOut]


class MemberIn(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "梁晓雯",
                    "phone": "138 1234 5678",
                    "gender": "female",
                    "birthday": "1992-05-17",
                    "store_id": "sto_3f9a2c7d5e1b4a6c8d0e2f4a6b8c0d1e",
                    "preferred_channel": "wechat",
                    "invite_code": "7KQ3M9XA",
                },
                {
                    "name": "Xiaowen Liang",
                    "surname": "Liang",
                    "phone": "+86-138-1234-5678",
                    "store_id": "sto_3f9a2c7d5e1b4a6c8d0e2f4a6b8c0d1e",
                },
            ]
        }
    )

    name: str = Field(min_length=1, max_length=64)
    surname: str | None = Field(
        default=None,
        max_length=20,
        description="Derived from the name when absent: 梁晓雯 -> 梁, Xiaowen Liang -> Liang.",
    )
    phone: str = Field(
        min_length=1,
        max_length=32,
        description="A mainland China mobile; stored as +86 and 11 digits.",
    )
    gender: Gender = "unspecified"
    birthday: date | None = Field(default=None, description="Not in the future, not before 1900.")
    store_id: str = Field(min_length=1, max_length=64)
    preferred_channel: Channel = "sms"
    invite_code: str | None = Field(
        default=None,
        max_length=16,
        description="An associate's invite code: binds the member to her.",
    )


class BindingIn(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [{"invite_code": "7KQ3M9XA"}]})

    invite_code: str = Field(min_length=1, max_length=16)


class MemberOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "member_id": "mbr_5f2b0c9e7a1d4c3b9e8f7a6b5c4d3e2f",
                    "brand_id": "brd_8c4e0f3a1b2d4e6f8a9b0c1d2e3f4a5b",
                    "store_id": "sto_3f9a2c7d5e1b4a6c8d0e2f4a6b8c0d1e",
                    "name": "梁晓雯",
                    "surname": "梁",
                    "phone": "+8613812345678",
                    "gender": "female",
                    "birthday": "1992-05-17",
                    "preferred_channel": "wechat",
                    "associate_id": "stf_1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d",
                    "registered_at": "2026-03-01T10:30:00Z",
                    "masked": False,
                }
            ]
        }
    )

    member_id: str
    brand_id: str
    store_id: str
    name: str = Field(description="Masked (梁**) unless you serve her.")
    surname: str
    phone: str = Field(description="Masked (+86138****5678) unless you serve her.")
    gender: Gender
    birthday: date | None
    preferred_channel: Channel
    associate_id: str | None
    registered_at: datetime
    masked: bool = Field(description="Whether name and phone are masked for you.")

    @classmethod
    def of(cls, view: MemberView) -> MemberOut:
        return cls.model_validate(view, from_attributes=True)


class MemberPageOut(BaseModel):
    items: list[MemberOut] = Field(description="Newest first.")
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page."
    )


# -- routes ------------------------------------------------------------------------------


def _auth_clock(request: Request) -> Clock:
    # Tokens are checked against the wall clock (see rapport_platform.auth), so they are
    # minted on it too; the business clock may have been moved forward for a demo.
    clock: Clock | None = getattr(request.app.state, "auth_clock", None)
    return clock if clock is not None else SystemClock()


def _auth_secret(request: Request) -> str:
    secret: str | None = getattr(request.app.state, "auth_secret", None)
    if secret is None:
        raise RuntimeError("app.state.auth_secret is not set")
    return secret


def identity_router(wiring: IdentityWiring) -> APIRouter:
    router = APIRouter(prefix="/v1")

    @router.post(
        "/brands",
        status_code=201,
        tags=["brands"],
        summary="Create a brand and its first HQ login",
        responses=error_responses(401, 403, 409, 422),
    )
    async def create_brand(body: BrandIn, _: PlatformAdmin) -> BrandOut:
        created = await handlers.create_brand(
            CreateBrand(
                code=body.code,
                name=body.name,
                hq_username=body.hq_username,
                hq_password=body.hq_password.get_secret_value(),
                hq_display_name=body.hq_display_name,
            ),
            wiring.unit_of_work(),
            wiring.hasher,
        )
        brand = created.brand
        return BrandOut(
            brand_id=brand.brand_id,
            code=brand.code,
            name=brand.name,
            hq_staff_id=created.hq.staff_id,
        )

    @router.post(
        "/auth/token",
        tags=["auth"],
        summary="Log in as a member of staff: a bearer token for the other routes",
        responses=error_responses(401, 422),
    )
    async def log_in(body: LoginIn, request: Request) -> TokenOut:
        staff = await handlers.log_in(
            LogIn(
                brand_code=body.brand_code,
                username=body.username,
                password=body.password.get_secret_value(),
            ),
            wiring.unit_of_work(),
            wiring.hasher,
        )
        principal = Principal(
            subject=staff.staff_id,
            role=Role(staff.role.value),
            brand_id=staff.brand_id,
            store_id=staff.store_id,
            name=staff.display_name,
        )
        token = mint_token(
            _auth_secret(request), principal, wiring.token_ttl, now=_auth_clock(request).now()
        )
        return TokenOut(
            access_token=token,
            expires_in=int(wiring.token_ttl.total_seconds()),
            principal=PrincipalOut.of(principal),
        )

    @router.post(
        "/stores",
        status_code=201,
        tags=["stores"],
        summary="Open a store of your brand",
        responses=error_responses(401, 403, 404, 422),
    )
    async def create_store(body: StoreIn, principal: Hq) -> StoreOut:
        store = await handlers.create_store(
            CreateStore(brand_id=principal.require_brand(), name=body.name, city=body.city),
            wiring.unit_of_work(),
        )
        return StoreOut.of(store)

    @router.get(
        "/stores",
        tags=["stores"],
        summary="The stores of your brand, by name",
        responses=error_responses(401, 403),
    )
    async def list_stores(principal: Manager) -> StoreList:
        stores = await queries.list_stores(principal.require_brand(), wiring.unit_of_work())
        return StoreList(items=[StoreOut.of(store) for store in stores])

    @router.post(
        "/staff",
        status_code=201,
        tags=["staff"],
        summary="Create a staff login (store managers: associates of their own store)",
        responses=error_responses(401, 403, 404, 409, 422),
    )
    async def create_staff(body: StaffIn, principal: Manager) -> StaffOut:
        staff = await handlers.create_staff(
            CreateStaff(
                actor=principal,
                brand_id=principal.require_brand(),
                store_id=body.store_id,
                role=body.role,
                display_name=body.display_name,
                username=body.username,
                password=body.password.get_secret_value(),
            ),
            wiring.unit_of_work(),
            wiring.hasher,
            wiring.random_below,
        )
        return StaffOut.of(staff)

    @router.get(
        "/staff",
        tags=["staff"],
        summary="Staff of your brand, or of one store (store managers: their own)",
        responses=error_responses(401, 403, 422),
    )
    async def list_staff(
        principal: Manager,
        store_id: Annotated[str | None, Query(max_length=64)] = None,
    ) -> StaffList:
        staff = await queries.list_staff(principal, wiring.unit_of_work(), store_id)
        return StaffList(items=[StaffOut.of(person) for person in staff])

    @router.post(
        "/members",
        status_code=201,
        tags=["members"],
        summary="Register a member (bound to an associate when an invite code is given)",
        responses=error_responses(401, 403, 409, 422),
    )
    async def register_member(body: MemberIn, principal: MemberReader) -> MemberOut:
        member = await handlers.register_member(
            RegisterMember(
                actor=principal,
                brand_id=principal.require_brand(),
                store_id=body.store_id,
                name=body.name,
                surname=body.surname,
                phone=body.phone,
                gender=body.gender,
                birthday=body.birthday,
                preferred_channel=body.preferred_channel,
                invite_code=body.invite_code,
            ),
            wiring.unit_of_work(),
            wiring.clock(),
        )
        return MemberOut.of(MemberView.of(member, principal))

    @router.post(
        "/members/{member_id}/binding",
        tags=["members"],
        summary="Bind a member to the associate whose invite code she used",
        responses=error_responses(401, 403, 404, 409, 422),
    )
    async def bind_member(
        member_id: MemberId, body: BindingIn, principal: MemberReader
    ) -> MemberOut:
        member = await handlers.bind_member(
            BindMember(
                actor=principal,
                brand_id=principal.require_brand(),
                member_id=member_id,
                invite_code=body.invite_code,
            ),
            wiring.unit_of_work(),
            wiring.clock(),
        )
        return MemberOut.of(MemberView.of(member, principal))

    @router.get(
        "/members/{member_id}",
        tags=["members"],
        summary="One member (404 when outside your reach)",
        responses=error_responses(401, 403, 404),
    )
    async def get_member(member_id: MemberId, principal: MemberReader) -> MemberOut:
        return MemberOut.of(await queries.get_member(principal, member_id, wiring.unit_of_work()))

    @router.get(
        "/members",
        tags=["members"],
        summary="Members within your reach, newest first, a page at a time",
        responses=error_responses(401, 403, 422),
    )
    async def list_members(
        principal: MemberReader,
        store_id: Annotated[str | None, Query(max_length=64)] = None,
        associate_id: Annotated[str | None, Query(max_length=64)] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
        cursor: Annotated[
            str | None, Query(max_length=512, description="`next_cursor` of the previous page.")
        ] = None,
    ) -> MemberPageOut:
        page = await queries.list_members(
            principal,
            wiring.unit_of_work(),
            store_id=store_id,
            associate_id=associate_id,
            limit=limit,
            cursor=cursor,
        )
        return MemberPageOut(
            items=[MemberOut.of(view) for view in page.items], next_cursor=page.next_cursor
        )

    return router
