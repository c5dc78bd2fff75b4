"""The request and response bodies of the identity API, with their OpenAPI examples.

Examples use ids of the shapes the service makes (a prefix and 32 hex digits) and values it
accepts, so that they can be sent as they are (after replacing the ids with real ones).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from rapport_events.contracts.identity import Channel, Gender
from rapport_platform.auth import Principal, Role

from identity.application.handlers import BrandCreated, Session
from identity.application.ports import IngestionCredentials
from identity.application.queries import MemberView
from identity.domain.invite_codes import PATTERN as INVITE_CODE_PATTERN
from identity.domain.organisation import Staff, StaffRole, Store

BRAND_ID = "brd_8c4e0f3a1b2d4e6f8a9b0c1d2e3f4a5b"
STORE_ID = "sto_3f9a2c7d5e1b4a6c8d0e2f4a6b8c0d1e"
STAFF_ID = "stf_1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d"
HQ_STAFF_ID = "stf_9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b"
MEMBER_ID = "mbr_5f2b0c9e7a1d4c3b9e8f7a6b5c4d3e2f"
INVITE_CODE = "7KQ3M9XA"


def examples(*bodies: dict[str, Any]) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": list(bodies)})


class Body(BaseModel):
    # A misspelt field is refused by name rather than silently dropped. Subclasses that set
    # model_config for their examples keep it: pydantic merges a class's config with its base's.
    model_config = ConfigDict(extra="forbid")


# -- brands and login ------------------------------------------------------------------


class BrandIn(Body):
    model_config = examples(
        {
            "code": "lumiere",
            "name": "Lumière Nails & Beauty",
            "hq_username": "hq",
            "hq_password": "lumiere-hq-2026",
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
    brand_id: str = Field(examples=[BRAND_ID])
    code: str = Field(examples=["lumiere"])
    name: str = Field(examples=["Lumière Nails & Beauty"])
    hq_staff_id: str = Field(description="The HQ login created with the brand.")

    @classmethod
    def of(cls, created: BrandCreated) -> BrandOut:
        brand = created.brand
        return cls(
            brand_id=brand.brand_id,
            code=brand.code,
            name=brand.name,
            hq_staff_id=created.hq.staff_id,
        )


class LoginIn(Body):
    model_config = examples(
        {"brand_code": "lumiere", "username": "wangli", "password": "wangli-2026"}
    )

    brand_code: str = Field(min_length=1, max_length=40)
    username: str = Field(min_length=1, max_length=32)
    password: SecretStr = Field(min_length=1, max_length=128)


class PrincipalOut(BaseModel):
    model_config = examples(
        {
            "subject": STAFF_ID,
            "role": "associate",
            "brand_id": BRAND_ID,
            "store_id": STORE_ID,
            "name": "Wang Li",
        }
    )

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
    expires_in: int = Field(description="Seconds until the token expires.", examples=[43200])
    principal: PrincipalOut

    @classmethod
    def of(cls, session: Session) -> TokenOut:
        return cls(
            access_token=session.token.access_token,
            expires_in=session.token.expires_in,
            principal=PrincipalOut.of(session.principal),
        )


# -- stores and staff ----------------------------------------------------------------------


class StoreIn(Body):
    model_config = examples({"name": "Jing'an flagship", "city": "Shanghai"})

    name: str = Field(min_length=1, max_length=100)
    city: str = Field(min_length=1, max_length=100)


class StoreOut(BaseModel):
    model_config = examples(
        {"store_id": STORE_ID, "brand_id": BRAND_ID, "name": "Jing'an flagship", "city": "Shanghai"}
    )

    store_id: str
    brand_id: str
    name: str
    city: str

    @classmethod
    def of(cls, store: Store) -> StoreOut:
        return cls.model_validate(store, from_attributes=True)


class StaffIn(Body):
    model_config = examples(
        {
            "store_id": STORE_ID,
            "role": "associate",
            "display_name": "Wang Li",
            "username": "wangli",
            "password": "wangli-2026",
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
    model_config = examples(
        {
            "staff_id": STAFF_ID,
            "brand_id": BRAND_ID,
            "store_id": STORE_ID,
            "role": "associate",
            "display_name": "Wang Li",
            "username": "wangli",
            "invite_code": INVITE_CODE,
        }
    )

    staff_id: str
    brand_id: str
    store_id: str | None
    role: StaffRole
    display_name: str
    username: str
    invite_code: str | None = Field(
        description="Associates only: members who join with it are bound to her."
    )

    @classmethod
    def of(cls, staff: Staff) -> StaffOut:
        return cls.model_validate(staff, from_attributes=True)


# -- members -----------------------------------------------------------------------------


MEMBER_IN_EXAMPLES: tuple[dict[str, Any], ...] = (
    {
        "name": "梁晓雯",
        "surname": "梁",
        "phone": "138 1234 5678",
        "gender": "female",
        "birthday": "1992-05-17",
        "store_id": STORE_ID,
        "preferred_channel": "wechat",
        "invite_code": INVITE_CODE,
    },
    {
        "name": "Zhou Min",
        "surname": "Zhou",
        "phone": "+86-139-0000-1111",
        "gender": "male",
        "store_id": STORE_ID,
        "referred_by": MEMBER_ID,
    },
)


class MemberIn(Body):
    model_config = examples(*MEMBER_IN_EXAMPLES)

    name: str = Field(min_length=1, max_length=64)
    surname: str = Field(
        min_length=1,
        max_length=20,
        description="The family name greetings use (梁 -> 梁女士, Zhou -> Mr. Zhou).",
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
        # Documented, not enforced here: the domain's refusal (`invalid_invite_code`) says
        # what is wrong better than a pattern mismatch would.
        json_schema_extra={"pattern": INVITE_CODE_PATTERN},
        description="An associate's invite code: binds the member to her.",
    )
    referred_by: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="The member of the brand who brought her: announced as that member's "
        "referral. Unknown, or of another brand: 422 `unknown_reference`.",
        examples=[MEMBER_ID],
    )


class BindingIn(Body):
    model_config = examples({"invite_code": INVITE_CODE})

    invite_code: str = Field(
        min_length=1,
        max_length=16,
        # Documented, not enforced here: the domain's refusal (`invalid_invite_code`) says
        # what is wrong better than a pattern mismatch would.
        json_schema_extra={"pattern": INVITE_CODE_PATTERN},
        description="An associate's invite code: binds the member to her.",
    )


class MemberOut(BaseModel):
    model_config = examples(
        {
            "member_id": MEMBER_ID,
            "brand_id": BRAND_ID,
            "store_id": STORE_ID,
            "name": "梁晓雯",
            "surname": "梁",
            "phone": "+8613812345678",
            "gender": "female",
            "birthday": "1992-05-17",
            "preferred_channel": "wechat",
            "associate_id": STAFF_ID,
            "referred_by": None,
            "registered_at": "2026-03-01T10:30:00Z",
            "masked": False,
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
    referred_by: str | None = Field(description="The member who referred her, if any.")
    registered_at: datetime
    masked: bool = Field(description="Whether name and phone are masked for you.")

    @classmethod
    def of(cls, view: MemberView) -> MemberOut:
        return cls.model_validate(view, from_attributes=True)


# -- integrations ----------------------------------------------------------------------------


class IngestionCredentialsOut(BaseModel):
    """Everything an outside system needs to publish to the brand's ingestion topic."""

    brand_id: str = Field(examples=[BRAND_ID])
    topic: str = Field(
        description="The only topic these credentials may write to.",
        examples=[f"rapport.ingest.{BRAND_ID}"],
    )
    bootstrap_servers: str = Field(examples=["127.0.0.1:59092"])
    security_protocol: str = Field(examples=["SASL_PLAINTEXT"])
    sasl_mechanism: str = Field(examples=["SCRAM-SHA-512"])
    username: str = Field(examples=[f"ingest-{BRAND_ID}"])
    password: str = Field(
        description="Shown in this answer only; asking again replaces it and this one stops "
        "working."
    )
    key: str = Field(
        default="the member id",
        description="What each record's key must be, so that one member's events stay in order.",
    )
    librdkafka: dict[str, str] = Field(
        description="The same as librdkafka settings (confluent-kafka, node-rdkafka, Go), "
        "including the partitioner that keeps keys on the partitions the platform uses."
    )

    @classmethod
    def of(cls, credentials: IngestionCredentials) -> IngestionCredentialsOut:
        return cls.model_validate(credentials, from_attributes=True)
