"""The request and response bodies of the HTTP API, with their OpenAPI examples."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import Header, Path, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from service_orders.domain.appointment import (
    BOOKING_HORIZON,
    MAX_CANCELLATION_REASON_LENGTH,
    MAX_SERVICE_CODE_LENGTH,
    Appointment,
    AppointmentStatus,
)
from service_orders.domain.money import MAX_AMOUNT
from service_orders.domain.purchase import (
    MAX_CODE_LENGTH,
    MAX_DESCRIPTION_LENGTH,
    MAX_ITEMS,
    MAX_QUANTITY,
    Purchase,
)
from service_orders.domain.review import (
    MAX_COMMENT_LENGTH,
    MAX_RECOMMENDATION,
    MAX_SATISFACTION,
    Review,
)
from service_orders.domain.text import MAX_ID_LENGTH

IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_IDEMPOTENCY_KEY_LENGTH = 200

EXAMPLE_MEMBER = "mbr_8c1d2e3f4a5b4c6d9e8f7a6b5c4d3e2f"
EXAMPLE_STORE = "sto_2b7e4c1d9a8f4e3b8c6d5a4f3e2d1c0b"
EXAMPLE_STAFF = "stf_4d3c2b1a0f9e4d8c7b6a5f4e3d2c1b0a"
EXAMPLE_BRAND = "brd_7a6b5c4d3e2f4a1b9c8d7e6f5a4b3c2d"
EXAMPLE_APPOINTMENT = "apt_0f9b1c2d3e4f4a5b8c7d6e5f4a3b2c1d"
EXAMPLE_VISIT = "vis_1a2b3c4d5e6f4a7b8c9d0e1f2a3b4c5d"
EXAMPLE_PURCHASE = "pur_5e4d3c2b1a0f4e9d8c7b6a5f4e3d2c1b"
EXAMPLE_REVIEW = "rev_9c8b7a6f5e4d4c3b2a1f0e9d8c7b6a5f"
# Bookings are accepted up to BOOKING_HORIZON ahead, so a fixed example is only good for
# so long: move it forward when it falls behind.
EXAMPLE_SCHEDULED_AT = "2027-06-15T14:30:00+08:00"

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias=IDEMPOTENCY_KEY_HEADER,
        min_length=1,
        max_length=MAX_IDEMPOTENCY_KEY_LENGTH,
        pattern=r"^[\x21-\x7e]+$",
        description=(
            "Any unique printable string (a UUID is a good choice), unique per brand. A retry "
            "with the same key answers the original resource and changes nothing; the same key "
            "with a different request is refused with 422."
        ),
        examples=["0b6e4d52-8f0c-4f4e-9d55-1f7c2a9e6b31"],
    ),
]
AppointmentId = Annotated[
    str, Path(min_length=1, max_length=MAX_ID_LENGTH, examples=[EXAMPLE_APPOINTMENT])
]
VisitId = Annotated[str, Path(min_length=1, max_length=MAX_ID_LENGTH, examples=[EXAMPLE_VISIT])]
PurchaseId = Annotated[
    str, Path(min_length=1, max_length=MAX_ID_LENGTH, examples=[EXAMPLE_PURCHASE])
]
MemberFilter = Annotated[
    str | None, Query(min_length=1, max_length=MAX_ID_LENGTH, examples=[EXAMPLE_MEMBER])
]
StoreFilter = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=MAX_ID_LENGTH,
        description="Store managers and associates always see their own store only.",
        examples=[EXAMPLE_STORE],
    ),
]


def _body(example: JsonDict) -> ConfigDict:
    """A request body's configuration: unknown fields refused, one documented example."""
    return ConfigDict(extra="forbid", json_schema_extra={"examples": [example]})


def _id(example: str) -> Any:
    """An id field of a request body (``Field`` is typed ``Any`` so that it fits any type)."""
    return Field(min_length=1, max_length=MAX_ID_LENGTH, examples=[example])


