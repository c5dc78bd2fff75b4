"""HTTP API under ``/v1``: brands, staff login, stores, staff and members.

Every route but the login needs a bearer token; what a caller sees depends on her role
(see :mod:`identity.application.access`). Routes only translate: HTTP to commands and
queries, and their results to the bodies of :mod:`identity.entrypoints.schemas`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response
from rapport_platform.auth import Principal, Role, require_roles
from rapport_platform.errors import error_responses
from rapport_platform.http import DEFAULT_LIMIT, Cursor, ItemsPage, Limit

from identity.application.commands import (
    BindMember,
    CreateBrand,
    CreateStaff,
    CreateStore,
    IssueIngestionCredentials,
    LogIn,
    RegisterMember,
)
from identity.application.handlers import IdentityHandlers
from identity.application.queries import IdentityQueries, MemberView
from identity.entrypoints.schemas import (
    MEMBER_ID,
    STORE_ID,
    BindingIn,
    BrandIn,
    BrandOut,
    IngestionCredentialsOut,
    LoginIn,
    MemberIn,
    MemberOut,
    StaffIn,
    StaffOut,
    StoreIn,
    StoreOut,
    TokenOut,
)

PlatformAdmin = Annotated[Principal, Depends(require_roles(Role.PLATFORM_ADMIN))]
Hq = Annotated[Principal, Depends(require_roles(Role.HQ))]
Manager = Annotated[Principal, Depends(require_roles(Role.HQ, Role.STORE_MANAGER))]
MemberReader = Annotated[
    Principal,
    Depends(require_roles(Role.HQ, Role.STORE_MANAGER, Role.ASSOCIATE, Role.INTEGRATION)),
]

MemberId = Annotated[
    str, Path(min_length=1, max_length=64, description="The member's id.", examples=[MEMBER_ID])
]
StoreFilter = Annotated[
    str | None, Query(max_length=64, description="Only this store's.", examples=[STORE_ID])
]
AssociateFilter = Annotated[
    str | None, Query(max_length=64, description="Only those bound to this associate.")
]


def router(handlers: IdentityHandlers, queries: IdentityQueries) -> APIRouter:
    routes = APIRouter(prefix="/v1")
    _organisation_routes(routes, handlers, queries)
    _member_routes(routes, handlers, queries)
    _integration_routes(routes, handlers)
    return routes


INGESTION_CREDENTIALS = (
    "Creates the brand's ingestion topic (`rapport.ingest.<brand id>`) and its Kafka user if "
    "they are missing, and gives the user a new SASL/SCRAM password: the previous one stops "
    "working at once, so call this to rotate. The user may write to that topic and to nothing "
    "else. The password is in this answer only. How to publish: `docs/events/integrating.md`. "
    "A platform whose Kafka authenticates nobody answers 409 `ingestion_unavailable`."
)


def _integration_routes(routes: APIRouter, handlers: IdentityHandlers) -> None:
    @routes.post(
        "/integrations/kafka-credentials",
        status_code=201,
        tags=["integrations"],
        summary="New Kafka credentials for the brand's outside systems (HQ)",
        description=INGESTION_CREDENTIALS,
        responses=error_responses(401, 403, 404, 409),
    )
    async def issue_kafka_credentials(principal: Hq, response: Response) -> IngestionCredentialsOut:
        # A password must not linger in a cache between the service and the caller.
        response.headers["Cache-Control"] = "no-store"
        command = IssueIngestionCredentials(actor=principal)
        return IngestionCredentialsOut.of(await handlers.issue_ingestion_credentials(command))


def _organisation_routes(
    routes: APIRouter, handlers: IdentityHandlers, queries: IdentityQueries
) -> None:
    @routes.post(
        "/brands",
        status_code=201,
        tags=["brands"],
        summary="Create a brand and its first HQ login",
        responses=error_responses(401, 403, 409, 422),
    )
    async def create_brand(body: BrandIn, _: PlatformAdmin) -> BrandOut:
        command = CreateBrand(
            code=body.code,
            name=body.name,
            hq_username=body.hq_username,
            hq_password=body.hq_password.get_secret_value(),
            hq_display_name=body.hq_display_name,
        )
        return BrandOut.of(await handlers.create_brand(command))

    @routes.post(
        "/auth/token",
        tags=["auth"],
        summary="Log in as a member of staff: a bearer token for the other routes",
        responses=error_responses(401, 422),
    )
    async def log_in(body: LoginIn) -> TokenOut:
        command = LogIn(
            brand_code=body.brand_code,
            username=body.username,
            password=body.password.get_secret_value(),
        )
        return TokenOut.of(await handlers.log_in(command))

    @routes.post(
        "/stores",
        status_code=201,
        tags=["stores"],
        summary="Open a store of your brand",
        responses=error_responses(401, 403, 404, 422),
    )
    async def create_store(body: StoreIn, principal: Hq) -> StoreOut:
        command = CreateStore(actor=principal, name=body.name, city=body.city)
        return StoreOut.of(await handlers.create_store(command))

    @routes.get(
        "/stores",
        tags=["stores"],
        summary="The stores of your brand, by name, a page at a time",
        responses=error_responses(401, 403, 422),
    )
    async def list_stores(
        principal: Manager, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
    ) -> ItemsPage[StoreOut]:
        page = await queries.stores(principal, limit=limit, cursor=cursor)
        return ItemsPage[StoreOut].of(page, StoreOut.of)

    @routes.post(
        "/staff",
        status_code=201,
        tags=["staff"],
        summary="Create a staff login (store managers: associates of their own store)",
        responses=error_responses(401, 403, 404, 409, 422),
    )
    async def create_staff(body: StaffIn, principal: Manager) -> StaffOut:
        command = CreateStaff(
            actor=principal,
            store_id=body.store_id,
            role=body.role,
            display_name=body.display_name,
            username=body.username,
            password=body.password.get_secret_value(),
        )
        return StaffOut.of(await handlers.create_staff(command))

    @routes.get(
        "/staff",
        tags=["staff"],
        summary="Staff of your brand or of one store (store managers: their own), by name",
        responses=error_responses(401, 403, 404, 422),
    )
    async def list_staff(
        principal: Manager,
        store_id: StoreFilter = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ItemsPage[StaffOut]:
        page = await queries.staff(principal, store_id=store_id, limit=limit, cursor=cursor)
        return ItemsPage[StaffOut].of(page, StaffOut.of)


def _member_routes(routes: APIRouter, handlers: IdentityHandlers, queries: IdentityQueries) -> None:
    @routes.post(
        "/members",
        status_code=201,
        tags=["members"],
        summary="Register a member (bound to an associate when an invite code is given)",
        responses=error_responses(401, 403, 404, 409, 422),
    )
    async def register_member(body: MemberIn, principal: MemberReader) -> MemberOut:
        command = RegisterMember(actor=principal, **body.model_dump())
        member = await handlers.register_member(command)
        return MemberOut.of(MemberView.of(member, principal))

    @routes.post(
        "/members/{member_id}/binding",
        tags=["members"],
        summary="Bind a member to the associate whose invite code she used",
        responses=error_responses(401, 403, 404, 409, 422),
    )
    async def bind_member(
        member_id: MemberId, body: BindingIn, principal: MemberReader
    ) -> MemberOut:
        command = BindMember(actor=principal, member_id=member_id, invite_code=body.invite_code)
        member = await handlers.bind_member(command)
        return MemberOut.of(MemberView.of(member, principal))

    @routes.get(
        "/members/{member_id}",
        tags=["members"],
        summary="One member (404 when outside your reach)",
        responses=error_responses(401, 403, 404),
    )
    async def get_member(member_id: MemberId, principal: MemberReader) -> MemberOut:
        return MemberOut.of(await queries.member(principal, member_id))

    @routes.get(
        "/members",
        tags=["members"],
        summary="Members within your reach, newest first, a page at a time",
        responses=error_responses(401, 403, 404, 422),
    )
    async def list_members(
        principal: MemberReader,
        store_id: StoreFilter = None,
        associate_id: AssociateFilter = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ItemsPage[MemberOut]:
        page = await queries.members(
            principal, store_id=store_id, associate_id=associate_id, limit=limit, cursor=cursor
        )
        return ItemsPage[MemberOut].of(page, MemberOut.of)
