"""HTTP API: the deliveries the local channel recorded, each brand's templates and its contact
policy.

Routes only translate: the caller and the parameters into a command or a query, the result
into a response. Who may see and change what is decided in ``application/access.py``, and
every refusal's answer in ``entrypoints/errors.py``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from rapport_platform.auth import CurrentPrincipal
from rapport_platform.errors import error_responses
from rapport_platform.http import DEFAULT_LIMIT, Cursor, ItemsPage, Limit

from notifier.application.commands import SaveContactPolicy, SaveTemplate
from notifier.application.handlers import NotifierHandlers
from notifier.application.queries import DeliverySearch, NotifierQueries
from notifier.domain.deliveries import DeliveryStatus
from notifier.domain.templates import KEY_PATTERN, SHORT_TEXT_LIMIT
from notifier.entrypoints.schemas import (
    BRAND_EXAMPLE,
    CAPPED_EXAMPLE,
    CHURN_ALERT_EXAMPLE,
    DELIVERIES_CURSOR_EXAMPLE,
    HELD_EXAMPLE,
    MEMBER_EXAMPLE,
    MESSAGE_EXAMPLE,
    TEMPLATES_CURSOR_EXAMPLE,
    WELCOME_BACK_EXAMPLE,
    ContactPolicyIn,
    ContactPolicyOut,
    DeliveryOut,
    TemplateIn,
    TemplateOut,
    page_example,
)

BrandParam = Annotated[
    str | None,
    Query(
        description="The brand to act on; only a platform administrator names it, "
        "everyone else acts on the brand of their token.",
        examples=[BRAND_EXAMPLE],
    ),
]
MemberFilter = Annotated[str | None, Query(min_length=1, examples=[MEMBER_EXAMPLE])]
TemplateFilter = Annotated[str | None, Query(min_length=1, examples=["welcome_back"])]
TemplateKey = Annotated[str, Path(pattern=KEY_PATTERN, examples=["welcome_back"])]


def router(handlers: NotifierHandlers, queries: NotifierQueries) -> APIRouter:
    """The ``/v1`` deliveries, templates and contact policy endpoints."""
    routes = APIRouter(prefix="/v1")
    add_delivery_routes(routes, queries)
    add_template_routes(routes, handlers, queries)
    add_contact_policy_routes(routes, handlers, queries)
    return routes


def add_delivery_routes(routes: APIRouter, queries: NotifierQueries) -> None:
    @routes.get(
        "/deliveries",
        tags=["deliveries"],
        summary="Deliveries recorded by the local channel, newest first",
        description="Associates see only the tasks addressed to them.",
        responses={
            **page_example(
                DELIVERIES_CURSOR_EXAMPLE, HELD_EXAMPLE, MESSAGE_EXAMPLE, CAPPED_EXAMPLE
            ),
            **error_responses(401, 404, 422),
        },
    )
    async def list_deliveries(
        caller: CurrentPrincipal,
        member_id: MemberFilter = None,
        template: TemplateFilter = None,
        status: DeliveryStatus | None = None,
        brand_id: BrandParam = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ItemsPage[DeliveryOut]:
        search = DeliverySearch(
            brand_id=brand_id, member_id=member_id, template=template, status=status
        )
        page = await queries.deliveries(caller, search, limit=limit, cursor=cursor)
        return ItemsPage[DeliveryOut].of(page, DeliveryOut.of)


def add_template_routes(
    routes: APIRouter, handlers: NotifierHandlers, queries: NotifierQueries
) -> None:
    @routes.get(
        "/templates",
        tags=["templates"],
        summary="The templates in effect for the brand, by key",
        description="Built-in defaults, replaced key by key by the brand's own versions.",
        responses={
            **page_example(TEMPLATES_CURSOR_EXAMPLE, CHURN_ALERT_EXAMPLE, WELCOME_BACK_EXAMPLE),
            **error_responses(401, 404, 422),
        },
    )
    async def list_templates(
        caller: CurrentPrincipal,
        brand_id: BrandParam = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ItemsPage[TemplateOut]:
        page = await queries.templates(caller, brand_id, limit=limit, cursor=cursor)
        return ItemsPage[TemplateOut].of(page, TemplateOut.of)

    @routes.put(
        "/templates/{key}",
        tags=["templates"],
        summary="Save the brand's version of a template",
        description=f"Only HQ and platform administrators. SMS and WeChat bodies longer than "
        f"{SHORT_TEXT_LIMIT} characters and malformed placeholders are refused with 422.",
        responses=error_responses(401, 403, 404, 422),
    )
    async def put_template(
        caller: CurrentPrincipal, key: TemplateKey, payload: TemplateIn, brand_id: BrandParam = None
    ) -> TemplateOut:
        command = SaveTemplate(
            key=key, channel=payload.channel, body=payload.body, brand_id=brand_id
        )
        return TemplateOut.of(await handlers.save_template(caller, command))


def add_contact_policy_routes(
    routes: APIRouter, handlers: NotifierHandlers, queries: NotifierQueries
) -> None:
    @routes.get(
        "/contact-policy",
        tags=["contact policy"],
        summary="The brand's marketing cap and quiet hours",
        description="The brand's own policy, or the default: at most 2 marketing pushes per "
        "member per rolling 7 days, member messages held from 21:00 to 08:00 (Asia/Shanghai). "
        "Service messages are not capped; tasks for staff are neither capped nor held.",
        responses=error_responses(401, 404, 422),
    )
    async def get_contact_policy(
        caller: CurrentPrincipal, brand_id: BrandParam = None
    ) -> ContactPolicyOut:
        return ContactPolicyOut.of(await queries.contact_policy(caller, brand_id))

    @routes.put(
        "/contact-policy",
        tags=["contact policy"],
        summary="Replace the brand's contact policy",
        description="Only HQ and platform administrators. Applies to every touchpoint decided "
        "from now on, and to held messages when they are released. An unknown time zone or a "
        "time not written HH:MM is refused with 422 naming the field.",
        responses=error_responses(401, 403, 404, 422),
    )
    async def put_contact_policy(
        caller: CurrentPrincipal, payload: ContactPolicyIn, brand_id: BrandParam = None
    ) -> ContactPolicyOut:
        cap, quiet = payload.marketing_cap, payload.quiet_hours
        command = SaveContactPolicy(
            marketing_limit=cap.limit,
            marketing_window_days=cap.window_days,
            quiet_hours_enabled=quiet.enabled,
            quiet_start=quiet.start,
            quiet_end=quiet.end,
            time_zone=quiet.time_zone,
            brand_id=brand_id,
        )
        return ContactPolicyOut.of(await handlers.save_contact_policy(caller, command))
