"""The IdempotencyKeys contract: one winner per brand and key, even when claims race."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
from service_orders.application.ports import IdempotencyRecord

from tests.contract.service_orders.conftest import BRAND, NOW, OTHER_BRAND, Backend
from tests.support.polling import eventually


def record(resource_id: str, *, brand_id: str = BRAND, key: str = "k-1") -> IdempotencyRecord:
    return IdempotencyRecord(
        brand_id=brand_id,
        key=key,
        operation="book_appointment",
        fingerprint="f" * 64,
        resource_id=resource_id,
        created_at=NOW,
    )


async def claim_alone(backend: Backend, claimed: IdempotencyRecord) -> IdempotencyRecord | None:
    async with backend.unit_of_work() as uow:
        return await uow.idempotency_keys.claim(claimed)


async def test_the_first_claim_stores_the_key_and_later_ones_get_it_back(
    backend: Backend,
) -> None:
    first = record("apt_first")

    assert await claim_alone(backend, first) is None
    assert await claim_alone(backend, record("apt_second")) == first
    assert await claim_alone(backend, dataclasses.replace(first, fingerprint="0" * 64)) == first


async def test_keys_are_scoped_per_brand(backend: Backend) -> None:
    assert await claim_alone(backend, record("apt_ours")) is None
    assert await claim_alone(backend, record("apt_theirs", brand_id=OTHER_BRAND)) is None
    assert await claim_alone(backend, record("apt_other_key", key="k-2")) is None


async def test_a_rolled_back_claim_leaves_the_key_free(backend: Backend) -> None:
    with pytest.raises(RuntimeError):
        async with backend.unit_of_work() as uow:
            assert await uow.idempotency_keys.claim(record("apt_refused")) is None
            raise RuntimeError("the command was refused")

    assert await claim_alone(backend, record("apt_retried")) is None


async def test_of_two_concurrent_claims_one_wins_and_the_other_sees_the_winner(
    backend: Backend,
) -> None:
    winner, loser = record("apt_winner"), record("apt_loser")

    async with backend.unit_of_work() as first:
        assert await first.idempotency_keys.claim(winner) is None
        second = asyncio.create_task(claim_alone(backend, loser))
        await eventually(backend.waits_for_a_lock, timeout=10, what="the second claim waits")

    assert await asyncio.wait_for(second, timeout=10) == winner
    assert await claim_alone(backend, record("apt_third")) == winner


async def test_a_claim_waiting_on_one_rolled_back_wins_itself(backend: Backend) -> None:
    abandoned, waiting = record("apt_abandoned"), record("apt_waiting")

    with pytest.raises(RuntimeError):
        async with backend.unit_of_work() as first:
            assert await first.idempotency_keys.claim(abandoned) is None
            second = asyncio.create_task(claim_alone(backend, waiting))
            await eventually(backend.waits_for_a_lock, timeout=10, what="the second claim waits")
            raise RuntimeError("the first command failed")

    assert await asyncio.wait_for(second, timeout=10) is None
    assert await claim_alone(backend, record("apt_third")) == waiting
