"""HTTP API: the deliveries the local channel recorded, and each brand's templates."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field
from rapport_platform.auth import Principal, Role, require_roles
from rapport_platform.errors import Rejected, error_responses
from rapport_platform.service import Runtime

from notifier.adapters.postgres import PostgresDeliveries, PostgresTemplates
from notifier.application.ports import DeliveryQuery
from notifier.application.templates import (
    EffectiveTemplate,
    TemplateSource,
    effective_templates,
    save_template,
)
from notifier.domain.deliveries import Audience, Delivery, DeliveryStatus
from notifier.domain.errors import InvalidTemplate
from notifier.domain.templates import (
    KEY_PATTERN,
    SHORT_TEXT_CHANNELS,
    SHORT_TEXT_LIMIT,
    ChannelName,
)

READERS = (
    Role.PLATFORM_ADMIN,
    Role.HQ,
    Role.STORE_MANAGER,
    Role.INTEGRATION,
    Role.ASSOCIATE,
)
TEMPLATE_EDITORS = (Role.PLATFORM_ADMIN, Role.HQ)

Reader = Annotated[Principal, Depends(require_roles(*READERS))]
Editor = Annotated[Principal, Depends(require_roles(*TEMPLATE_EDITORS))]
BrandParam = Annotated[
    str | None,
    Query(
        description="The brand to act on; only a platform administrator names it, "
        "everyone else acts on the brand of their token."
    ),
]


class DeliveryView(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "delivery_id": "dlv_5f0c6a0e3b8d4c7e9a1b2c3d4e5f6a7b",
                    "touchpoint_id": "tp_01HZX3K9",
                    "brand_id": "b-lumi",
                    "store_id": "s-jingan",
                    "member_id": "m-8c1f",
                    "recipient_id": "m-8c1f",
                    "audience": "member",
                    "channel": "sms",
                    "template": "welcome_back",
                    "marketing": True,
                    "text": "梁小姐，好久不见！50元护理券已放入您的账户，期待您再次光临。",
                    "status": "delivered",
                    "reason": None,
                    "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
                    "correlation_id": "7d3e2a94-1c55-4f0e-9a7b-2b1f0c9d8e61",
                    "created_at": "2026-03-02T09:00:00Z",
                }
            ]
        }
    )

    delivery_id: str
    touchpoint_id: str
    brand_id: str
    store_id: str | None
    member_id: str
    recipient_id: str = Field(description="the member, or the staff member a task is for")
    audience: Audience
    channel: ChannelName
    template: str
    marketing: bool
    text: str | None = Field(description="the text sent, or that would have been sent")
    status: DeliveryStatus
    reason: str | None = Field(description="why the message was not sent")
    trace_id: str | None = Field(description="the trace the touchpoint belongs to")
    correlation_id: str | None
    created_at: datetime

    @classmethod
    def of(cls, delivery: Delivery) -> DeliveryView:
        touchpoint = delivery.touchpoint
        return cls(
            delivery_id=delivery.delivery_id,
            touchpoint_id=touchpoint.touchpoint_id,
            brand_id=touchpoint.brand_id,
            store_id=touchpoint.store_id,
            member_id=touchpoint.member_id,
            recipient_id=touchpoint.recipient_id,
            audience=touchpoint.audience,
            channel=delivery.channel,
            template=touchpoint.template,
            marketing=touchpoint.marketing,
            text=delivery.text,
            status=delivery.status,
            reason=delivery.reason,
            trace_id=delivery.trace_id,
            correlation_id=delivery.correlation_id,
            created_at=delivery.created_at,
        )


class TemplateView(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "key": "welcome_back",
                    "channel": "sms",
                    "body": "{surname}{title}，好久不见！{offer}已放入您的账户，期待您再次光临。",
                    "placeholders": ["surname", "title", "offer"],
                    "max_length": 70,
                    "source": "default",
                    "updated_at": None,
                    "updated_by": None,
                }
            ]
        }
    )

    key: str
    channel: ChannelName
    body: str
    placeholders: list[str] = Field(description="variables a touchpoint must supply")
    max_length: int | None = Field(description="character limit of the rendered text, if any")
    source: TemplateSource = Field(description="built-in default, or the brand's own version")
    updated_at: datetime | None
    updated_by: str | None

    @classmethod
    def of(cls, effective: EffectiveTemplate) -> TemplateView:
        template = effective.template
        limited = template.channel in SHORT_TEXT_CHANNELS
        return cls(
            key=template.key,
            channel=template.channel,
            body=template.body,
            placeholders=template.placeholders,
            max_length=SHORT_TEXT_LIMIT if limited else None,
            source=effective.source,
            updated_at=effective.updated_at,
            updated_by=effective.updated_by,
        )


class TemplateIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "channel": "sms",
                    "body": "{surname}{title}，好久不见！{offer}已为您备好，欢迎回来。",
                },
                {"channel": "task", "body": "会员 {member_id} 有流失风险，请今天内致电回访。"},
            ]
        },
    )

    channel: ChannelName
    body: str = Field(
        min_length=1,
        max_length=2000,
        description="text with {name} placeholders; {{ and }} for literal braces; "
        f"sms and wechat bodies at most {SHORT_TEXT_LIMIT} characters",
    )


def routers(runtime: Runtime) -> list[APIRouter]:
    router = APIRouter(prefix="/v1")

    @router.get(
        "/deliveries",
        tags=["deliveries"],
        summary="Deliveries recorded by the local channel, newest first",
        description="Associates see only the tasks addressed to them.",
        responses=error_responses(401, 403, 422),
    )
    async def list_deliveries(
        principal: Reader,
        member_id: Annotated[str | None, Query(min_length=1)] = None,
        template: Annotated[str | None, Query(min_length=1)] = None,
        status: DeliveryStatus | None = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        brand_id: BrandParam = None,
    ) -> list[DeliveryView]:
        brand = principal.require_brand(brand_id)
        # An associate's view is her own task list: no member messages, no colleagues' tasks.
        associate = principal.role is Role.ASSOCIATE
        query = DeliveryQuery(
            brand_id=brand,
            member_id=member_id,
            template=template,
            status=status,
            limit=limit,
            channel="task" if associate else None,
            recipient_id=principal.subject if associate else None,
        )
        async with runtime.pool.acquire() as connection:
            found = await PostgresDeliveries(connection).search(query)
        return [DeliveryView.of(delivery) for delivery in found]

    @router.get(
        "/templates",
        tags=["templates"],
        summary="The templates in effect for the brand",
        description="Built-in defaults, replaced key by key by the brand's own versions.",
        responses=error_responses(401, 403, 422),
    )
    async def list_templates(principal: Reader, brand_id: BrandParam = None) -> list[TemplateView]:
        brand = principal.require_brand(brand_id)
        async with runtime.pool.acquire() as connection:
            found = await effective_templates(PostgresTemplates(connection), brand)
        return [TemplateView.of(effective) for effective in found]

    @router.put(
        "/templates/{key}",
        tags=["templates"],
        summary="Save the brand's version of a template",
        description=f"SMS and WeChat bodies longer than {SHORT_TEXT_LIMIT} characters "
        "and malformed placeholders are refused with 422.",
        responses=error_responses(401, 403, 422),
    )
    async def put_template(
        principal: Editor,
        key: Annotated[str, Path(pattern=KEY_PATTERN, examples=["welcome_back"])],
        payload: TemplateIn,
        brand_id: BrandParam = None,
    ) -> TemplateView:
        brand = principal.require_brand(brand_id)
        try:
            async with runtime.pool.acquire() as connection:
                saved = await save_template(
                    PostgresTemplates(connection),
                    brand,
                    key=key,
                    channel=payload.channel,
                    body=payload.body,
                    by=principal.subject,
                    now=runtime.clock.now(),
                )
        except InvalidTemplate as exc:
            location = "path.key" if exc.field == "key" else f"body.{exc.field}"
            raise Rejected(
                f"template {key} refused: {exc.message}", fields={location: exc.message}
            ) from exc
        return TemplateView.of(saved)

    return [router]
