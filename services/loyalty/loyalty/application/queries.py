"""Read side: a member's balance and the history of her account."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from rapport_events.contracts.loyalty import PointsEarned
from rapport_events.registry import registry
from rapport_events.store import StoredEvent
from rapport_platform.auth import Principal
from rapport_platform.pagination import DEFAULT_LIMIT, Page, checked_limit, decode_cursor, page_of
from rapport_platform.refusals import InvalidCursor

from loyalty.application.access import ensure_may_read
from loyalty.application.ports import LoyaltyUnitOfWork, PointsBalance
from loyalty.domain.account import stream_id_for
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
    """One entry of an account; ``version`` is its place in the account's stream."""

    event_id: str
    version: int
    points: int
    balance: int
    reason: str
    source_id: str
    at: datetime

    @classmethod
    def of(cls, stored: StoredEvent) -> HistoryEntry | None:
        """The entry a stored event records, if it is one that moves points."""
        event = registry.decode(stored.envelope)
        if not isinstance(event, PointsEarned):
            return None
        return cls(
            event_id=stored.envelope.id,
            version=stored.stream_version,
            points=event.points,
            balance=event.balance,
            reason=event.reason,
            source_id=event.source_id,
            at=event.earned_at,
        )


class LoyaltyQueries:
    def __init__(self, unit_of_work: Callable[[], LoyaltyUnitOfWork]) -> None:
        self._unit_of_work = unit_of_work

    async def balance(self, caller: Principal, member_id: str) -> BalanceView:
        async with self._unit_of_work() as uow:
            account = ensure_may_read(caller, member_id, await uow.balances.get(member_id))
        return BalanceView.of(account)

    async def history(
        self,
        caller: Principal,
        member_id: str,
        *,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> Page[HistoryEntry]:
        """The account's entries, newest first; the cursor is the version of the last one."""
        checked_limit(limit)
        before = version_before(cursor)
        async with self._unit_of_work() as uow:
            account = ensure_may_read(caller, member_id, await uow.balances.get(member_id))
            # One more than a page tells whether another page follows.
            entries = await entries_before(uow, account, before, limit + 1)
        return page_of(entries, limit, key=lambda entry: (entry.version,))


def version_before(cursor: str | None) -> int | None:
    """The stream version a page starts below; None for the first page."""
    if cursor is None:
        return None
    (version,) = decode_cursor(cursor, (int,))
    assert isinstance(version, int)
    if version < 1:
        raise InvalidCursor()
    return version


async def entries_before(
    uow: LoyaltyUnitOfWork, account: PointsBalance, before: int | None, count: int
) -> list[HistoryEntry]:
    """Up to ``count`` entries of versions below ``before``, newest first.

    Not every event of the stream is an entry (a tier change moves no points), so the tail
    is read back further until ``count`` entries are found or the stream's start reached.
    """
    # The projection knows the stream's length, so only the needed tail is read.
    upper = account.version + 1 if before is None else min(before, account.version + 1)
    entries: list[HistoryEntry] = []
    while upper > 1 and len(entries) < count:
        lower = max(0, upper - 1 - (count - len(entries)))
        stored = await uow.load_stream(stream_id_for(account.member_id), after_version=lower)
        for item in reversed(stored):
            entry = HistoryEntry.of(item) if item.stream_version < upper else None
            if entry is not None:
                entries.append(entry)
        upper = lower + 1
    return entries[:count]
