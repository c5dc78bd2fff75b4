"""Read side: a member's balance and the history of her account."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rapport_events.contracts.loyalty import PointsEarned
from rapport_events.registry import registry

from loyalty.application.ports import PointsBalance, PointsBalances, StreamReader
from loyalty.domain.account import stream_id_for
from loyalty.domain.errors import NoPointsAccount
from loyalty.domain.tiers import Tier, tier_for


@dataclass(frozen=True)
class BalanceView:
    member_id: str
    brand_id: str
    balance: int
    lifetime_earned: int
    tier: Tier
    updated_at: datetime

    @classmethod
    def of(cls, row: PointsBalance) -> BalanceView:
        return cls(
            member_id=row.member_id,
            brand_id=row.brand_id,
            balance=row.balance,
            lifetime_earned=row.lifetime_earned,
            tier=tier_for(row.lifetime_earned),
            updated_at=row.updated_at,
        )


@dataclass(frozen=True)
class HistoryEntry:
    event_id: str
    points: int
    balance: int
    reason: str
    source_id: str
    at: datetime


async def find_account(member_id: str, balances: PointsBalances) -> PointsBalance:
    row = await balances.get(member_id)
    if row is None:
        raise NoPointsAccount(member_id)
    return row


async def balance_view(member_id: str, balances: PointsBalances) -> BalanceView:
    return BalanceView.of(await find_account(member_id, balances))


async def history(account: PointsBalance, reader: StreamReader, limit: int) -> list[HistoryEntry]:
    """The last ``limit`` entries of the account, newest first."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    # The projection knows the stream's length, so only the tail is read.
    stored = await reader.load(
        stream_id_for(account.member_id), after_version=max(0, account.version - limit)
    )
    entries: list[HistoryEntry] = []
    for item in reversed(stored):
        event = registry.decode(item.envelope)
        if isinstance(event, PointsEarned):
            entries.append(
                HistoryEntry(
                    event_id=item.envelope.id,
                    points=event.points,
                    balance=event.balance,
                    reason=event.reason,
                    source_id=event.source_id,
                    at=event.earned_at,
                )
            )
        if len(entries) == limit:
            break
    return entries
