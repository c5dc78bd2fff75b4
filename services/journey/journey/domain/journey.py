"""A member's place on the lifecycle map, and the rules that move her (pure, no I/O)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from rapport_events.contracts.identity import Channel as ProfileChannel
from rapport_events.contracts.identity import Gender
from rapport_events.contracts.journey import Stage

TOUCHPOINT_NAMESPACE = uuid.UUID("6f1d3c52-2b8e-4a4e-9f3e-7f0f5e3c9a11")


@dataclass(frozen=True)
class LifecycleRules:
    """The thresholds headquarters tunes; defaults from the brand playbooks."""

    dormant_after: timedelta = timedelta(days=30)
    potential_after_visits: int = 2


@dataclass(frozen=True)
class StageChange:
    from_stage: Stage | None
    to_stage: Stage
    reason: str
    at: datetime


@dataclass
class MemberJourney:
    member_id: str
    brand_id: str
    store_id: str | None = None
    surname: str | None = None
    gender: Gender = "unspecified"
    preferred_channel: ProfileChannel = "sms"
    associate_id: str | None = None
    stage: Stage | None = None
    visit_count: int = 0
    first_visit_at: datetime | None = None
    last_visit_at: datetime | None = None
    registered_at: datetime | None = None
    pending_changes: list[StageChange] = field(default_factory=list, repr=False)

    def _move(self, to_stage: Stage, reason: str, at: datetime) -> None:
        if self.stage == to_stage:
            return
        self.pending_changes.append(StageChange(self.stage, to_stage, reason, at))
        self.stage = to_stage

    def register(
        self,
        *,
        store_id: str,
        surname: str,
        gender: Gender,
        preferred_channel: ProfileChannel,
        at: datetime,
    ) -> None:
        """Fill the profile; a member first seen through a visit keeps the stage she has."""
        self.store_id = self.store_id or store_id
        self.surname = surname
        self.gender = gender
        self.preferred_channel = preferred_channel
        self.registered_at = at
        if self.stage is None:
            self._move("new", "registered", at)

    def bind(self, associate_id: str, store_id: str) -> None:
        self.associate_id = associate_id
        self.store_id = self.store_id or store_id

    def record_visit(self, at: datetime, store_id: str, rules: LifecycleRules) -> None:
        """Count a completed visit; visits may arrive out of order."""
        self.visit_count += 1
        self.store_id = self.store_id or store_id
        self.first_visit_at = min(filter(None, (self.first_visit_at, at)))
        is_latest = self.last_visit_at is None or at >= self.last_visit_at
        if is_latest:
            self.last_visit_at = at
        if self.stage is None:
            self._move("new", "first visit", at)
        if self.stage == "dormant" and is_latest:
            self._move("won_back", "visit after dormancy", at)
        elif self.stage == "new" and self.visit_count >= rules.potential_after_visits:
            ordinal = _ordinal(rules.potential_after_visits)
            self._move("potential", f"{ordinal} visit", at)

    def dormancy_due(self, rules: LifecycleRules) -> datetime | None:
        """When she turns dormant if she does not come back."""
        if self.last_visit_at is None:
            return None
        return self.last_visit_at + rules.dormant_after

    def is_quiet_since(
        self, armed_for_visit_at: datetime, now: datetime, rules: LifecycleRules
    ) -> bool:
        """True when no visit happened after the one that armed a dormancy timer."""
        return (
            self.last_visit_at is not None
            and self.last_visit_at <= armed_for_visit_at
            and now >= self.last_visit_at + rules.dormant_after
        )

    def go_dormant(self, now: datetime, rules: LifecycleRules) -> bool:
        """Move to dormant; False when she is already dormant."""
        if self.stage == "dormant":
            return False
        days = rules.dormant_after.days
        self._move("dormant", f"no visit for {days} days", now)
        return True

    def take_changes(self) -> list[StageChange]:
        changes, self.pending_changes = self.pending_changes, []
        return changes


def _ordinal(number: int) -> str:
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(number if number < 20 else number % 10, "th")
    return f"{number}{suffix}"


def title_for(gender: Gender) -> str:
    """How a message addresses her after the surname (梁女士, 陈先生)."""
    return {"female": "女士", "male": "先生"}.get(gender, "")


def touchpoint_id(member_id: str, rule: str, occasion: str) -> str:
    """The same rule on the same occasion always names the same touchpoint, so a replay
    cannot request a second one."""
    return "tpt_" + uuid.uuid5(TOUCHPOINT_NAMESPACE, f"{member_id}:{rule}:{occasion}").hex
