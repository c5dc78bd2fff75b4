"""What callers ask the identity service to do."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from rapport_events.contracts.identity import Channel, Gender
from rapport_platform.auth import Principal

from identity.domain.organisation import StaffRole


@dataclass(frozen=True)
class CreateBrand:
    code: str
    name: str
    hq_username: str
    hq_password: str
    hq_display_name: str = "Headquarters"


@dataclass(frozen=True)
class CreateStore:
    brand_id: str
    name: str
    city: str


@dataclass(frozen=True)
class CreateStaff:
    actor: Principal
    brand_id: str
    store_id: str | None
    role: StaffRole
    display_name: str
    username: str
    password: str


@dataclass(frozen=True)
class LogIn:
    brand_code: str
    username: str
    password: str


@dataclass(frozen=True)
class RegisterMember:
    """Register a member; with an invite code she is bound to its associate at once.

    When an associate registers a member herself without a code, the member is bound to
    her: she recruited her.
    """

    actor: Principal
    brand_id: str
    store_id: str
    name: str
    phone: str
    surname: str | None = None
    gender: Gender = "unspecified"
    birthday: date | None = None
    preferred_channel: Channel = "sms"
    invite_code: str | None = None


@dataclass(frozen=True)
class BindMember:
    actor: Principal
    brand_id: str
    member_id: str
    invite_code: str
