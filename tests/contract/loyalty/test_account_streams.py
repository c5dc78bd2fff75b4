"""Points account streams through the loyalty unit of work, in memory and on PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from loyalty.application.handlers import load_account
from loyalty.domain.account import stream_id_for
from loyalty.domain.tiers import Tier
from rapport_events.contracts.loyalty import PointsEarned, TierChanged
from rapport_events.envelope import EventEnvelope
from rapport_events.store import ConcurrencyError

from tests.contract.loyalty.conftest import UnitsOfWork

AT = datetime(2026, 3, 1, 10, 30, tzinfo=UTC)
STREAM = stream_id_for("mbr_1")


def earned(source_id: str, points: int = 10, balance: int = 10) -> PointsEarned:
    return PointsEarned(
        member_id="mbr_1",
        brand_id="brd_1",
        points=points,
        balance=balance,
        reason="purchase",
        source_id=source_id,
        earned_at=AT,
    )


async def append(units: UnitsOfWork, version: int, *events: PointsEarned) -> list[EventEnvelope]:
    async with units() as uow:
        return await uow.append_to_stream(STREAM, version, list(events), brand_id="brd_1")


async def test_appended_events_load_back_in_order(units: UnitsOfWork) -> None:
    envelopes = await append(units, 0, earned("pur_1"), earned("pur_2", 5, 15))

    async with units() as uow:
        loaded = await uow.load_stream(STREAM)

    assert [stored.envelope for stored in loaded] == envelopes
    assert [stored.stream_version for stored in loaded] == [1, 2]
    assert [envelope.brandid for envelope in envelopes] == ["brd_1", "brd_1"]


async def test_an_append_is_seen_within_its_own_unit_of_work(units: UnitsOfWork) -> None:
    async with units() as uow:
        await uow.append_to_stream(STREAM, 0, [earned("pur_1")], brand_id="brd_1")
        assert len(await uow.load_stream(STREAM)) == 1


async def test_load_after_a_version_returns_the_tail(units: UnitsOfWork) -> None:
    await append(units, 0, earned("pur_1"), earned("pur_2"), earned("pur_3"))

    async with units() as uow:
        tail = await uow.load_stream(STREAM, after_version=2)

    assert [stored.stream_version for stored in tail] == [3]


async def test_an_unknown_account_has_an_empty_stream(units: UnitsOfWork) -> None:
    async with units() as uow:
        assert await uow.load_stream(stream_id_for("mbr_nobody")) == []


async def test_appending_on_a_stale_version_is_a_conflict(units: UnitsOfWork) -> None:
    await append(units, 0, earned("pur_1"))

    with pytest.raises(ConcurrencyError):
        await append(units, 0, earned("pur_2"))

    async with units() as uow:
        assert len(await uow.load_stream(STREAM)) == 1


async def test_a_rolled_back_append_leaves_nothing(units: UnitsOfWork) -> None:
    with pytest.raises(RuntimeError, match="abort"):
        async with units() as uow:
            await uow.append_to_stream(STREAM, 0, [earned("pur_1")], brand_id="brd_1")
            raise RuntimeError("abort")

    async with units() as uow:
        assert await uow.load_stream(STREAM) == []


async def test_of_two_concurrent_appends_on_one_version_exactly_one_wins(
    units: UnitsOfWork,
) -> None:
    await append(units, 0, earned("pur_0"))

    outcomes = await asyncio.gather(
        append(units, 1, earned("pur_a", balance=20)),
        append(units, 1, earned("pur_b", balance=20)),
        return_exceptions=True,
    )

    winners = [outcome for outcome in outcomes if isinstance(outcome, list)]
    losers = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    assert len(winners) == 1
    assert len(losers) == 1 and isinstance(losers[0], ConcurrencyError)
    async with units() as uow:
        loaded = await uow.load_stream(STREAM)
    assert [stored.envelope for stored in loaded[1:]] == winners[0]
    assert [stored.stream_version for stored in loaded] == [1, 2]


async def test_a_tier_change_in_the_stream_replays_into_the_account(units: UnitsOfWork) -> None:
    moved = TierChanged(
        member_id="mbr_1",
        brand_id="brd_1",
        from_tier=None,
        to_tier="member",
        reason="cumulative spend 600.00 yuan",
        changed_at=AT,
    )
    async with units() as uow:
        appended = await uow.append_to_stream(
            STREAM, 0, [earned("pur_1", 600, 600), moved], brand_id="brd_1"
        )

    async with units() as uow:
        account = await load_account(uow, "mbr_1")

    assert [envelope.type for envelope in appended] == [
        PointsEarned.event_type,
        TierChanged.event_type,
    ]
    assert (account.tier, account.cumulative_spend, account.version) == (
        Tier.MEMBER,
        Decimal(600),
        2,
    )
