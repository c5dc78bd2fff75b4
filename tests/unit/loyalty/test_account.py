from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from loyalty.domain.account import PointsAccount, stream_id_for
from loyalty.domain.errors import AccountMismatch, LoyaltyError
from loyalty.domain.tiers import Tier
from rapport_events.contracts.identity import MemberRegistered
from rapport_events.contracts.loyalty import PointsEarned, TierChanged

AT = datetime(2026, 3, 1, 10, 30, tzinfo=UTC)


def earn(
    account: PointsAccount,
    amount: str,
    source_id: str,
    *,
    reason: str = "purchase",
    brand_id: str = "brd_1",
    at: datetime = AT,
) -> list[PointsEarned | TierChanged]:
    events = account.earn(
        brand_id=brand_id,
        amount=Decimal(amount),
        reason=reason,  # type: ignore[arg-type]
        source_id=source_id,
        at=at,
    )
    assert all(isinstance(event, PointsEarned | TierChanged) for event in events)
    return events  # type: ignore[return-value]


def test_stream_id_names_the_member() -> None:
    assert stream_id_for("mbr_42") == "points-account-mbr_42"
    assert PointsAccount(member_id="mbr_42").stream_id == "points-account-mbr_42"


def test_earning_decides_an_event_without_changing_the_account() -> None:
    account = PointsAccount(member_id="mbr_1")

    events = earn(account, "268.50", "pur_1")

    assert events == [
        PointsEarned(
            member_id="mbr_1",
            brand_id="brd_1",
            points=268,
            balance=268,
            reason="purchase",
            source_id="pur_1",
            earned_at=AT,
        )
    ]
    assert account.balance == 0
    assert account.version == 0
    assert not account.exists


def test_applying_earned_points_moves_balance_and_lifetime() -> None:
    account = PointsAccount(member_id="mbr_1")
    account.apply_all(earn(account, "300", "pur_1"))
    account.apply_all(earn(account, "250.75", "vis_1", reason="visit"))

    assert account.balance == 550
    assert account.lifetime_earned == 550
    assert account.version == 3  # two earnings and the move to "member"
    assert account.brand_id == "brd_1"
    assert account.tier is Tier.MEMBER
    assert account.exists


def test_the_event_carries_the_balance_after_earning() -> None:
    account = PointsAccount(member_id="mbr_1")
    account.apply_all(earn(account, "100", "pur_1"))
    (second,) = earn(account, "40", "pur_2")
    assert isinstance(second, PointsEarned) and second.balance == 140


def test_replaying_the_stream_gives_the_same_account() -> None:
    live = PointsAccount(member_id="mbr_1")
    history: list[PointsEarned | TierChanged] = []
    for index, amount in enumerate(["19.99", "2000.01", "0.50", "733", "268.00"]):
        events = earn(live, amount, f"pur_{index}", at=AT + timedelta(days=index))
        live.apply_all(events)
        history.extend(events)

    replayed = PointsAccount.replay("mbr_1", history)

    assert replayed.balance == live.balance == 19 + 2000 + 733 + 268
    assert replayed.lifetime_earned == live.lifetime_earned
    assert replayed.version == live.version == 5  # four earnings and the move to "silver"
    assert replayed.updated_at == live.updated_at == AT + timedelta(days=4)
    assert replayed.tier is live.tier is Tier.SILVER
    assert replayed.cumulative_spend == live.cumulative_spend == 19 + 2000 + 733 + 268


def test_earning_for_the_same_source_twice_is_a_no_op() -> None:
    account = PointsAccount(member_id="mbr_1")
    account.apply_all(earn(account, "300", "pur_1"))

    assert earn(account, "300", "pur_1") == []
    assert earn(account, "999", "pur_1") == []
    assert account.has_applied("purchase", "pur_1")


def test_a_replayed_account_still_remembers_its_sources() -> None:
    first = PointsAccount(member_id="mbr_1")
    events = earn(first, "300", "vis_1", reason="visit")

    replayed = PointsAccount.replay("mbr_1", events)

    assert earn(replayed, "300", "vis_1", reason="visit") == []


def test_a_visit_and_a_purchase_with_the_same_id_both_earn() -> None:
    account = PointsAccount(member_id="mbr_1")
    account.apply_all(earn(account, "100", "x-1", reason="visit"))
    assert [
        e.points
        for e in earn(account, "50", "x-1", reason="purchase")
        if isinstance(e, PointsEarned)
    ] == [50]


@pytest.mark.parametrize("amount", ["0", "0.99"])
def test_an_amount_under_one_yuan_records_nothing(amount: str) -> None:
    account = PointsAccount(member_id="mbr_1")
    assert earn(account, amount, "pur_1") == []
    # The source was not consumed: nothing was recorded for it.
    assert not account.has_applied("purchase", "pur_1")


def test_another_brand_cannot_earn_on_the_account() -> None:
    account = PointsAccount(member_id="mbr_1")
    account.apply_all(earn(account, "100", "pur_1", brand_id="brd_1"))

    with pytest.raises(AccountMismatch, match="brand_id 'brd_2'"):
        earn(account, "100", "pur_2", brand_id="brd_2")


def test_an_empty_source_id_is_refused() -> None:
    with pytest.raises(LoyaltyError, match="source_id"):
        earn(PointsAccount(member_id="mbr_1"), "100", "")


def test_updated_at_never_goes_back_for_a_late_event() -> None:
    account = PointsAccount(member_id="mbr_1")
    account.apply_all(earn(account, "100", "pur_1", at=AT))
    account.apply_all(earn(account, "100", "pur_0", at=AT - timedelta(days=3)))
    assert account.updated_at == AT


def test_an_event_of_another_member_is_refused() -> None:
    other = PointsAccount(member_id="mbr_2")
    events = earn(other, "100", "pur_1")
    with pytest.raises(AccountMismatch):
        PointsAccount.replay("mbr_1", events)


def test_an_event_the_account_does_not_know_is_refused() -> None:
    foreign = MemberRegistered(
        member_id="mbr_1", brand_id="brd_1", store_id="sto_1", surname="Liang", registered_at=AT
    )
    with pytest.raises(TypeError, match="MemberRegistered"):
        PointsAccount(member_id="mbr_1").apply(foreign)
