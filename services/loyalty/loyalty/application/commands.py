"""Commands the loyalty service accepts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

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
