"""Events published by the identity service on ``rapport.identity.members``."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import AwareDatetime, Field

from rapport_events.envelope import DomainEvent
from rapport_events.registry import registry
from rapport_events.topics import IDENTITY_MEMBERS

Gender = Literal["female", "male", "unspecified"]
Channel = Literal["sms", "wechat", "app"]


@registry.contract
class MemberRegistered(DomainEvent):
    """A person joined a brand as a member.

    Carries only what downstream rules and greetings need: no phone number, no full name.
    v2 added ``preferred_channel``; v1 records read as ``"sms"``.
    """

    event_type = "rapport.identity.member.registered"
    event_version = 2
    topic = IDENTITY_MEMBERS

    member_id: str = Field(examples=["mbr_01J9Z3K6Q8"])
    brand_id: str = Field(examples=["brd_lumiere"])
    store_id: str = Field(examples=["sto_shanghai_01"])
    surname: str = Field(min_length=1, max_length=20, examples=["Liang"])
    gender: Gender = "unspecified"
    birthday: date | None = Field(default=None, examples=["1990-05-17"])
    preferred_channel: Channel = "sms"
    registered_at: AwareDatetime


@registry.upcaster(MemberRegistered.event_type, from_version=1)
def _member_registered_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "preferred_channel": data.get("preferred_channel", "sms")}


@registry.contract
class MemberBoundToAssociate(DomainEvent):
    """A member was bound to a sales associate (through her invite code, or a hand-over)."""

    event_type = "rapport.identity.member.bound-to-associate"
    topic = IDENTITY_MEMBERS

    member_id: str
    brand_id: str
    store_id: str
    associate_id: str = Field(examples=["stf_7d1c2e"])
    previous_associate_id: str | None = None
    via: Literal["invite_code", "hand_over"] = "invite_code"
    bound_at: AwareDatetime
