"""The ContactPolicyStore contract: one policy per brand, replaced whole."""

from __future__ import annotations

from datetime import time, timedelta

from notifier.application.ports import StoredContactPolicy
from notifier.domain.contact_policy import ContactPolicy, MarketingCap, QuietHours

from tests.contract.notifier.conftest import Backend
from tests.support.http import BRAND, NOW

OTHER_BRAND = "brd_" + "b" * 32
TOKYO = StoredContactPolicy(
    ContactPolicy(
        marketing_cap=MarketingCap.of_days(3, 14),
        quiet_hours=QuietHours(start=time(22), end=time(9, 30), time_zone="Asia/Tokyo"),
    ),
    updated_at=NOW,
    updated_by="stf_hq",
)
SWITCHED_OFF = StoredContactPolicy(
    ContactPolicy(
        marketing_cap=MarketingCap.of_days(0, 1),
        quiet_hours=QuietHours(enabled=False),
    ),
    updated_at=NOW + timedelta(hours=1),
    updated_by="stf_other",
)


async def saved(backend: Backend, brand_id: str = BRAND) -> StoredContactPolicy | None:
    async with backend.unit_of_work() as uow:
        return await uow.contact_policies.get(brand_id)


async def save(backend: Backend, brand_id: str, stored: StoredContactPolicy) -> None:
    async with backend.unit_of_work() as uow:
        await uow.contact_policies.save(brand_id, stored)


async def test_a_brand_without_a_policy_has_none_stored(backend: Backend) -> None:
    assert await saved(backend) is None


async def test_a_saved_policy_reads_back_whole(backend: Backend) -> None:
    await save(backend, BRAND, TOKYO)

    assert await saved(backend) == TOKYO


async def test_saving_again_replaces_the_policy(backend: Backend) -> None:
    await save(backend, BRAND, TOKYO)

    await save(backend, BRAND, SWITCHED_OFF)

    assert await saved(backend) == SWITCHED_OFF


async def test_each_brand_has_its_own(backend: Backend) -> None:
    await save(backend, BRAND, TOKYO)
    await save(backend, OTHER_BRAND, SWITCHED_OFF)

    assert await saved(backend, BRAND) == TOKYO
    assert await saved(backend, OTHER_BRAND) == SWITCHED_OFF


async def test_a_rolled_back_save_leaves_nothing(backend: Backend) -> None:
    try:
        async with backend.unit_of_work() as uow:
            await uow.contact_policies.save(BRAND, TOKYO)
            raise RuntimeError("abort")
    except RuntimeError:
        pass

    assert await saved(backend) is None
