"""The points account of one member, rebuilt from its own event stream.

State changes only by applying events: a command method decides which events a request
produces and returns them; the caller stores them and applies them. Replaying the stored
events therefore always reproduces the same account.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Literal

from rapport_events.contracts.loyalty import PointsEarned, TierChanged
from rapport_events.envelope import DomainEvent

from loyalty.domain.errors import AccountMismatch, MemberOfAnotherBrand, MissingSource
from loyalty.domain.points import POINTS_PER_YUAN, points_for
from loyalty.domain.tiers import Tier, spend_reason, upgrade

EarningReason = Literal["purchase", "visit"]
SPENDING_REASONS: frozenset[str] = frozenset({"purchase", "visit"})
"""Earnings that stand for money paid (referral and adjustment points do not)."""

STREAM_PREFIX = "points-account-"


def stream_id_for(member_id: str) -> str:
    return f"{STREAM_PREFIX}{member_id}"


def ensure_same_brand(member_id: str, account_brand: str | None, brand_id: str) -> None:
    """An account belongs to the brand of its first earning; nothing of another brand may
    touch it (``account_brand`` is None while the member has no account)."""
    if account_brand is not None and account_brand != brand_id:
        raise MemberOfAnotherBrand(member_id, brand_id)


@dataclass
class PointsAccount:
    member_id: str
    brand_id: str | None = None
    balance: int = 0
    lifetime_earned: int = 0
    version: int = 0
    updated_at: datetime | None = None
    cumulative_spend: Decimal = Decimal(0)
    """Yuan paid for purchases and visits, whole yuan per payment (see ``domain.tiers``)."""
    tier: Tier = Tier.REGISTERED
    """The tier her TierChanged events put her at."""
    # (reason, source id): a visit and a purchase are different facts even if their ids
    # happened to coincide, but the same fact must never earn twice.
    _applied_sources: set[tuple[str, str]] = field(default_factory=set, init=False, repr=False)

    @classmethod
    def replay(cls, member_id: str, events: Iterable[DomainEvent]) -> PointsAccount:
        account = cls(member_id=member_id)
        account.apply_all(events)
        return account

    @property
    def stream_id(self) -> str:
        return stream_id_for(self.member_id)

    @property
    def exists(self) -> bool:
        return self.version > 0

    def has_applied(self, reason: str, source_id: str) -> bool:
        return (reason, source_id) in self._applied_sources

    # -- commands ------------------------------------------------------------------

    def earn(
        self,
        *,
        brand_id: str,
        amount: Decimal,
        reason: EarningReason,
        source_id: str,
        at: datetime,
    ) -> list[DomainEvent]:
        """The events that paying ``amount`` yuan produces: the points earned and, when her
        cumulative spend crosses a tier's threshold, the move up; none if it earns nothing."""
        if not source_id:
            raise MissingSource()
        ensure_same_brand(self.member_id, self.brand_id, brand_id)
        points = points_for(amount)
        if points == 0 or self.has_applied(reason, source_id):
            return []
        earned = PointsEarned(
            member_id=self.member_id,
            brand_id=brand_id,
            points=points,
            balance=self.balance + points,
            reason=reason,
            source_id=source_id,
            earned_at=at,
        )
        spend = self.cumulative_spend + _spend_of(earned)
        to_tier = upgrade(self.tier, spend)
        if to_tier is None:
            return [earned]
        moved = TierChanged(
            member_id=self.member_id,
            brand_id=brand_id,
            from_tier=None if self.tier is Tier.REGISTERED else self.tier.value,
            to_tier=to_tier.value,
            reason=spend_reason(spend),
            changed_at=at,
        )
        return [earned, moved]

    # -- events --------------------------------------------------------------------

    def apply_all(self, events: Iterable[DomainEvent]) -> None:
        for event in events:
            self.apply(event)

    def apply(self, event: DomainEvent) -> None:
        if isinstance(event, PointsEarned):
            self._apply_earned(event)
        elif isinstance(event, TierChanged):
            self._apply_tier_changed(event)
        else:
            raise TypeError(f"a points account cannot apply {type(event).__name__}")
        self.version += 1

    def _ensure_own(self, event: PointsEarned | TierChanged) -> None:
        if event.member_id != self.member_id:
            raise AccountMismatch(
                f"event for member {event.member_id!r} in the stream of {self.member_id!r}"
            )

    def _apply_tier_changed(self, event: TierChanged) -> None:
        self._ensure_own(event)
        self.tier = Tier(event.to_tier)

    def _apply_earned(self, event: PointsEarned) -> None:
        self._ensure_own(event)
        self.cumulative_spend += _spend_of(event)
        self.brand_id = self.brand_id or event.brand_id
        self.balance += event.points
        self.lifetime_earned += event.points
        self._applied_sources.add((event.reason, event.source_id))
        if self.updated_at is None or event.earned_at > self.updated_at:
            self.updated_at = event.earned_at


def _spend_of(earned: PointsEarned) -> Decimal:
    """The whole yuan paid that ``earned`` stands for: none for points not paid for."""
    if earned.reason not in SPENDING_REASONS:
        return Decimal(0)
    return Decimal(earned.points) / POINTS_PER_YUAN
