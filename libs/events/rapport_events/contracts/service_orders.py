"""Events published by the service-orders service on ``rapport.service-orders.orders``."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from rapport_events.envelope import DomainEvent
from rapport_events.registry import registry
from rapport_events.topics import SERVICE_ORDERS

Amount = Decimal


@registry.contract
class AppointmentBooked(DomainEvent):
    event_type = "rapport.service-orders.appointment.booked"
    topic = SERVICE_ORDERS

    appointment_id: str
    member_id: str
    brand_id: str
    store_id: str
    service_code: str = Field(examples=["gel-manicure"])
    scheduled_at: AwareDatetime
    booked_by: str = Field(description="staff id of the associate, or the member id")
    booked_at: AwareDatetime


@registry.contract
class VisitCompleted(DomainEvent):
    """An appointment was served: the member visited the store and paid ``amount`` yuan."""

    event_type = "rapport.service-orders.visit.completed"
    topic = SERVICE_ORDERS

    visit_id: str
    appointment_id: str | None = None
    member_id: str
    brand_id: str
    store_id: str
    service_code: str
    amount: Amount = Field(ge=0, decimal_places=2, examples=["268.00"])
    served_by: str | None = None
    completed_at: AwareDatetime


class PurchasedItem(BaseModel):
    """One line of a purchase: which product, of which category, how many."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    product_code: str = Field(min_length=1, max_length=64, examples=["hand-care-set"])
    category: str = Field(
        min_length=1,
        max_length=64,
        description="what kind of product it is; journeys react to some (a mattress)",
        examples=["mattress", "care-kit"],
    )
    quantity: int = Field(default=1, ge=1, le=10_000, examples=[1])


@registry.contract
class AppointmentCancelled(DomainEvent):
    """A booked appointment was called off, by the member or by staff."""

    event_type = "rapport.service-orders.appointment.cancelled"
    topic = SERVICE_ORDERS

    appointment_id: str
    member_id: str
    brand_id: str
    store_id: str
    service_code: str = Field(examples=["gel-manicure"])
    cancelled_by: str = Field(description="staff id of whoever cancelled it, or the member id")
    reason: str = Field(default="", max_length=200, examples=["member is travelling"])
    cancelled_at: AwareDatetime


@registry.contract
class AppointmentMissed(DomainEvent):
    """The member did not come to a booked appointment (a no-show), as staff recorded it."""

    event_type = "rapport.service-orders.appointment.missed"
    topic = SERVICE_ORDERS

    appointment_id: str
    member_id: str
    brand_id: str
    store_id: str
    service_code: str = Field(examples=["gel-manicure"])
    missed_at: AwareDatetime = Field(description="when staff recorded the no-show")


@registry.contract
class ReviewSubmitted(DomainEvent):
    """A member reviewed a visit: how likely she is to recommend the store (0-10, the NPS
    question) and how satisfied she was (0-100). One review per visit."""

    event_type = "rapport.service-orders.review.submitted"
    topic = SERVICE_ORDERS

    review_id: str
    visit_id: str
    member_id: str
    brand_id: str
    store_id: str
    recommendation: int = Field(ge=0, le=10, examples=[9])
    satisfaction: int = Field(ge=0, le=100, examples=[92])
    comment: str = Field(default="", max_length=500, examples=["gentle and on time"])
    submitted_at: AwareDatetime


@registry.contract
class PurchaseRecorded(DomainEvent):
    """A member bought products or a package; ``amount`` in yuan.

    v2 added ``items``, what she bought line by line; v1 records read with no items.
    """

    event_type = "rapport.service-orders.purchase.recorded"
    event_version = 2
    topic = SERVICE_ORDERS

    purchase_id: str
    member_id: str
    brand_id: str
    store_id: str
    amount: Amount = Field(gt=0, decimal_places=2, examples=["580.00"])
    description: str = Field(default="", max_length=200)
    items: list[PurchasedItem] = Field(
        default_factory=list,
        max_length=100,
        examples=[[{"product_code": "deep-sleep-180", "category": "mattress", "quantity": 1}]],
    )
    purchased_at: AwareDatetime


@registry.upcaster(PurchaseRecorded.event_type, from_version=1)
def _purchase_recorded_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "items": data.get("items", [])}
