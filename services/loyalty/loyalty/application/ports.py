"""What the use cases need from the outside world."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from rapport_events.directory import Directory
from rapport_events.uow import UnitOfWorkPort

from loyalty.domain.account import PointsAccount


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


class LoyaltyUnitOfWork(UnitOfWorkPort, Protocol):
    """One transaction over the account streams, the balances projection and the replica of
    identity's directory."""

    balances: PointsBalances
    directory: Directory
