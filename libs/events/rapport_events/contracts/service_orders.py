"""Events published by the service-orders service on ``rapport.service-orders.orders``."""

from __future__ import annotations

from decimal import Decimal

from pydantic import AwareDatetime, Field

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


@registry.contract
class PurchaseRecorded(DomainEvent):
    """A member bought products or a package; ``amount`` in yuan."""

    event_type = "rapport.service-orders.purchase.recorded"
    topic = SERVICE_ORDERS

    purchase_id: str
    member_id: str
    brand_id: str
    store_id: str
    amount: Amount = Field(gt=0, decimal_places=2, examples=["580.00"])
    description: str = Field(default="", max_length=200)
    purchased_at: AwareDatetime
