"""The unit of work carries the directory replica, committed or rolled back with the journeys."""

from __future__ import annotations

import pytest
from rapport_events.directory import KnownMember

from tests.contract.journey.backends import Backend
from tests.contract.journey.builders import BRAND

MEMBER = KnownMember(member_id="mbr_1", brand_id=BRAND, store_id="sto_1")


class Refused(Exception):
    pass


async def test_the_replica_commits_with_the_journey(backend: Backend) -> None:
    async with backend.begin() as uow:
        await uow.directory.remember_member(MEMBER)
        await uow.journeys.load("mbr_1", BRAND)

    async with backend.begin() as uow:
        assert await uow.directory.member("mbr_1") == MEMBER
        assert await uow.journeys.get("mbr_1") is not None


async def test_a_refused_event_leaves_neither_the_replica_nor_a_journey(backend: Backend) -> None:
    with pytest.raises(Refused):
        async with backend.begin() as uow:
            await uow.directory.remember_member(MEMBER)
            await uow.journeys.load("mbr_1", BRAND)
            raise Refused()

    async with backend.begin() as uow:
        assert await uow.directory.member("mbr_1") is None
        assert await uow.journeys.get("mbr_1") is None
