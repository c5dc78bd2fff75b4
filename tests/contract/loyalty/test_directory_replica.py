"""The unit of work carries the directory replica, committed with the rest of loyalty's state."""

from __future__ import annotations

from rapport_events.directory import KnownMember

from tests.contract.loyalty.conftest import UnitsOfWork

MEMBER = KnownMember(member_id="mbr_1", brand_id="brd_1", store_id="sto_1")


async def test_a_member_remembered_is_known_to_the_next_unit_of_work(units: UnitsOfWork) -> None:
    async with units() as uow:
        await uow.directory.remember_member(MEMBER)

    async with units() as uow:
        assert await uow.directory.member("mbr_1") == MEMBER
        assert await uow.directory.member("mbr_2") is None
