"""The Members repository: one phone per brand, newest-first pages, and locked binds."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace

import pytest
from identity.application.ports import MemberFilter
from identity.domain.errors import DuplicatePhone
from identity.domain.member import Member
from identity.domain.organisation import Staff

from tests.contract.identity.conftest import (
    MINUTE,
    NOW,
    Backend,
    associate,
    member,
    member_id,
)
from tests.support.polling import eventually


async def test_a_member_reads_back_as_stored(backend: Backend) -> None:
    store = await backend.add_store(await backend.add_brand())
    stored = await backend.add_member(member(store, "13812345678", name="梁晓雯"))

    async with backend.unit_of_work() as uow:
        assert await uow.members.get(stored.member_id) == stored
        assert await uow.members.get(stored.member_id, for_update=True) == stored
        assert await uow.members.get(member_id("0")) is None


async def test_a_member_reads_back_with_who_referred_her(backend: Backend) -> None:
    store = await backend.add_store(await backend.add_brand())
    referrer = await backend.add_member(member(store, "13812345678"))
    referred = replace(member(store, "13912345678"), referred_by=referrer.member_id)

    await backend.add_member(referred)

    async with backend.unit_of_work() as uow:
        assert await uow.members.get(referred.member_id) == referred
        assert await uow.members.get(referrer.member_id) == referrer


async def test_a_phone_is_registered_once_per_brand(backend: Backend) -> None:
    store = await backend.add_store(await backend.add_brand("lumiere"))
    elsewhere = await backend.add_store(await backend.add_brand("other"))
    first = await backend.add_member(member(store, "13812345678"))

    with pytest.raises(DuplicatePhone):
        await backend.add_member(member(store, "13812345678", name="陈思思"))
    twin = await backend.add_member(member(elsewhere, "13812345678"))

    async with backend.unit_of_work() as uow:
        assert await uow.members.page(MemberFilter(store.brand_id), None, 5) == [first]
        assert await uow.members.page(MemberFilter(elsewhere.brand_id), None, 5) == [twin]


async def test_a_saved_binding_is_read_back_and_an_unsaved_change_is_not(
    backend: Backend,
) -> None:
    store = await backend.add_store(await backend.add_brand())
    wang = await backend.add_staff(associate(store, "wangli", "7KQ3M9XA"))
    stored = await backend.add_member(member(store, "13812345678"))

    async with backend.unit_of_work() as uow:
        unsaved = await uow.members.get(stored.member_id)
        assert unsaved is not None
        unsaved.bind_to(wang, NOW)
        assert await uow.members.get(stored.member_id) == stored
        await uow.members.save_binding(unsaved)
    async with backend.unit_of_work() as uow:
        assert await uow.members.get(stored.member_id) == replace(
            stored, associate_id=wang.staff_id, bound_at=NOW
        )


async def test_pages_run_newest_first_ties_by_id_with_exclusive_cursors(
    backend: Backend,
) -> None:
    store = await backend.add_store(await backend.add_brand())
    elsewhere = await backend.add_store(await backend.add_brand("other"))
    wang = await backend.add_staff(associate(store, "wangli", "7KQ3M9XA"))
    older = await backend.add_member(
        replace(member(store, "13800000001", registered_at=NOW - MINUTE), member_id=member_id("f"))
    )
    tie_a = await backend.add_member(
        replace(member(store, "13800000002"), member_id=member_id("a"))
    )
    tie_b = await backend.add_member(
        replace(member(store, "13800000003"), member_id=member_id("b"))
    )
    bound = replace(
        member(store, "13800000004", registered_at=NOW + MINUTE), member_id=member_id("1")
    )
    bound.bind_to(wang, NOW)
    await backend.add_member(bound)
    await backend.add_member(member(elsewhere, "13800000005"))
    brand = MemberFilter(store.brand_id)

    async with backend.unit_of_work() as uow:
        everything = await uow.members.page(brand, None, 10)
        first = await uow.members.page(brand, None, 2)
        after_tie = await uow.members.page(brand, (NOW, tie_b.member_id), 5)
        after_last = await uow.members.page(brand, (older.registered_at, older.member_id), 5)
        between = await uow.members.page(brand, (NOW, member_id("a")[:-1] + "b"), 5)
        by_associate = await uow.members.page(
            MemberFilter(store.brand_id, associate_id=wang.staff_id), None, 5
        )
        by_store = await uow.members.page(
            MemberFilter(store.brand_id, store_id=elsewhere.store_id), None, 5
        )

    assert [m.member_id for m in everything] == [
        bound.member_id,
        tie_b.member_id,
        tie_a.member_id,
        older.member_id,
    ]
    assert first == everything[:2]
    assert after_tie == [tie_a, older]
    assert after_last == []
    assert between == [tie_a, older]
    assert by_associate == [bound]
    assert by_store == []


@dataclass
class Hold:
    """Makes a unit of work keep its lock: it sets ``taken``, then waits for ``release``."""

    taken: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)


async def bind_first_come(
    backend: Backend, member_to_bind: Member, associate: Staff, hold: Hold | None = None
) -> str | None:
    """Bind under the row lock unless already bound; the associate it found bound, if any."""
    async with backend.unit_of_work() as uow:
        found = await uow.members.get(member_to_bind.member_id, for_update=True)
        assert found is not None
        seen = found.associate_id
        if seen is None:
            found.bind_to(associate, NOW)
            await uow.members.save_binding(found)
        if hold is not None:
            hold.taken.set()
            await hold.release.wait()
    return seen


async def test_two_concurrent_binds_of_one_member_serialise(backend: Backend) -> None:
    store = await backend.add_store(await backend.add_brand())
    wang = await backend.add_staff(associate(store, "wangli", "7KQ3M9XA"))
    chen = await backend.add_staff(associate(store, "chenjing", "8LR4N2YB"))
    unbound = await backend.add_member(member(store, "13812345678"))
    hold = Hold()

    first = asyncio.create_task(bind_first_come(backend, unbound, wang, hold))
    await hold.taken.wait()
    second = asyncio.create_task(bind_first_come(backend, unbound, chen))

    async def second_waits_or_ran() -> bool:
        return second.done() or await backend.waits_for_a_lock()

    # Without the lock the second would read the member unbound before the first commits.
    await eventually(second_waits_or_ran, timeout=10, what="the second bind waiting")
    hold.release.set()
    assert await first is None
    assert await second == wang.staff_id
    async with backend.unit_of_work() as uow:
        after = await uow.members.get(unbound.member_id)
    assert after is not None and after.associate_id == wang.staff_id
