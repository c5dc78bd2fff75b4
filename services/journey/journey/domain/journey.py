"""A member's place on the lifecycle map: the facts the rules decide on (pure, no I/O).

The journey only records facts (profile, visits, stage) and keeps the stage history; which
fact moves her to which stage is decided by the brand's map (:mod:`journey.domain.engine`).
Events about one member arrive from several topics in no guaranteed order, so every method
accepts being called before the registration and with visits out of order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from rapport_events.contracts.identity import Channel as ProfileChannel
from rapport_events.contracts.identity import Gender
from rapport_events.contracts.journey import Stage

from journey.domain.errors import MemberOfAnotherBrand

if TYPE_CHECKING:  # facts name touchpoints, which name journeys
    from journey.domain.facts import MemberFacts


@dataclass(frozen=True)
class StageChange:
    from_stage: Stage | None
    to_stage: Stage
    reason: str
    at: datetime


@dataclass(frozen=True)
class Visit:
    """A completed, paid service visit."""

    visit_id: str
    store_id: str
    service_code: str
    amount: Decimal
    at: datetime


@dataclass
class MemberJourney:
    member_id: str
    brand_id: str
    store_id: str | None = None
    surname: str | None = None
    gender: Gender = "unspecified"
    birthday: date | None = None
    preferred_channel: ProfileChannel = "sms"
    associate_id: str | None = None
    stage: Stage | None = None
    visit_count: int = 0
    total_spent: Decimal = Decimal("0.00")
    first_visit_at: datetime | None = None
    last_visit_at: datetime | None = None
    registered_at: datetime | None = None
    pending_changes: list[StageChange] = field(default_factory=list, repr=False)

    @property
    def is_registered(self) -> bool:
        return self.registered_at is not None

    def ensure_brand(self, brand_id: str) -> None:
        """A journey is its brand's for good: nothing said under another brand may touch it."""
        if brand_id != self.brand_id:
            raise MemberOfAnotherBrand(self.member_id, brand_id)

    def move_to(self, stage: Stage, reason: str, at: datetime) -> bool:
        """Put her at ``stage``; False when she already stands there."""
        if self.stage == stage:
            return False
        self.pending_changes.append(StageChange(self.stage, stage, reason, at))
        self.stage = stage
        return True

    def register(
        self,
        *,
        store_id: str,
        surname: str,
        gender: Gender,
        preferred_channel: ProfileChannel,
        birthday: date | None,
        at: datetime,
    ) -> None:
        """Fill the profile; the stage is left to the rules."""
        # The registration names her home store; a visit seen earlier only guessed it.
        self.store_id = store_id
        self.surname = surname
        self.gender = gender
        self.preferred_channel = preferred_channel
        self.birthday = birthday
        self.registered_at = at

    def bind(self, associate_id: str, store_id: str) -> None:
        self.associate_id = associate_id
        self.store_id = self.store_id or store_id

    def record_visit(self, visit: Visit) -> None:
        self.visit_count += 1
        self.total_spent += visit.amount
        self.store_id = self.store_id or visit.store_id
        if self.first_visit_at is None or visit.at < self.first_visit_at:
            self.first_visit_at = visit.at
        if self.last_visit_at is None or visit.at > self.last_visit_at:
            self.last_visit_at = visit.at

    def is_latest(self, visit: Visit) -> bool:
        """True unless a later visit is already known (a late, older visit arrived)."""
        return self.last_visit_at is None or visit.at >= self.last_visit_at

    def follow(self, facts: MemberFacts) -> None:
        """Mirror her profile and figures from the facts the maps decide on."""
        self.store_id = facts.store_id or self.store_id
        self.surname = facts.surname or self.surname
        self.gender = facts.gender
        self.birthday = facts.birthday
        if facts.preferred_channel in ("sms", "wechat", "app"):
            self.preferred_channel = facts.preferred_channel  # type: ignore[assignment]
        self.associate_id = facts.associate_id or self.associate_id
        self.visit_count = facts.visit_count
        self.total_spent = facts.total_spent
        self.first_visit_at = facts.first_visit_at
        self.last_visit_at = facts.last_visit_at
        self.registered_at = facts.registered_at or self.registered_at

    def take_changes(self) -> list[StageChange]:
        changes, self.pending_changes = self.pending_changes, []
        return changes
