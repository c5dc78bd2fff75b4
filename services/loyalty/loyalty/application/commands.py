"""Commands the loyalty service accepts, and the events of other services that make them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from rapport_events.contracts.service_orders import PurchaseRecorded, VisitCompleted

from loyalty.domain.account import EarningReason


@dataclass(frozen=True)
class EarnPoints:
    """A member paid ``amount`` yuan for a purchase or a visit (``source_id``) at ``at``."""

    member_id: str
    brand_id: str
    amount: Decimal
    reason: EarningReason
    source_id: str
    at: datetime


def earn_for_purchase(event: PurchaseRecorded) -> EarnPoints:
    return _earning(event, "purchase", event.purchase_id, event.purchased_at)


def earn_for_visit(event: VisitCompleted) -> EarnPoints:
    return _earning(event, "visit", event.visit_id, event.completed_at)


def _earning(
    event: PurchaseRecorded | VisitCompleted,
    reason: EarningReason,
    source_id: str,
    at: datetime,
) -> EarnPoints:
    """What a member paid for, as the command that earns her points for it."""
    return EarnPoints(
        member_id=event.member_id,
        brand_id=event.brand_id,
        amount=event.amount,
        reason=reason,
        source_id=source_id,
        at=at,
    )
