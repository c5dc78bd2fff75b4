"""Tiers move up with cumulative spend, announced by TierChanged in the account's stream."""

from datetime import timedelta
from decimal import Decimal

import pytest
from loyalty.adapters.memory import in_memory_database
from loyalty.application.handlers import load_account
from loyalty.domain.account import PointsAccount
from loyalty.domain.tiers import (
    GOLD_FROM_YUAN,
    MEMBER_FROM_YUAN,
    SILVER_FROM_YUAN,
    Tier,
    spend_reason,
    upgrade,
)
from rapport_events.contracts.loyalty import PointsEarned, TierChanged
from rapport_events.contracts.service_orders import PurchaseRecorded
from rapport_events.envelope import DomainEvent
from rapport_events.registry import registry
from rapport_events.uow import InMemoryDatabase
from rapport_platform.auth import Role

from tests.support.http import principal
from tests.unit.loyalty.builders import (
    AT,
    consume,
    earning,
    handlers_on,
    queries_on,
    units_of_work,
)


@pytest.fixture
def database() -> InMemoryDatabase:
    return in_memory_database()


def test_the_brand_default_thresholds_are_the_briefs() -> None:
    assert (
        Decimal(500),
        Decimal(2_000),
        Decimal(5_000),
    ) == (MEMBER_FROM_YUAN, SILVER_FROM_YUAN, GOLD_FROM_YUAN)


@pytest.mark.parametrize(
    ("current", "spend", "moved_to"),
    [
        (Tier.REGISTERED, Decimal("499"), None),
        (Tier.REGISTERED, Decimal("500"), Tier.MEMBER),
        (Tier.MEMBER, Decimal("1999"), None),
        (Tier.MEMBER, Decimal("2000"), Tier.SILVER),
        (Tier.REGISTERED, Decimal("5000"), Tier.GOLD),
        (Tier.GOLD, Decimal("5000"), None),
        # Spend never moves anyone down (downgrades are a later issue).
        (Tier.GOLD, Decimal("600"), None),
    ],
)
def test_a_member_moves_up_only_when_her_spend_crosses_a_threshold(
    current: Tier, spend: Decimal, moved_to: Tier | None
) -> None:
    assert upgrade(current, spend) is moved_to


def test_the_reason_says_the_spend_in_yuan() -> None:
    assert spend_reason(Decimal("2000")) == "cumulative spend 2,000.00 yuan"
    assert spend_reason(Decimal("12345")) == "cumulative spend 12,345.00 yuan"


def paid(account: PointsAccount, amount: str, source_id: str) -> list[DomainEvent]:
    events = account.earn(
        brand_id="brd_1", amount=Decimal(amount), reason="purchase", source_id=source_id, at=AT
    )
    account.apply_all(events)
    return events


def test_crossing_a_threshold_moves_her_up_once() -> None:
    account = PointsAccount(member_id="mbr_1")

    below = paid(account, "499.99", "pur_1")
    crossing = paid(account, "1", "pur_2")
    above = paid(account, "100", "pur_3")

    assert [type(event) for event in below] == [PointsEarned]
    assert crossing[1:] == [
        TierChanged(
            member_id="mbr_1",
            brand_id="brd_1",
            from_tier=None,
            to_tier="member",
            reason="cumulative spend 500.00 yuan",
            changed_at=AT,
        )
    ]
    assert [type(event) for event in above] == [PointsEarned]
    assert account.tier is Tier.MEMBER
    assert account.cumulative_spend == 500 + 100


def test_one_payment_over_two_thresholds_is_one_move() -> None:
    account = PointsAccount(member_id="mbr_1")
    paid(account, "600", "pur_1")

    [_, moved] = paid(account, "4400", "pur_2")

    assert isinstance(moved, TierChanged)
    assert (moved.from_tier, moved.to_tier) == ("member", "gold")
    assert moved.reason == "cumulative spend 5,000.00 yuan"


def test_points_not_paid_for_count_for_no_tier() -> None:
    account = PointsAccount(member_id="mbr_1")
    account.apply(
        PointsEarned(
            member_id="mbr_1",
            brand_id="brd_1",
            points=200,
            balance=200,
            reason="referral",
            source_id="mbr_2",
            earned_at=AT,
        )
    )

    assert [type(event) for event in paid(account, "400", "pur_1")] == [PointsEarned]
    assert account.cumulative_spend == 400


def test_replaying_the_stream_restores_the_tier_and_the_spend() -> None:
    live = PointsAccount(member_id="mbr_1")
    history = [*paid(live, "1500", "pur_1"), *paid(live, "700", "pur_2")]

    replayed = PointsAccount.replay("mbr_1", history)

    assert (replayed.tier, replayed.cumulative_spend) == (Tier.SILVER, Decimal(2200))
    assert replayed.version == live.version == 4
    # Nothing announced twice on replay: the next payment moves her nowhere.
    assert [type(event) for event in paid(replayed, "10", "pur_3")] == [PointsEarned]


def purchase(purchase_id: str, amount: str, hours: int = 0) -> PurchaseRecorded:
    return PurchaseRecorded(
        purchase_id=purchase_id,
        member_id="mbr_1",
        brand_id="brd_1",
        store_id="sto_1",
        amount=Decimal(amount),
        purchased_at=AT + timedelta(hours=hours),
    )


async def test_a_consumed_purchase_crossing_silver_publishes_tier_changed(
    database: InMemoryDatabase,
) -> None:
    await consume(database, purchase("pur_1", "1200"))
    await consume(database, purchase("pur_2", "800.50", hours=2))

    [member, silver] = [registry.decode(e) for e in database.published(TierChanged)]
    assert isinstance(member, TierChanged) and isinstance(silver, TierChanged)
    assert (member.from_tier, member.to_tier) == (None, "member")
    assert (silver.from_tier, silver.to_tier) == ("member", "silver")
    assert silver.reason == "cumulative spend 2,000.00 yuan"
    assert silver.changed_at == AT + timedelta(hours=2)
    envelope = database.published(TierChanged)[-1]
    assert envelope.subject == "mbr_1" and envelope.brandid == "brd_1"
    async with units_of_work(database)() as uow:
        account = await load_account(uow, "mbr_1")
    assert account.tier is Tier.SILVER


async def test_a_payment_that_earns_nothing_changes_no_tier(database: InMemoryDatabase) -> None:
    await consume(database, purchase("pur_1", "499"))
    await consume(database, purchase("pur_2", "0.99"))

    assert database.published(TierChanged) == []


async def test_the_history_pages_over_tier_changes_without_losing_an_entry(
    database: InMemoryDatabase,
) -> None:
    handlers = handlers_on(database)
    amounts = ["400", "200", "1500", "3000", "10"]  # member, silver and gold on the way
    for index, amount in enumerate(amounts):
        await handlers.earn_points(earning(amount, f"pur_{index}", at=AT + timedelta(days=index)))
    assert len(database.published(TierChanged)) == 3

    seen: list[str] = []
    cursor: str | None = None
    while True:
        page = await queries_on(database).history(
            principal(Role.HQ), "mbr_1", limit=2, cursor=cursor
        )
        seen.extend(entry.source_id for entry in page.items)
        cursor = page.next_cursor
        if cursor is None:
            break

    assert seen == ["pur_4", "pur_3", "pur_2", "pur_1", "pur_0"]
