"""The notifier's units of work carry identity's directory replica, in their transaction."""

from __future__ import annotations

import pytest
from rapport_events.directory import KnownMember, KnownStaff, KnownStore

from tests.contract.notifier.conftest import Backend
from tests.support.http import BRAND, STORE
from tests.unit.notifier.builders import MEMBER, STAFF


async def test_what_one_unit_remembers_the_next_one_reads(backend: Backend) -> None:
    member = KnownMember(MEMBER, BRAND, STORE, STAFF)
    staff = KnownStaff(STAFF, BRAND, "associate", STORE)
    async with backend.unit_of_work() as uow:
        await uow.directory.remember_member(member)
        await uow.directory.remember_store(KnownStore(STORE, BRAND))
        await uow.directory.remember_staff(staff)

    async with backend.unit_of_work() as uow:
        assert await uow.directory.member(MEMBER) == member
        assert await uow.directory.store(STORE) == KnownStore(STORE, BRAND)
        assert await uow.directory.staff(STAFF) == staff


async def test_a_unit_that_fails_remembers_nothing(backend: Backend) -> None:
    with pytest.raises(RuntimeError):
        async with backend.unit_of_work() as uow:
            await uow.directory.remember_member(KnownMember(MEMBER, BRAND, STORE))
            raise RuntimeError("the handler failed after remembering her")

    async with backend.unit_of_work() as uow:
        assert await uow.directory.member(MEMBER) is None
