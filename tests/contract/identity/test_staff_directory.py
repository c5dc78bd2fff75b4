"""The StaffDirectory repository: logins, invite codes and the brand's staff by name."""

from __future__ import annotations

import pytest
from identity.application.ports import InviteCodeTaken, StaffCredentials, StaffFilter
from identity.domain.errors import DuplicateUsername
from identity.domain.organisation import Staff, StaffRole

from tests.contract.identity.conftest import Backend, associate


async def test_staff_are_found_by_id_login_and_invite_code(backend: Backend) -> None:
    store = await backend.add_store(await backend.add_brand())
    wang = await backend.add_staff(associate(store, "wangli", "7KQ3M9XA"), "scrypt$wang")

    async with backend.unit_of_work() as uow:
        assert await uow.staff.get(wang.staff_id) == wang
        assert await uow.staff.credentials(store.brand_id, "wangli") == StaffCredentials(
            wang, "scrypt$wang"
        )
        assert await uow.staff.by_invite_code(store.brand_id, "7KQ3M9XA") == wang
        assert await uow.staff.get("stf_" + "0" * 32) is None
        assert await uow.staff.credentials(store.brand_id, "nobody") is None
        assert await uow.staff.by_invite_code(store.brand_id, "8LR4N2YB") is None


async def test_usernames_and_invite_codes_are_unique_per_brand(backend: Backend) -> None:
    store = await backend.add_store(await backend.add_brand("lumiere"))
    elsewhere = await backend.add_store(await backend.add_brand("other"))
    wang = await backend.add_staff(associate(store, "wangli", "7KQ3M9XA"))

    with pytest.raises(DuplicateUsername):
        await backend.add_staff(associate(store, "wangli", "8LR4N2YB"))
    with pytest.raises(InviteCodeTaken):
        await backend.add_staff(associate(store, "chenjing", "7KQ3M9XA"))
    twin = await backend.add_staff(associate(elsewhere, "wangli", "7KQ3M9XA"))

    async with backend.unit_of_work() as uow:
        assert await uow.staff.by_invite_code(store.brand_id, "7KQ3M9XA") == wang
        assert await uow.staff.by_invite_code(elsewhere.brand_id, "7KQ3M9XA") == twin
        assert await uow.staff.credentials(store.brand_id, "chenjing") is None


async def test_pages_run_by_display_name_then_id(backend: Backend) -> None:
    brand = await backend.add_brand()
    store, elsewhere = await backend.add_store(brand), await backend.add_store(brand, "Tianhe")
    bo = await backend.add_staff(associate(store, "bo", "22222222", display_name="Bo"))
    an = await backend.add_staff(associate(elsewhere, "an", "33333333", display_name="An"))
    hq = await backend.add_staff(
        Staff.create(
            brand_id=brand.brand_id,
            store_id=None,
            role=StaffRole.HQ,
            display_name="Bo",
            username="hq",
        )
    )
    bo_twins = sorted([bo, hq], key=lambda s: s.staff_id)
    everyone = StaffFilter(brand.brand_id)

    async with backend.unit_of_work() as uow:
        first = await uow.staff.page(everyone, None, 2)
        rest = await uow.staff.page(everyone, (first[-1].display_name, first[-1].staff_id), 2)
        in_store = await uow.staff.page(StaffFilter(brand.brand_id, store.store_id), None, 5)
        other_brand = await uow.staff.page(StaffFilter("brd_" + "0" * 32), None, 5)

    assert first == [an, bo_twins[0]]
    assert rest == [bo_twins[1]]
    assert in_store == [bo]
    assert other_brand == []
