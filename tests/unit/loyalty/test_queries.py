from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from loyalty.application.commands import EarnPoints
from loyalty.application.handlers import earn_points
from loyalty.application.queries import balance_view, find_account, history
from loyalty.domain.errors import NoPointsAccount
from loyalty.domain.tiers import Tier
from rapport_events.store import InMemoryEventStore

from tests.unit.loyalty.fakes import FakeUnitOfWork, InMemoryPointsBalances

AT = datetime(2026, 3, 1, 10, 30, tzinfo=UTC)


async def earn_many(
    amounts: list[str], balances: InMemoryPointsBalances, store: InMemoryEventStore
) -> None:
    uow = FakeUnitOfWork(store)
    for index, amount in enumerate(amounts):
        await earn_points(
            EarnPoints(
                member_id="mbr_1",
                brand_id="brd_1",
                amount=Decimal(amount),
                reason="visit" if index % 2 else "purchase",
                source_id=f"src_{index}",
                at=AT + timedelta(days=index),
            ),
            uow,
            balances,
        )


async def test_balance_view_shows_the_tier() -> None:
    balances, store = InMemoryPointsBalances(), InMemoryEventStore()
    await earn_many(["1500", "600.50"], balances, store)

    view = await balance_view("mbr_1", balances)

    assert (view.balance, view.lifetime_earned, view.tier) == (2100, 2100, Tier.SILVER)
    assert view.brand_id == "brd_1"
    assert view.updated_at == AT + timedelta(days=1)


async def test_a_member_without_an_account_is_named_in_the_error() -> None:
    with pytest.raises(NoPointsAccount, match="'mbr_404' has no points account yet"):
        await balance_view("mbr_404", InMemoryPointsBalances())


async def test_history_lists_newest_first() -> None:
    balances, store = InMemoryPointsBalances(), InMemoryEventStore()
    await earn_many(["100", "0.5", "200.99", "300"], balances, store)
    account = await find_account("mbr_1", balances)

    entries = await history(account, store, limit=50)

    assert [(e.points, e.balance, e.reason, e.source_id) for e in entries] == [
        (300, 600, "visit", "src_3"),
        (200, 300, "purchase", "src_2"),
        (100, 100, "purchase", "src_0"),
    ]
    assert entries[0].at == AT + timedelta(days=3)
    assert len({e.event_id for e in entries}) == 3


async def test_history_is_limited_to_the_latest_entries() -> None:
    balances, store = InMemoryPointsBalances(), InMemoryEventStore()
    await earn_many([str(10 * n) for n in range(1, 8)], balances, store)
    account = await find_account("mbr_1", balances)

    entries = await history(account, store, limit=2)

    assert [e.points for e in entries] == [70, 60]


async def test_history_limit_must_be_positive() -> None:
    balances, store = InMemoryPointsBalances(), InMemoryEventStore()
    await earn_many(["10"], balances, store)
    with pytest.raises(ValueError, match="limit"):
        await history(await find_account("mbr_1", balances), store, limit=0)