class BookAppointmentRequest(BaseModel):
    model_config = _body(
        {
            "member_id": EXAMPLE_MEMBER,
            "store_id": EXAMPLE_STORE,
            "service_code": "gel-manicure",
            "scheduled_at": EXAMPLE_SCHEDULED_AT,
        }
    )

    member_id: str = _id(EXAMPLE_MEMBER)
    store_id: str = _id(EXAMPLE_STORE)
    service_code: str = Field(
        min_length=1, max_length=MAX_SERVICE_CODE_LENGTH, examples=["gel-manicure"]
    )
    scheduled_at: AwareDatetime = Field(
        description=(
            "When the member is expected, with its time-zone offset, at most "
            f"{BOOKING_HORIZON.days} days ahead. A walk-in that started within the last hour "
            "may be booked after the fact; earlier times are refused."
        ),
        examples=[EXAMPLE_SCHEDULED_AT],
    )


class CompleteAppointmentRequest(BaseModel):
    model_config = _body({"amount": "268.00", "served_by": EXAMPLE_STAFF})

    amount: Decimal = Field(
        ge=0,
        le=MAX_AMOUNT,
        decimal_places=2,
        description="What the member paid for the visit, in yuan; 0 for a free service.",
        examples=["268.00"],
    )
    served_by: str | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_ID_LENGTH,
        description="Staff id of whoever served her; defaults to the caller when an associate.",
        examples=[EXAMPLE_STAFF],
    )


class CancelAppointmentRequest(BaseModel):
    model_config = _body({"reason": "member is travelling"})

    reason: str = Field(
        default="",
        max_length=MAX_CANCELLATION_REASON_LENGTH,
        description="Why it was called off, in a few words; may be left out.",
        examples=["member is travelling"],
    )


class ReviewRequest(BaseModel):
    model_config = _body({"recommendation": 9, "satisfaction": 92, "comment": "gentle and on time"})

    recommendation: int = Field(
        ge=0,
        le=MAX_RECOMMENDATION,
        description="How likely she is to recommend the store, 0 to 10 (the NPS question).",
        examples=[9],
    )
    satisfaction: int = Field(
        ge=0, le=MAX_SATISFACTION, description="How satisfied she was, 0 to 100.", examples=[92]
    )
    comment: str = Field(default="", max_length=MAX_COMMENT_LENGTH, examples=["gentle and on time"])


class PurchasedItemIn(BaseModel):
    model_config = _body({"product_code": "deep-sleep-180", "category": "mattress", "quantity": 1})

    product_code: str = Field(min_length=1, max_length=MAX_CODE_LENGTH, examples=["deep-sleep-180"])
    category: str = Field(
        min_length=1,
        max_length=MAX_CODE_LENGTH,
        description="What kind of product it is; journeys react to some (a mattress purchase "
        "makes deep-cleaning due six months later).",
        examples=["mattress", "care-kit"],
    )
    quantity: int = Field(default=1, ge=1, le=MAX_QUANTITY, examples=[1])


class RecordPurchaseRequest(BaseModel):
    model_config = _body(
        {
            "member_id": EXAMPLE_MEMBER,
            "store_id": EXAMPLE_STORE,
            "amount": "580.00",
            "description": "Hand-care set and 5-session nail package",
            "items": [
                {"product_code": "hand-care-set", "category": "care-kit", "quantity": 1},
                {"product_code": "nail-5-sessions", "category": "package", "quantity": 1},
            ],
        }
    )

    member_id: str = _id(EXAMPLE_MEMBER)
    store_id: str = _id(EXAMPLE_STORE)
    amount: Decimal = Field(
        gt=0, le=MAX_AMOUNT, decimal_places=2, description="In yuan.", examples=["580.00"]
    )
    description: str | None = Field(
        default=None,
        max_length=MAX_DESCRIPTION_LENGTH,
        examples=["Hand-care set and 5-session nail package"],
    )
    items: list[PurchasedItemIn] = Field(
        default_factory=list, max_length=MAX_ITEMS, description="What she bought, line by line."
    )


