"""What the application needs from storage; PostgreSQL and in-memory adapters implement it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from rapport_events.contracts.journey import Stage
from rapport_events.directory import Directory
from rapport_events.uow import UnitOfWorkPort

from journey.domain.journey import MemberJourney, StageChange
from journey.domain.timers import Timer

TouchpointStatus = Literal["requested", "delivered", "failed"]
Outcome = Literal["delivered", "failed"]


@dataclass(frozen=True)
class TouchpointRecord:
    """One line of a member's touchpoint log."""

    touchpoint_id: str
    member_id: str
    brand_id: str
    template: str
    channel: str
    status: TouchpointStatus
    requested_at: datetime
    reason: str | None = None
    resolved_at: datetime | None = None


class Journeys(Protocol):
    async def load(self, member_id: str, brand_id: str) -> MemberJourney:
        """Her journey, locked until the transaction ends; a blank one if she is unknown.

        Two first events about one member handled side by side (a registration and a visit
        from different topics) must not both start a journey: the second waits for the first.
        """
        ...

    async def get(self, member_id: str) -> MemberJourney | None:
        """Her journey, locked until the transaction ends."""
        ...

    async def save(self, journey: MemberJourney, changes: list[StageChange]) -> None:
        """Store the journey and append ``changes`` to its stage history."""
        ...


class Timers(Protocol):
    async def arm(self, timer: Timer, at: datetime) -> None:
        """Arm ``timer``, cancelling the member's other active timer of its kind and slot.

        Arming a timer id that already exists changes nothing.
        """
        ...

    async def due(self, now: datetime, limit: int, kinds: frozenset[str]) -> list[Timer]:
        """Active timers of ``kinds`` due by ``now``, earliest first, locked together with
        their journeys until the transaction ends; those another transaction holds are
        skipped, so two workers never take the same timer."""
        ...

    async def mark_fired(self, timer_id: str, at: datetime) -> None: ...


class Touchpoints(Protocol):
    async def record(self, touchpoint: TouchpointRecord) -> bool:
        """Add a requested touchpoint to the log; False when its id is already there."""
        ...

    async def resolve(
        self, touchpoint_id: str, member_id: str, status: Outcome, reason: str | None, at: datetime
    ) -> bool:
        """Record the notifier's outcome on the member's touchpoint; a delivery is final, a
        failure may still be followed by a delivery. False when nothing changed (unknown,
        another member's, or already delivered)."""
        ...


@dataclass(frozen=True)
class JourneyView:
    journey: MemberJourney
    dormant_after: datetime | None
    """Due time of her active dormancy timer."""
    stage_history: list[StageChange]
    touchpoints: list[TouchpointRecord]


class JourneyViews(Protocol):
    """The read side behind the HTTP API (no locks)."""

    async def journey(self, member_id: str) -> JourneyView | None:
        """Her journey with its stage history (oldest first), the due time of her active
        dormancy timer and her touchpoints (by request time, then id)."""
        ...

    async def stage_counts(self, brand_id: str, store_id: str | None) -> dict[Stage, int]:
        """Members per stage; members seen but not yet placed on the map are left out."""
        ...


class JourneyUnitOfWork(UnitOfWorkPort, Protocol):
    """The repositories, the replica of identity's directory and the event outbox of one
    transaction."""

    @property
    def journeys(self) -> Journeys: ...

    @property
    def timers(self) -> Timers: ...

    @property
    def touchpoints(self) -> Touchpoints: ...

    @property
    def views(self) -> JourneyViews: ...

    @property
    def directory(self) -> Directory: ...
