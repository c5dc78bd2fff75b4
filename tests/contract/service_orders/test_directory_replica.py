"""The directory replica as service-orders' unit of work holds it, on both backends.

The replica's own contract is ``tests/contract/test_directory.py``; this shows that the
service's unit of work binds it in the same transaction as its own tables, so what the feed
remembered is what the reference checks read.
"""

from __future__ import annotations

from rapport_events.directory import KnownMember, KnownStore, known_member, known_store

from tests.contract.service_orders.conftest import BRAND, MEMBER, OTHER_BRAND, STORE, Backend


async def test_what_the_feed_remembers_the_reference_checks_find(backend: Backend) -> None:
    async with backend.unit_of_work() as uow:
        await uow.directory.remember_member(KnownMember(MEMBER, BRAND, STORE))
        await uow.directory.remember_store(KnownStore(STORE, BRAND))

    async with backend.unit_of_work() as uow:
        assert await known_member(uow.directory, MEMBER, brand_id=BRAND) == KnownMember(
            MEMBER, BRAND, STORE
        )
        assert await known_store(uow.directory, STORE, brand_id=BRAND) == KnownStore(STORE, BRAND)
        assert await known_member(uow.directory, MEMBER, brand_id=OTHER_BRAND) is None


async def test_a_rolled_back_unit_remembers_nothing(backend: Backend) -> None:
    class Abandoned(Exception):
        pass

    try:
        async with backend.unit_of_work() as uow:
            await uow.directory.remember_store(KnownStore(STORE, BRAND))
            raise Abandoned
    except Abandoned:
        pass

    async with backend.unit_of_work() as uow:
        assert await uow.directory.store(STORE) is None
