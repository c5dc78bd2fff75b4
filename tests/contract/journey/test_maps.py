"""The Maps contract: drafts are replaced, versions are immutable and numbered without gaps."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from tests.contract.journey.backends import NOW, Backend
from tests.contract.journey.builders import BRAND

DOCUMENT = {"key": "lifecycle", "title": "Lifecycle", "stages": [{"key": "new"}]}


async def draft(backend: Backend, key: str = "lifecycle", brand_id: str = BRAND) -> None:
    async with backend.begin() as uow:
        await uow.maps.save_draft(brand_id, key, "Lifecycle", DOCUMENT, NOW, "stf_hq")


async def publish(backend: Backend, key: str = "lifecycle", by: str = "stf_hq") -> int:
    async with backend.begin() as uow:
        assert await uow.maps.lock(BRAND, key) is not None
        return (await uow.maps.publish(BRAND, key, DOCUMENT, "Lifecycle", NOW, by)).version


async def test_a_saved_draft_comes_back_and_a_second_save_replaces_it(backend: Backend) -> None:
    await draft(backend)
    async with backend.begin() as uow:
        later = NOW + timedelta(hours=1)
        saved = await uow.maps.save_draft(BRAND, "lifecycle", "Renamed", {"a": [1]}, later, "x")

    assert saved.draft == {"a": [1]}
    async with backend.begin() as uow:
        found = await uow.maps.get(BRAND, "lifecycle")
    assert found == saved
    assert (found.title, found.draft_saved_by, found.draft_saved_at) == ("Renamed", "x", later)
    assert (found.active_version, found.latest_version) == (None, 0)


async def test_maps_are_their_brands_and_listed_by_key(backend: Backend) -> None:
    for key in ("seasonal", "lifecycle", "birthday"):
        await draft(backend, key)
    await draft(backend, "other_brands", brand_id="brd_2")

    async with backend.begin() as uow:
        first = await uow.maps.page(BRAND, None, 2)
        rest = await uow.maps.page(BRAND, first[-1].key, 10)
        assert await uow.maps.get("brd_2", "lifecycle") is None

    assert [m.key for m in first] == ["birthday", "lifecycle"]
    assert [m.key for m in rest] == ["seasonal"]


async def test_publishing_numbers_versions_and_activates_the_latest(backend: Backend) -> None:
    await draft(backend)
    assert [await publish(backend, by=f"stf_{n}") for n in range(3)] == [1, 2, 3]

    async with backend.begin() as uow:
        assert await uow.maps.lock(BRAND, "lifecycle") is not None
        back = await uow.maps.publish(
            BRAND, "lifecycle", {"old": True}, "Old", NOW, "stf_hq", republished_from=1
        )
    async with backend.begin() as uow:
        record = await uow.maps.get(BRAND, "lifecycle")
        versions = await uow.maps.versions(BRAND, "lifecycle")
        second = await uow.maps.version(BRAND, "lifecycle", 2)
        active = await uow.maps.active(BRAND)
        assert await uow.maps.version(BRAND, "lifecycle", 9) is None

    assert back.version == 4 and back.republished_from == 1
    assert record is not None and (record.active_version, record.latest_version) == (4, 4)
    assert [v.version for v in versions] == [1, 2, 3, 4]
    assert second is not None and (second.published_by, second.document) == ("stf_1", DOCUMENT)
    assert active == [back]


async def test_a_draft_saved_after_publishing_leaves_the_versions_alone(backend: Backend) -> None:
    await draft(backend)
    await publish(backend)
    async with backend.begin() as uow:
        await uow.maps.save_draft(BRAND, "lifecycle", "Next", {"next": 1}, NOW, "stf_hq")
        version = await uow.maps.version(BRAND, "lifecycle", 1)
        record = await uow.maps.get(BRAND, "lifecycle")

    assert version is not None and version.document == DOCUMENT
    assert record is not None and record.active_version == 1


async def test_two_publications_at_once_get_consecutive_versions(backend: Backend) -> None:
    await draft(backend)
    first_locked, second_waits = asyncio.Event(), asyncio.Event()
    published: list[int] = []

    async def first() -> None:
        async with backend.begin() as uow:
            assert await uow.maps.lock(BRAND, "lifecycle") is not None
            first_locked.set()
            await backend.hold_until(second_waits)
            published.append(
                (await uow.maps.publish(BRAND, "lifecycle", DOCUMENT, "L", NOW, "a")).version
            )

    async def second() -> None:
        await first_locked.wait()
        async with backend.begin() as uow:
            waiting = asyncio.ensure_future(uow.maps.lock(BRAND, "lifecycle"))
            await backend.someone_waits()
            second_waits.set()
            assert await waiting is not None
            published.append(
                (await uow.maps.publish(BRAND, "lifecycle", DOCUMENT, "L", NOW, "b")).version
            )

    await asyncio.wait_for(asyncio.gather(first(), second()), timeout=20)

    assert sorted(published) == [1, 2]
