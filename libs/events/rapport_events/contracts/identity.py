"""Events published by the identity service.

``rapport.identity.members`` carries what happens to members (keyed by member id);
``rapport.identity.organisation`` what happens to stores and staff (keyed by their ids).
Every other service keeps a local replica of these facts (``rapport_events.directory``) to
check the references that requests and events name.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import AwareDatetime, Field

from rapport_events.envelope import DomainEvent
from rapport_events.registry import registry
from rapport_events.topics import IDENTITY_MEMBERS, IDENTITY_ORGANISATION

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

    member_id: str = Field(examples=["mbr_f5662649c772d7d7c017ebf21784239b"])
    brand_id: str = Field(examples=["brd_808333d1c9e43277a79234eb57aefb62"])
    store_id: str = Field(examples=["sto_ef76ffb1adbd525fd8ee4f744eb7afe6"])
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
    associate_id: str = Field(examples=["stf_8c7d0a50340739cdd57c471cdb0b8412"])
    previous_associate_id: str | None = None
    via: Literal["invite_code", "hand_over"] = "invite_code"
    bound_at: AwareDatetime


@registry.contract
class ReferralMade(DomainEvent):
    """A member brought a newcomer to the brand: the newcomer registered naming her as
    referrer. The event is about the referrer (``member_id``, its subject and key): her
    referrals count for her rewards and tier."""

    event_type = "rapport.identity.referral.made"
    topic = IDENTITY_MEMBERS

    member_id: str = Field(
        description="the referrer, whose referral it is",
        examples=["mbr_f5662649c772d7d7c017ebf21784239b"],
    )
    newcomer_id: str = Field(
        description="the member who registered", examples=["mbr_0c1d2e3f4a5b4c6d9e8f7a6b5c4d3e2f"]
    )
    brand_id: str = Field(examples=["brd_808333d1c9e43277a79234eb57aefb62"])
    store_id: str = Field(
        description="the newcomer's store", examples=["sto_ef76ffb1adbd525fd8ee4f744eb7afe6"]
    )
    referred_at: AwareDatetime


StaffRole = Literal["hq", "store_manager", "associate", "integration"]


@registry.contract
class StoreOpened(DomainEvent):
    """A brand opened a store (or registered one it already had)."""

    event_type = "rapport.identity.store.opened"
    topic = IDENTITY_ORGANISATION
    subject_field = "store_id"

    store_id: str = Field(examples=["sto_ef76ffb1adbd525fd8ee4f744eb7afe6"])
    brand_id: str = Field(examples=["brd_808333d1c9e43277a79234eb57aefb62"])
    opened_at: AwareDatetime


@registry.contract
class StaffJoined(DomainEvent):
    """A person joined a brand's staff: at a store (managers, associates) or at HQ."""

    event_type = "rapport.identity.staff.joined"
    topic = IDENTITY_ORGANISATION
    subject_field = "staff_id"

    staff_id: str = Field(examples=["stf_8c7d0a50340739cdd57c471cdb0b8412"])
    brand_id: str = Field(examples=["brd_808333d1c9e43277a79234eb57aefb62"])
    store_id: str | None = Field(default=None, examples=["sto_ef76ffb1adbd525fd8ee4f744eb7afe6"])
    role: StaffRole
    joined_at: AwareDatetime
