"""The notifier API's request and response models, with the examples its OpenAPI shows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from notifier.application.contact_policy import EffectiveContactPolicy, PolicySource
from notifier.application.templates import EffectiveTemplate, TemplateSource
from notifier.domain.contact_policy import MAX_MARKETING_LIMIT, MAX_WINDOW_DAYS, hh_mm
from notifier.domain.deliveries import Audience, Delivery, DeliveryStatus
from notifier.domain.templates import SHORT_TEXT_CHANNELS, SHORT_TEXT_LIMIT, ChannelName

BRAND_EXAMPLE = "brd_3f2b8c1d9e4a4f6b8a7c5d2e1f0a9b8c"
MEMBER_EXAMPLE = "mbr_b45632c1c7e1422cbe31a3ee7114e3eb"
STAFF_EXAMPLE = "stf_0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a"

MESSAGE_EXAMPLE: dict[str, Any] = {
    "delivery_id": "dlv_5f0c6a0e3b8d4c7e9a1b2c3d4e5f6a7b",
    "touchpoint_id": "tpt_5b1f0e0c8f9a4c55a7e1d7c3b2a19f60",
    "brand_id": BRAND_EXAMPLE,
    "store_id": "sto_8a1c2e3f4b5d4c6e9f0a1b2c3d4e5f60",
    "member_id": MEMBER_EXAMPLE,
    "recipient_id": MEMBER_EXAMPLE,
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
    "held_until": None,
}
CAPPED_EXAMPLE: dict[str, Any] = {
    **MESSAGE_EXAMPLE,
    "delivery_id": "dlv_9a8b7c6d5e4f40312a1b2c3d4e5f6a7b",
    "touchpoint_id": "tpt_0c1d2e3f4a5b4c6d8e9f0a1b2c3d4e5f",
    "status": "capped",
    "reason": "weekly marketing cap reached (2 per 7 days)",
    "created_at": "2026-03-01T09:00:00Z",
}
HELD_EXAMPLE: dict[str, Any] = {
    **MESSAGE_EXAMPLE,
    "delivery_id": "dlv_1b2c3d4e5f6a4b7c8d9e0f1a2b3c4d5e",
    "touchpoint_id": "tpt_6e5d4c3b2a1f40e9d8c7b6a5f4e3d2c1",
    "template": "care_guide_24h",
    "marketing": False,
    "text": "梁小姐，感谢今天的光临！护理后24小时内请避免沾水和高温，如有不适请随时联系门店。",
    "status": "held",
    "reason": "quiet hours 21:00-08:00 (Asia/Shanghai)",
    "created_at": "2026-03-02T14:30:00Z",
    "held_until": "2026-03-03T00:00:00Z",
}
WELCOME_BACK_EXAMPLE: dict[str, Any] = {
    "key": "welcome_back",
    "channel": "sms",
    "body": "{surname}{title}，好久不见！{offer}已放入您的账户，期待您再次光临。",
    "placeholders": ["surname", "title", "offer"],
    "max_length": 70,
    "source": "default",
    "updated_at": None,
    "updated_by": None,
}
CHURN_ALERT_EXAMPLE: dict[str, Any] = {
    "key": "churn_risk_alert",
    "channel": "task",
    "body": "会员 {member_id} 有流失风险，请今天内致电回访。",
    "placeholders": ["member_id"],
    "max_length": None,
    "source": "brand",
    "updated_at": "2026-02-20T08:15:00Z",
    "updated_by": STAFF_EXAMPLE,
}


DELIVERIES_CURSOR_EXAMPLE = (
    "WyIyMDI2LTAzLTAxVDA5OjAwOjAwKzAwOjAwIiwiZGx2XzlhOGI3YzZkNWU0ZjQwMzEyYTFiMmMzZDRlNWY2YTdiIl0"
)
TEMPLATES_CURSOR_EXAMPLE = "WyJjaHVybl9yaXNrX2FsZXJ0Il0"


def page_example(cursor: str, *items: dict[str, Any]) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` entry showing one page of ``items`` and the next cursor."""
    body = {"items": list(items), "next_cursor": cursor}
    return {200: {"content": {"application/json": {"example": body}}}}


class DeliveryOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [MESSAGE_EXAMPLE, CAPPED_EXAMPLE, HELD_EXAMPLE]}
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
    status: DeliveryStatus = Field(
        description="held messages wait for the end of quiet hours, then become delivered, "
        "capped or failed"
    )
    reason: str | None = Field(description="why the message was not sent, or not yet")
    trace_id: str | None = Field(description="the trace the touchpoint belongs to")
    correlation_id: str | None
    created_at: datetime = Field(description="when it was sent, refused or held")
    held_until: datetime | None = Field(
        description="when a held message's quiet hours end and it is released"
    )

    @classmethod
    def of(cls, delivery: Delivery) -> DeliveryOut:
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
            held_until=delivery.held_until,
        )


class TemplateOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [WELCOME_BACK_EXAMPLE, CHURN_ALERT_EXAMPLE]}
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
    def of(cls, effective: EffectiveTemplate) -> TemplateOut:
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


MARKETING_CAP_EXAMPLE: dict[str, Any] = {"limit": 2, "window_days": 7}
QUIET_HOURS_EXAMPLE: dict[str, Any] = {
    "enabled": True,
    "start": "21:00",
    "end": "08:00",
    "time_zone": "Asia/Shanghai",
}
POLICY_IN_EXAMPLE: dict[str, Any] = {
    "marketing_cap": MARKETING_CAP_EXAMPLE,
    "quiet_hours": QUIET_HOURS_EXAMPLE,
}
POLICY_IN_OTHER_EXAMPLE: dict[str, Any] = {
    "marketing_cap": {"limit": 3, "window_days": 14},
    "quiet_hours": {"enabled": False, "start": "22:00", "end": "09:30", "time_zone": "Asia/Tokyo"},
}
POLICY_DEFAULT_EXAMPLE: dict[str, Any] = {
    **POLICY_IN_EXAMPLE,
    "source": "default",
    "updated_at": None,
    "updated_by": None,
}
POLICY_SAVED_EXAMPLE: dict[str, Any] = {
    **POLICY_IN_OTHER_EXAMPLE,
    "source": "brand",
    "updated_at": "2026-02-20T08:15:00Z",
    "updated_by": STAFF_EXAMPLE,
}


class MarketingCapModel(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [MARKETING_CAP_EXAMPLE]}
    )

    limit: int = Field(
        ge=0,
        le=MAX_MARKETING_LIMIT,
        description="marketing pushes a member may get in any rolling window; 0 sends none",
    )
    window_days: int = Field(ge=1, le=MAX_WINDOW_DAYS, description="length of the window")


class QuietHoursModel(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [QUIET_HOURS_EXAMPLE]})

    enabled: bool = Field(description="false sends member messages at any hour")
    start: str = Field(
        max_length=5,
        description="HH:MM, 24-hour, in time_zone; a start after the end runs across midnight",
    )
    end: str = Field(max_length=5, description="HH:MM; held messages are sent from then on")
    time_zone: str = Field(max_length=64, description="an IANA time zone name")


class ContactPolicyIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [POLICY_IN_EXAMPLE, POLICY_IN_OTHER_EXAMPLE]},
    )

    marketing_cap: MarketingCapModel
    quiet_hours: QuietHoursModel


class ContactPolicyOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [POLICY_DEFAULT_EXAMPLE, POLICY_SAVED_EXAMPLE]}
    )

    marketing_cap: MarketingCapModel
    quiet_hours: QuietHoursModel
    source: PolicySource = Field(description="the built-in default, or the brand's own")
    updated_at: datetime | None
    updated_by: str | None

    @classmethod
    def of(cls, effective: EffectiveContactPolicy) -> ContactPolicyOut:
        cap = effective.policy.marketing_cap
        quiet = effective.policy.quiet_hours
        return cls(
            marketing_cap=MarketingCapModel(limit=cap.limit, window_days=cap.window_days),
            quiet_hours=QuietHoursModel(
                enabled=quiet.enabled,
                start=hh_mm(quiet.start),
                end=hh_mm(quiet.end),
                time_zone=quiet.time_zone,
            ),
            source=effective.source,
            updated_at=effective.updated_at,
            updated_by=effective.updated_by,
        )
