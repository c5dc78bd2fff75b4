"""The balances projection contract, in memory and on PostgreSQL alike."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from loyalty.application.ports import PointsBalance

from tests.contract.loyalty.conftest import UnitsOfWork

AT = datetime(2026, 3, 1, 10, 30, tzinfo=UTC)

BALANCE = PointsBalance(
    member_id="mbr_1",
    brand_id="brd_1",
    balance=268,
    lifetime_earned=268,
    version=1,
    updated_at=AT,
)


def later(balance: PointsBalance, points: int) -> PointsBalance:
    return replace(
        balance,
        balance=balance.balance + points,
        lifetime_earned=balance.lifetime_earned + points,
        version=balance.version + 1,
        updated_at=balance.updated_at + timedelta(hours=1),
    )


async def save(units: UnitsOfWork, *balances: PointsBalance) -> None:
    async with units() as uow:
        for balance in balances:
            await uow.balances.save(balance)


async def get(units: UnitsOfWork, member_id: str = "mbr_1") -> PointsBalance | None:
    async with units() as uow:
        return await uow.balances.get(member_id)


async def test_an_unknown_member_has_no_balance(units: UnitsOfWork) -> None:
    assert await get(units, "mbr_nobody") is None


async def test_a_saved_balance_reads_back_whole_brand_included(units: UnitsOfWork) -> None:
    await save(units, BALANCE)

    assert await get(units) == BALANCE


async def test_a_later_version_replaces_the_row(units: UnitsOfWork) -> None:
    newer = later(BALANCE, 100)
    await save(units, BALANCE)
    await save(units, newer)

    assert await get(units) == newer


async def test_an_older_version_never_replaces_a_newer_one(units: UnitsOfWork) -> None:
    newer = later(later(BALANCE, 100), 50)
    await save(units, newer)
    await save(units, BALANCE)

    assert await get(units) == newer


async def test_the_same_version_again_keeps_the_first(units: UnitsOfWork) -> None:
    await save(units, BALANCE)
    await save(units, replace(BALANCE, balance=999, lifetime_earned=999))

    assert await get(units) == BALANCE


async def test_a_save_is_seen_within_its_own_unit_of_work(units: UnitsOfWork) -> None:
    async with units() as uow:
        await uow.balances.save(BALANCE)
        assert await uow.balances.get("mbr_1") == BALANCE


async def test_a_rolled_back_save_leaves_nothing(units: UnitsOfWork) -> None:
    with pytest.raises(RuntimeError, match="abort"):
        async with units() as uow:
            await uow.balances.save(BALANCE)
            raise RuntimeError("abort")

    assert await get(units) is None


async def test_members_have_separate_rows(units: UnitsOfWork) -> None:
    other = replace(BALANCE, member_id="mbr_2", brand_id="brd_2", balance=5, lifetime_earned=5)
    await save(units, BALANCE, other)

    assert await get(units, "mbr_1") == BALANCE
    assert await get(units, "mbr_2") == other
