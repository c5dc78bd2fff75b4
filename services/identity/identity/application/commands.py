"""What callers ask the identity service to do.

Every command but the brand's creation and the login names its ``actor``: the rules in
:mod:`identity.application.access` decide what she may do, and in which brand.
"""

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
    actor: Principal
    name: str
    city: str


@dataclass(frozen=True)
class CreateStaff:
    actor: Principal
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
    store_id: str
    name: str
    surname: str
    phone: str
    gender: Gender = "unspecified"
    birthday: date | None = None
    preferred_channel: Channel = "sms"
    invite_code: str | None = None
    referred_by: str | None = None
    """The member of the brand who brought her, if any: announced as that member's referral."""


@dataclass(frozen=True)
class BindMember:
    actor: Principal
    member_id: str
    invite_code: str


@dataclass(frozen=True)
class IssueIngestionCredentials:
    """HQ asks for (new) Kafka credentials for the brand's outside systems."""

    actor: Principal
