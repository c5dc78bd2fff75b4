"""Command and event handlers: load the account from its stream, decide, append, project."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from rapport_events.clock import Clock
from rapport_events.contracts.identity import MemberBoundToAssociate, MemberRegistered
from rapport_events.contracts.service_orders import PurchaseRecorded, VisitCompleted
from rapport_events.envelope import EventEnvelope
from rapport_events.registry import registry
from rapport_events.store import ConcurrencyError

from loyalty.application.commands import EarnPoints, earn_for_purchase, earn_for_visit
from loyalty.application.ports import LoyaltyUnitOfWork, PointsBalance
from loyalty.domain.account import PointsAccount, ensure_same_brand, stream_id_for

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3

T = TypeVar("T")


class LoyaltyHandlers:
    """Earning points, on a command or on the events of service orders."""

    def __init__(
        self,
        unit_of_work: Callable[[], LoyaltyUnitOfWork],
        clock: Clock,
        *,
        attempts: int = MAX_ATTEMPTS,
    ) -> None:
        self._unit_of_work = unit_of_work
        # Earnings are dated by the purchase or visit they reward; the clock stamps envelopes
        # through the unit of work. Kept so every service's handlers are built alike.
        self._clock = clock
        self._attempts = attempts

    async def earn_points(self, command: EarnPoints) -> list[EventEnvelope]:
        """Earn points in a unit of work of their own, retried on fresh history after losing
        a race with another writer of the account."""

        async def attempt() -> list[EventEnvelope]:
            async with self._unit_of_work() as uow:
                return await earn_within(uow, command)

        return await retry_on_conflict(attempt, attempts=self._attempts)

    # The consumer opened ``uow`` around its inbox row: a concurrent append surfaces as
    # ConcurrencyError, and the consumer rolls back and processes the record again.

    async def on_purchase_recorded(
        self, event: PurchaseRecorded, envelope: EventEnvelope, uow: LoyaltyUnitOfWork
    ) -> None:
        await earn_within(uow, earn_for_purchase(event), caused_by=envelope)

    async def on_visit_completed(
        self, event: VisitCompleted, envelope: EventEnvelope, uow: LoyaltyUnitOfWork
    ) -> None:
        await earn_within(uow, earn_for_visit(event), caused_by=envelope)

    async def on_member_identified(
        self,
        event: MemberRegistered | MemberBoundToAssociate,
        _envelope: EventEnvelope,
        uow: LoyaltyUnitOfWork,
    ) -> None:
        """Identity's word on a member, which feeds the directory replica in the same unit of
        work, must name the brand of her points account: the replica must not learn her under
        another brand."""
        balance = await uow.balances.get(event.member_id)
        account_brand = balance.brand_id if balance is not None else None
        ensure_same_brand(event.member_id, account_brand, event.brand_id)


async def load_account(uow: LoyaltyUnitOfWork, member_id: str) -> PointsAccount:
    stored = await uow.load_stream(stream_id_for(member_id))
    return PointsAccount.replay(member_id, (registry.decode(item.envelope) for item in stored))


async def earn_within(
    uow: LoyaltyUnitOfWork, command: EarnPoints, *, caused_by: EventEnvelope | None = None
) -> list[EventEnvelope]:
    """Earn points inside an open unit of work; returns the envelopes appended.

    Raises :class:`~rapport_events.store.ConcurrencyError` when another writer appended to
    the account meanwhile: the caller retries with a fresh unit of work.
    """
    account = await load_account(uow, command.member_id)
    events = account.earn(
        brand_id=command.brand_id,
        amount=command.amount,
        reason=command.reason,
        source_id=command.source_id,
        at=command.at,
    )
    if not events:
        return []
    envelopes = await uow.append_to_stream(
        account.stream_id, account.version, events, brand_id=command.brand_id, caused_by=caused_by
    )
    account.apply_all(events)
    await uow.balances.save(PointsBalance.of(account))
    return envelopes


async def retry_on_conflict(
    attempt: Callable[[], Awaitable[T]], *, attempts: int = MAX_ATTEMPTS
) -> T:
    """Run ``attempt`` again while it loses an optimistic-concurrency race.

    Each attempt must open its own unit of work: the decision is only valid against the
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
