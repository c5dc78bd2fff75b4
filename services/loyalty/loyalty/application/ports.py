"""What the use cases need from the outside world."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from rapport_events.envelope import DomainEvent, EventEnvelope
from rapport_events.store import StoredEvent

from loyalty.domain.account import PointsAccount


class EventStreams(Protocol):
    """Aggregate streams inside one transaction (the unit of work provides them)."""

    async def load_stream(self, stream_id: str, after_version: int = 0) -> list[StoredEvent]: ...

    async def append_to_stream(
        self,
        stream_id: str,
        expected_version: int,
        events: Sequence[DomainEvent],
        *,
        brand_id: str,
        caused_by: EventEnvelope | None = None,
    ) -> list[EventEnvelope]: ...


class StreamTransaction(EventStreams, Protocol):
    """A unit of work that can be opened afresh for each attempt of a command."""

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...


class StreamReader(Protocol):
    """Read-only access to stored streams, outside any command."""

    async def load(self, stream_id: str, after_version: int = 0) -> list[StoredEvent]: ...


@dataclass(frozen=True)
class PointsBalance:
    """One row of the balances projection: an account's state after ``version`` events."""

    member_id: str
    brand_id: str
    balance: int
    lifetime_earned: int
    version: int
    updated_at: datetime

    @classmethod
    def of(cls, account: PointsAccount) -> PointsBalance:
        if account.brand_id is None or account.updated_at is None:
            raise ValueError(f"the points account of {account.member_id!r} has no events yet")
        return cls(
            member_id=account.member_id,
            brand_id=account.brand_id,
            balance=account.balance,
            lifetime_earned=account.lifetime_earned,
            version=account.version,
            updated_at=account.updated_at,
        )


class PointsBalances(Protocol):
    """The balances projection, written in the transaction that appends the events."""

    async def save(self, balance: PointsBalance) -> None:
        """Store ``balance`` unless a row of the same or a later version is there."""
        ...

    async def get(self, member_id: str) -> PointsBalance | None: ...