class VisitView(BaseModel):
    visit_id: str = Field(examples=[EXAMPLE_VISIT])
    amount: Decimal = Field(examples=["268.00"])
    served_by: str | None = Field(examples=[EXAMPLE_STAFF])
    completed_at: datetime


class AppointmentView(BaseModel):
    appointment_id: str = Field(examples=[EXAMPLE_APPOINTMENT])
    brand_id: str = Field(examples=[EXAMPLE_BRAND])
    store_id: str = Field(examples=[EXAMPLE_STORE])
    member_id: str = Field(examples=[EXAMPLE_MEMBER])
    service_code: str = Field(examples=["gel-manicure"])
    scheduled_at: datetime
    status: AppointmentStatus
    booked_by: str = Field(examples=[EXAMPLE_STAFF])
    booked_at: datetime
    visit: VisitView | None = Field(description="Present once the appointment is completed.")
    cancelled_by: str | None
    cancelled_at: datetime | None
    cancellation_reason: str | None = Field(
        description="Why it was cancelled (may be empty); null unless cancelled.",
        examples=["member is travelling"],
    )
    missed_at: datetime | None = Field(description="When staff recorded the no-show.")

    @classmethod
    def of(cls, appointment: Appointment) -> AppointmentView:
        visit, cancellation = appointment.visit, appointment.cancellation
        return cls(
            appointment_id=appointment.appointment_id,
            brand_id=appointment.brand_id,
            store_id=appointment.store_id,
            member_id=appointment.member_id,
            service_code=appointment.service_code,
            scheduled_at=appointment.scheduled_at,
            status=appointment.status,
            booked_by=appointment.booked_by,
            booked_at=appointment.booked_at,
            visit=None if visit is None else VisitView.model_validate(visit, from_attributes=True),
            cancelled_by=cancellation.cancelled_by if cancellation else None,
            cancelled_at=cancellation.cancelled_at if cancellation else None,
            cancellation_reason=cancellation.reason if cancellation else None,
            missed_at=appointment.missed_at,
        )


class PurchasedItemOut(BaseModel):
    product_code: str = Field(examples=["deep-sleep-180"])
    category: str = Field(examples=["mattress"])
    quantity: int = Field(examples=[1])


class PurchaseView(BaseModel):
    purchase_id: str = Field(examples=[EXAMPLE_PURCHASE])
    brand_id: str = Field(examples=[EXAMPLE_BRAND])
    store_id: str = Field(examples=[EXAMPLE_STORE])
    member_id: str = Field(examples=[EXAMPLE_MEMBER])
    amount: Decimal = Field(examples=["580.00"])
    description: str
    recorded_by: str = Field(examples=[EXAMPLE_STAFF])
    purchased_at: datetime
    items: list[PurchasedItemOut]

    @classmethod
    def of(cls, purchase: Purchase) -> PurchaseView:
        return cls.model_validate(purchase, from_attributes=True)


class ReviewView(BaseModel):
    review_id: str = Field(examples=[EXAMPLE_REVIEW])
    visit_id: str = Field(examples=[EXAMPLE_VISIT])
    brand_id: str = Field(examples=[EXAMPLE_BRAND])
    store_id: str = Field(examples=[EXAMPLE_STORE])
    member_id: str = Field(examples=[EXAMPLE_MEMBER])
    recommendation: int = Field(examples=[9])
    satisfaction: int = Field(examples=[92])
    comment: str = Field(examples=["gentle and on time"])
    submitted_by: str = Field(examples=[EXAMPLE_STAFF])
    submitted_at: datetime

    @classmethod
    def of(cls, review: Review) -> ReviewView:
        return cls.model_validate(review, from_attributes=True)
