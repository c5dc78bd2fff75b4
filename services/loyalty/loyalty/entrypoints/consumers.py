"""Service orders earn points.

Handlers run inside the consumer's transaction, after its inbox has filtered redeliveries.
A concurrent append to the same account surfaces as ``ConcurrencyError``; it is left to the
consumer, which rolls the transaction back and processes the record again on fresh history.
"""

from __future__ import annotations

from rapport_events.consumer import RejectEvent, Subscription
from rapport_events.contracts.service_orders import PurchaseRecorded, VisitCompleted
from rapport_events.envelope import EventEnvelope
from rapport_events.topics import SERVICE_ORDERS
from rapport_events.uow import UnitOfWork
from rapport_platform.service import Runtime

from loyalty.adapters.postgres import PostgresPointsBalances
from loyalty.application.commands import EarnPoints
from loyalty.application.handlers import earn_points
from loyalty.application.ports import EventStreams, PointsBalances
from loyalty.domain.errors import LoyaltyError


def earn_for_purchase(event: PurchaseRecorded) -> EarnPoints:
    return EarnPoints(
        member_id=event.member_id,
        brand_id=event.brand_id,
        amount=event.amount,
        reason="purchase",
        source_id=event.purchase_id,
        at=event.purchased_at,
    )


def earn_for_visit(event: VisitCompleted) -> EarnPoints:
    return EarnPoints(
        member_id=event.member_id,
        brand_id=event.brand_id,
        amount=event.amount,
        reason="visit",
        source_id=event.visit_id,
        at=event.completed_at,
    )


async def apply_earning(
    command: EarnPoints,
    envelope: EventEnvelope,
    streams: EventStreams,
    balances: PointsBalances,
) -> None:
    try:
        await earn_points(command, streams, balances, caused_by=envelope)
    except LoyaltyError as exc:
        # Retrying cannot make a refused command acceptable: park it for a person.
        raise RejectEvent(str(exc)) from exc


async def on_purchase_recorded(
    event: PurchaseRecorded, envelope: EventEnvelope, uow: UnitOfWork
) -> None:
    await apply_earning(
        earn_for_purchase(event), envelope, uow, PostgresPointsBalances(uow.connection)
    )


async def on_visit_completed(
    event: VisitCompleted, envelope: EventEnvelope, uow: UnitOfWork
) -> None:
    await apply_earning(
        earn_for_visit(event), envelope, uow, PostgresPointsBalances(uow.connection)
    )


def subscriptions(runtime: Runtime) -> list[Subscription]:
    return [
        Subscription(
            topic=SERVICE_ORDERS,
            handlers={
                PurchaseRecorded: on_purchase_recorded,
                VisitCompleted: on_visit_completed,
            },
        )
    ]
