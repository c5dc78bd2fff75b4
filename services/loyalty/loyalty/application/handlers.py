"""Command handlers: load the account from its stream, decide, append, project."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from rapport_events.envelope import EventEnvelope
from rapport_events.registry import registry
from rapport_events.store import ConcurrencyError

from loyalty.application.commands import EarnPoints
from loyalty.application.ports import (
    EventStreams,
    PointsBalance,
    PointsBalances,
    StreamTransaction,
)
from loyalty.domain.account import PointsAccount, stream_id_for

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3

T = TypeVar("T")
U = TypeVar("U", bound=StreamTransaction)


async def load_account(streams: EventStreams, member_id: str) -> PointsAccount:
    stored = await streams.load_stream(stream_id_for(member_id))
    return PointsAccount.replay(member_id, (registry.decode(item.envelope) for item in stored))


async def earn_points(
    command: EarnPoints,
    streams: EventStreams,
    balances: PointsBalances,
    *,
    caused_by: EventEnvelope | None = None,
) -> list[EventEnvelope]:
    """Earn points inside the caller's transaction; returns the envelopes appended.

    Raises :class:`~rapport_events.store.ConcurrencyError` when another writer appended to
    the account meanwhile: the caller retries with a fresh transaction.
    """
    account = await load_account(streams, command.member_id)
    events = account.earn(
        brand_id=command.brand_id,
        amount=command.amount,
        reason=command.reason,
        source_id=command.source_id,
        at=command.at,
    )
    if not events:
        return []
    envelopes = await streams.append_to_stream(
        account.stream_id,
        account.version,
        events,
        brand_id=command.brand_id,
        caused_by=caused_by,
    )
    account.apply_all(events)
    await balances.save(PointsBalance.of(account))
    return envelopes


async def retry_on_conflict(
    attempt: Callable[[], Awaitable[T]], *, attempts: int = MAX_ATTEMPTS
) -> T:
    """Run ``attempt`` again while it loses an optimistic-concurrency race.

    Each attempt must open its own transaction: the decision is only valid against the
    history it read, so a retry has to read again.
    """
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    number = 1
    while True:
        try:
            return await attempt()
        except ConcurrencyError as exc:
            if number >= attempts:
                raise
            log.info("concurrent append (attempt %d of %d): %s", number, attempts, exc)
            number += 1


async def earn_points_in_own_transaction(
    command: EarnPoints,
    *,
    begin: Callable[[], U],
    balances_in: Callable[[U], PointsBalances],
    attempts: int = MAX_ATTEMPTS,
) -> list[EventEnvelope]:
    """Earn points outside a consumer: a fresh unit of work per attempt."""

    async def attempt() -> list[EventEnvelope]:
        async with begin() as uow:
            return await earn_points(command, uow, balances_in(uow))

    return await retry_on_conflict(attempt, attempts=attempts)
