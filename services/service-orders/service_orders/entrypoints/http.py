"""The HTTP API, under ``/v1``: appointments, their completion and cancellation, purchases.

Every route needs a bearer token of a brand's ``hq``, ``store_manager``, ``associate`` or
``integration``; everything is scoped to the caller's brand (another brand's resources do not
exist for her), and store managers and associates to their own store.

Writes accept an ``Idempotency-Key`` header: a retry with the same key answers the resource
the first request produced, with the same status, and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, Header, Path, Query, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from rapport_platform.auth import STORE_ROLES, Principal, Role, require_roles
from rapport_platform.errors import Conflict, Forbidden, NotFound, Rejected, error_responses

from service_orders.application.commands import (
    Actor,
    BookAppointment,
    CancelAppointment,
    CompleteAppointment,
    RecordPurchase,
)
from service_orders.application.errors import IdempotencyKeyReused, OutsideStore
from service_orders.application.handlers import Outcome, ServiceOrdersHandlers
from service_orders.application.queries import DEFAULT_LIMIT, MAX_LIMIT, ServiceOrdersQueries
from service_orders.domain.appointment import (
    MAX_SERVICE_CODE_LENGTH,
    Appointment,
    AppointmentStatus,
)
from service_orders.domain.errors import (
    AppointmentNotFound,
    InvalidField,
    PurchaseNotFound,
    TransitionRefused,
)
from service_orders.domain.money import MAX_AMOUNT
from service_orders.domain.purchase import MAX_DESCRIPTION_LENGTH, Purchase
from service_orders.domain.text import MAX_ID_LENGTH

T = TypeVar("T")

IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_IDEMPOTENCY_KEY_LENGTH = 200
_QUERY_FIELDS = frozenset({"limit"})

Caller = Annotated[
    Principal,
    Depends(require_roles(Role.HQ, Role.STORE_MANAGER, Role.ASSOCIATE, Role.INTEGRATION)),
]
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
    ),
]
AppointmentId = Annotated[
    str,
    Path(min_length=1, max_length=MAX_ID_LENGTH, examples=["apt_0f9b1c2d3e4f4a5b8c7d6e5f4a3b2c1d"]),
]
PurchaseId = Annotated[
    str,
    Path(min_length=1, max_length=MAX_ID_LENGTH, examples=["pur_5e4d3c2b1a0f4e9d8c7b6a5f4e3d2c1b"]),
]
MemberFilter = Annotated[str | None, Query(min_length=1, max_length=MAX_ID_LENGTH)]
StoreFilter = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=MAX_ID_LENGTH,
        description="Store managers and associates always see their own store only.",
    ),
]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]

_ID = Field(min_length=1, max_length=MAX_ID_LENGTH)


# -- request bodies ------------------------------------------------------------------------


class BookAppointmentRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "member_id": "mem_8c1d2e3f4a5b4c6d9e8f7a6b5c4d3e2f",
                    "store_id": "store-shanghai-01",
                    "service_code": "gel-manicure",
                    "scheduled_at": "2026-03-01T14:30:00+08:00",
                }
            ]
        }
    )

    member_id: str = _ID
    store_id: str = _ID
    service_code: str = Field(
        min_length=1, max_length=MAX_SERVICE_CODE_LENGTH, examples=["gel-manicure"]
    )
    scheduled_at: AwareDatetime = Field(
        description=(
            "When the member is expected, with its time-zone offset. A walk-in that started "
            "within the last hour may be booked after the fact; earlier times are refused."
        ),
        examples=["2026-03-01T14:30:00+08:00"],
    )


class CompleteAppointmentRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"amount": "268.00", "served_by": "staff-li-na"}]}
    )

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
        examples=["staff-li-na"],
    )


class RecordPurchaseRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "member_id": "mem_8c1d2e3f4a5b4c6d9e8f7a6b5c4d3e2f",
                    "store_id": "store-shanghai-01",
                    "amount": "580.00",
                    "description": "Hand-care set and 5-session nail package",
                }
            ]
        }
    )

    member_id: str = _ID
    store_id: str = _ID
    amount: Decimal = Field(
        gt=0, le=MAX_AMOUNT, decimal_places=2, description="In yuan.", examples=["580.00"]
    )
    description: str | None = Field(
        default=None,
        max_length=MAX_DESCRIPTION_LENGTH,
        examples=["Hand-care set and 5-session nail package"],
    )


# -- responses -----------------------------------------------------------------------------


class VisitView(BaseModel):
    visit_id: str
    amount: Decimal = Field(examples=["268.00"])
    served_by: str | None
    completed_at: datetime


class AppointmentView(BaseModel):
    appointment_id: str
    brand_id: str
    store_id: str
    member_id: str
    service_code: str
    scheduled_at: datetime
    status: AppointmentStatus
    booked_by: str
    booked_at: datetime
    visit: VisitView | None = Field(description="Present once the appointment is completed.")
    cancelled_by: str | None
    cancelled_at: datetime | None

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
            visit=None
            if visit is None
            else VisitView(
                visit_id=visit.visit_id,
                amount=visit.amount,
                served_by=visit.served_by,
                completed_at=visit.completed_at,
            ),
            cancelled_by=cancellation.cancelled_by if cancellation else None,
            cancelled_at=cancellation.cancelled_at if cancellation else None,
        )


class AppointmentList(BaseModel):
    items: list[AppointmentView]


class PurchaseView(BaseModel):
    purchase_id: str
    brand_id: str
    store_id: str
    member_id: str
    amount: Decimal = Field(examples=["580.00"])
    description: str
    recorded_by: str
    purchased_at: datetime

    @classmethod
    def of(cls, purchase: Purchase) -> PurchaseView:
        return cls.model_validate(purchase, from_attributes=True)


class PurchaseList(BaseModel):
    items: list[PurchaseView]


# -- routes --------------------------------------------------------------------------------


def build_router(
    handlers: Callable[[], ServiceOrdersHandlers],
    queries: Callable[[], ServiceOrdersQueries],
) -> APIRouter:
    """The ``/v1`` routes; ``handlers`` and ``queries`` are called per request because the
    resources they use exist only once the service has started."""
    router = APIRouter(prefix="/v1")

    @router.post(
        "/appointments",
        status_code=201,
        tags=["appointments"],
        summary="Book an appointment",
        responses=error_responses(401, 403, 422),
    )
    async def book_appointment(
        body: BookAppointmentRequest,
        caller: Caller,
        response: Response,
        idempotency_key: IdempotencyKey = None,
    ) -> AppointmentView:
        command = BookAppointment(
            actor=_actor(caller),
            member_id=body.member_id,
            store_id=body.store_id,
            service_code=body.service_code,
            scheduled_at=body.scheduled_at,
            idempotency_key=idempotency_key,
        )
        with _refusals():
            outcome = await handlers().book_appointment(command)
        return AppointmentView.of(_answered(outcome, response))

    @router.post(
        "/appointments/{appointment_id}/completion",
        tags=["appointments"],
        summary="Complete an appointment with the visit that served it",
        description="Announces a visit with what the member paid (loyalty points follow).",
        responses=error_responses(401, 403, 404, 409, 422),
    )
    async def complete_appointment(
        appointment_id: AppointmentId,
        body: CompleteAppointmentRequest,
        caller: Caller,
        response: Response,
        idempotency_key: IdempotencyKey = None,
    ) -> AppointmentView:
        served_by = body.served_by
        if served_by is None and caller.role is Role.ASSOCIATE:
            served_by = caller.subject
        command = CompleteAppointment(
            actor=_actor(caller),
            appointment_id=appointment_id,
            amount=body.amount,
            served_by=served_by,
            idempotency_key=idempotency_key,
        )
        with _refusals():
            outcome = await handlers().complete_appointment(command)
        return AppointmentView.of(_answered(outcome, response))

    @router.post(
        "/appointments/{appointment_id}/cancellation",
        tags=["appointments"],
        summary="Cancel a booked appointment",
        responses=error_responses(401, 403, 404, 409, 422),
    )
    async def cancel_appointment(
        appointment_id: AppointmentId,
        caller: Caller,
        response: Response,
        idempotency_key: IdempotencyKey = None,
    ) -> AppointmentView:
        command = CancelAppointment(
            actor=_actor(caller), appointment_id=appointment_id, idempotency_key=idempotency_key
        )
        with _refusals():
            outcome = await handlers().cancel_appointment(command)
        return AppointmentView.of(_answered(outcome, response))

    @router.get(
        "/appointments/{appointment_id}",
        tags=["appointments"],
        summary="One appointment",
        responses=error_responses(401, 403, 404, 422),
    )
    async def get_appointment(appointment_id: AppointmentId, caller: Caller) -> AppointmentView:
        with _refusals():
            appointment = await queries().appointment(_actor(caller), appointment_id)
        return AppointmentView.of(appointment)

    @router.get(
        "/appointments",
        tags=["appointments"],
        summary="Appointments matching every given filter, latest scheduled first",
        responses=error_responses(401, 403, 422),
    )
    async def list_appointments(
        caller: Caller,
        member_id: MemberFilter = None,
        store_id: StoreFilter = None,
        status: AppointmentStatus | None = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> AppointmentList:
        with _refusals():
            found = await queries().appointments(
                _actor(caller), member_id=member_id, store_id=store_id, status=status, limit=limit
            )
        return AppointmentList(items=[AppointmentView.of(item) for item in found])

    @router.post(
        "/purchases",
        status_code=201,
        tags=["purchases"],
        summary="Record a purchase",
        description="Announces what a member bought (loyalty points follow).",
        responses=error_responses(401, 403, 422),
    )
    async def record_purchase(
        body: RecordPurchaseRequest,
        caller: Caller,
        response: Response,
        idempotency_key: IdempotencyKey = None,
    ) -> PurchaseView:
        command = RecordPurchase(
            actor=_actor(caller),
            member_id=body.member_id,
            store_id=body.store_id,
            amount=body.amount,
            description=body.description,
            idempotency_key=idempotency_key,
        )
        with _refusals():
            outcome = await handlers().record_purchase(command)
        return PurchaseView.of(_answered(outcome, response))

    @router.get(
        "/purchases/{purchase_id}",
        tags=["purchases"],
        summary="One purchase",
        responses=error_responses(401, 403, 404, 422),
    )
    async def get_purchase(purchase_id: PurchaseId, caller: Caller) -> PurchaseView:
        with _refusals():
            purchase = await queries().purchase(_actor(caller), purchase_id)
        return PurchaseView.of(purchase)

    @router.get(
        "/purchases",
        tags=["purchases"],
        summary="Purchases matching every given filter, newest first",
        responses=error_responses(401, 403, 422),
    )
    async def list_purchases(
        caller: Caller,
        member_id: MemberFilter = None,
        store_id: StoreFilter = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> PurchaseList:
        with _refusals():
            found = await queries().purchases(
                _actor(caller), member_id=member_id, store_id=store_id, limit=limit
            )
        return PurchaseList(items=[PurchaseView.of(item) for item in found])

    return router


def _actor(principal: Principal) -> Actor:
    return Actor(
        subject=principal.subject,
        brand_id=principal.require_brand(),
        store_scope=principal.store_id if principal.role in STORE_ROLES else None,
    )


def _answered(outcome: Outcome[T], response: Response) -> T:
    if outcome.replayed:
        response.headers[REPLAYED_HEADER] = "true"
    return outcome.value


@contextmanager
def _refusals() -> Iterator[None]:
    """Turn the service's refusals into the platform's HTTP errors."""
    try:
        yield
    except InvalidField as error:
        location = "query" if error.field in _QUERY_FIELDS else "body"
        raise Rejected(
            error.message,
            code="invalid_field",
            fields={f"{location}.{error.field}": error.message},
        ) from error
    except (AppointmentNotFound, PurchaseNotFound) as error:
        raise NotFound(error.message) from error
    except TransitionRefused as error:
        raise Conflict(error.message, code="invalid_transition") from error
    except OutsideStore as error:
        raise Forbidden(error.message, code="outside_store") from error
    except IdempotencyKeyReused as error:
        raise Rejected(
            error.message,
            code="idempotency_key_reused",
            fields={f"header.{IDEMPOTENCY_KEY_HEADER}": error.message},
        ) from error
