"""The HTTP API, under ``/v1``: appointments and their outcomes (completion, cancellation,
no-show), reviews of visits, purchases.

Every route needs a bearer token of a brand's ``hq``, ``store_manager``, ``associate`` or
``integration``; everything is scoped to the caller's brand and, for store managers and
associates, to their own store: what lies outside does not exist for the caller (404 for a
path or a filter). A member, store or member of staff named in a body must be known in the
caller's brand (and a store be the caller's own for store staff); otherwise, whether unknown
or elsewhere, the answer is the same 422 ``unknown_reference`` naming the field.

Writes accept an ``Idempotency-Key`` header: a retry with the same key answers the resource
the first request produced, with the same status, and changes nothing.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Body, Depends, Response
from rapport_platform.auth import Principal, Role, require_roles
from rapport_platform.errors import FieldProblem, error_body, error_responses
from rapport_platform.http import DEFAULT_LIMIT, Cursor, ItemsPage, Limit

from service_orders.application.access import actor_of
from service_orders.application.commands import (
    BookAppointment,
    CancelAppointment,
    CompleteAppointment,
    MarkAppointmentMissed,
    OrderedItem,
    RecordPurchase,
    SubmitReview,
)
from service_orders.application.errors import UnknownMember, UnknownReference, UnknownStaff
from service_orders.application.handlers import Outcome, ServiceOrdersHandlers
from service_orders.application.queries import ServiceOrdersQueries
from service_orders.domain.appointment import AppointmentStatus
from service_orders.entrypoints.schemas import (
    EXAMPLE_MEMBER,
    EXAMPLE_STAFF,
    REPLAYED_HEADER,
    AppointmentId,
    AppointmentView,
    BookAppointmentRequest,
    CancelAppointmentRequest,
    CompleteAppointmentRequest,
    IdempotencyKey,
    MemberFilter,
    PurchaseId,
    PurchaseView,
    RecordPurchaseRequest,
    ReviewRequest,
    ReviewView,
    StoreFilter,
    VisitId,
)

T = TypeVar("T")

UNKNOWN_REFERENCE_HELP = (
    "A field is invalid (`validation_failed`, `invalid_field`, `invalid_text`), the "
    "`Idempotency-Key` was used for another request (`idempotency_key_reused`), or the body "
    "names a member, store or member of staff that is not known in the caller's brand, or a "
    "store that is not the caller's own for store staff (`unknown_reference`, naming the "
    "field). Unknown and elsewhere get the same answer. A member registered or a store opened "
    "a moment ago may take a second to be known here: retry `unknown_reference` for a few "
    "seconds."
)


def _write_errors(example: UnknownReference, *statuses: int) -> dict[int | str, dict[str, Any]]:
    """The error answers of a write naming references: ``statuses``, and the 422 explained
    with ``example`` of the refusal a reference gets."""
    answers = error_responses(*statuses, 422)
    problem = FieldProblem(field=f"body.{example.field}", message=example.message)
    body = error_body("unknown_reference", example.message, [problem])
    answers[422] = {
        **answers[422],
        "description": UNKNOWN_REFERENCE_HELP,
        "content": {"application/json": {"example": body}},
    }
    return answers


Caller = Annotated[
    Principal,
    Depends(require_roles(Role.HQ, Role.STORE_MANAGER, Role.ASSOCIATE, Role.INTEGRATION)),
]


def router(handlers: ServiceOrdersHandlers, queries: ServiceOrdersQueries) -> APIRouter:
    """The ``/v1`` routes."""
    routes = APIRouter(prefix="/v1")
    _booking(routes, handlers)
    _appointment_outcomes(routes, handlers)
    _appointment_reads(routes, queries)
    _reviews(routes, handlers)
    _purchase_writes(routes, handlers)
    _purchase_reads(routes, queries)
    return routes


def _booking(routes: APIRouter, handlers: ServiceOrdersHandlers) -> None:
    @routes.post(
        "/appointments",
        status_code=201,
        tags=["appointments"],
        summary="Book an appointment",
        description="For a member of the caller's brand, at a store of the brand (her own "
        "store for store staff); the store may be another than the member's home store.",
        responses=_write_errors(UnknownMember("member_id", EXAMPLE_MEMBER), 401, 403),
    )
    async def book_appointment(
        body: BookAppointmentRequest,
        caller: Caller,
        response: Response,
        idempotency_key: IdempotencyKey = None,
    ) -> AppointmentView:
        command = BookAppointment(
            actor=actor_of(caller), idempotency_key=idempotency_key, **body.model_dump()
        )
        outcome = await handlers.book_appointment(command)
        return AppointmentView.of(_answered(outcome, response))


def _appointment_outcomes(routes: APIRouter, handlers: ServiceOrdersHandlers) -> None:
    @routes.post(
        "/appointments/{appointment_id}/completion",
        tags=["appointments"],
        summary="Complete an appointment with the visit that served it",
        description="Announces a visit with what the member paid (loyalty points follow). "
        "`served_by`, when given, must be on the staff of the caller's brand.",
        responses=_write_errors(UnknownStaff("served_by", EXAMPLE_STAFF), 401, 403, 404, 409),
    )
    async def complete_appointment(
        appointment_id: AppointmentId,
        body: CompleteAppointmentRequest,
        caller: Caller,
        response: Response,
        idempotency_key: IdempotencyKey = None,
    ) -> AppointmentView:
        command = CompleteAppointment(
            actor=actor_of(caller),
            appointment_id=appointment_id,
            idempotency_key=idempotency_key,
            **body.model_dump(),
        )
        outcome = await handlers.complete_appointment(command)
        return AppointmentView.of(_answered(outcome, response))

    @routes.post(
        "/appointments/{appointment_id}/cancellation",
        tags=["appointments"],
        summary="Cancel a booked appointment",
        description="Announces the cancellation with who cancelled it (the caller) and the "
        "reason, if given; the body may be left out. Only a booked appointment can be "
        "cancelled: 409 says which state it is in.",
        responses=error_responses(401, 403, 404, 409, 422),
    )
    async def cancel_appointment(
        appointment_id: AppointmentId,
        caller: Caller,
        response: Response,
        body: Annotated[CancelAppointmentRequest | None, Body()] = None,
        idempotency_key: IdempotencyKey = None,
    ) -> AppointmentView:
        command = CancelAppointment(
            actor=actor_of(caller),
            appointment_id=appointment_id,
            idempotency_key=idempotency_key,
            reason=body.reason if body is not None else None,
        )
        outcome = await handlers.cancel_appointment(command)
        return AppointmentView.of(_answered(outcome, response))

    @routes.post(
        "/appointments/{appointment_id}/missed",
        tags=["appointments"],
        summary="Record that the member did not come (a no-show)",
        description="Only a booked appointment whose time has come can be missed; a "
        "completed, cancelled or already missed one, or one still ahead, answers 409 saying "
        "which state it is in.",
        responses=error_responses(401, 403, 404, 409, 422),
    )
    async def mark_missed(
        appointment_id: AppointmentId,
        caller: Caller,
        response: Response,
        idempotency_key: IdempotencyKey = None,
    ) -> AppointmentView:
        command = MarkAppointmentMissed(
            actor=actor_of(caller), appointment_id=appointment_id, idempotency_key=idempotency_key
        )
        outcome = await handlers.mark_missed(command)
        return AppointmentView.of(_answered(outcome, response))


def _reviews(routes: APIRouter, handlers: ServiceOrdersHandlers) -> None:
    @routes.post(
        "/visits/{visit_id}/review",
        status_code=201,
        tags=["reviews"],
        summary="Review a visit",
        description="The member's review of a visit (0-10 recommendation, 0-100 "
        "satisfaction), entered by her through an integration or by staff for her. A visit "
        "outside the caller's reach is 404; a visit is reviewed once (409 for a second).",
        responses=error_responses(401, 403, 404, 409, 422),
    )
    async def submit_review(
        visit_id: VisitId,
        body: ReviewRequest,
        caller: Caller,
        response: Response,
        idempotency_key: IdempotencyKey = None,
    ) -> ReviewView:
        command = SubmitReview(
            actor=actor_of(caller),
            visit_id=visit_id,
            idempotency_key=idempotency_key,
            **body.model_dump(),
        )
        outcome = await handlers.submit_review(command)
        return ReviewView.of(_answered(outcome, response))


def _appointment_reads(routes: APIRouter, queries: ServiceOrdersQueries) -> None:
    @routes.get(
        "/appointments/{appointment_id}",
        tags=["appointments"],
        summary="One appointment",
        responses=error_responses(401, 403, 404, 422),
    )
    async def get_appointment(appointment_id: AppointmentId, caller: Caller) -> AppointmentView:
        return AppointmentView.of(await queries.appointment(actor_of(caller), appointment_id))

    @routes.get(
        "/appointments",
        tags=["appointments"],
        summary="Appointments matching every given filter, latest scheduled first",
        responses=error_responses(401, 403, 404, 422),
    )
    async def list_appointments(
        caller: Caller,
        member_id: MemberFilter = None,
        store_id: StoreFilter = None,
        status: AppointmentStatus | None = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ItemsPage[AppointmentView]:
        page = await queries.appointments(
            actor_of(caller),
            member_id=member_id,
            store_id=store_id,
            status=status,
            limit=limit,
            cursor=cursor,
        )
        return ItemsPage[AppointmentView].of(page, AppointmentView.of)


def _purchase_writes(routes: APIRouter, handlers: ServiceOrdersHandlers) -> None:
    @routes.post(
        "/purchases",
        status_code=201,
        tags=["purchases"],
        summary="Record a purchase",
        description="Announces what a member bought (loyalty points follow). The member and "
        "the store are checked like a booking's.",
        responses=_write_errors(UnknownMember("member_id", EXAMPLE_MEMBER), 401, 403),
    )
    async def record_purchase(
        body: RecordPurchaseRequest,
        caller: Caller,
        response: Response,
        idempotency_key: IdempotencyKey = None,
    ) -> PurchaseView:
        command = RecordPurchase(
            actor=actor_of(caller),
            idempotency_key=idempotency_key,
            member_id=body.member_id,
            store_id=body.store_id,
            amount=body.amount,
            description=body.description,
            items=tuple(OrderedItem(**item.model_dump()) for item in body.items),
        )
        outcome = await handlers.record_purchase(command)
        return PurchaseView.of(_answered(outcome, response))


def _purchase_reads(routes: APIRouter, queries: ServiceOrdersQueries) -> None:
    @routes.get(
        "/purchases/{purchase_id}",
        tags=["purchases"],
        summary="One purchase",
        responses=error_responses(401, 403, 404, 422),
    )
    async def get_purchase(purchase_id: PurchaseId, caller: Caller) -> PurchaseView:
        return PurchaseView.of(await queries.purchase(actor_of(caller), purchase_id))

    @routes.get(
        "/purchases",
        tags=["purchases"],
        summary="Purchases matching every given filter, newest first",
        responses=error_responses(401, 403, 404, 422),
    )
    async def list_purchases(
        caller: Caller,
        member_id: MemberFilter = None,
        store_id: StoreFilter = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ItemsPage[PurchaseView]:
        page = await queries.purchases(
            actor_of(caller), member_id=member_id, store_id=store_id, limit=limit, cursor=cursor
        )
        return ItemsPage[PurchaseView].of(page, PurchaseView.of)


def _answered(outcome: Outcome[T], response: Response) -> T:
    """The produced resource; a replay says so in a header, with the original status."""
    if outcome.replayed:
        response.headers[REPLAYED_HEADER] = "true"
    return outcome.value
