"""The replica of the templates brands saved in the notifier."""

from __future__ import annotations

from datetime import timedelta

from tests.contract.journey.backends import NOW, Backend


async def test_templates_are_the_brands_own_and_a_later_save_wins(backend: Backend) -> None:
    async with backend.begin() as uow:
        await uow.templates.remember("brd_1", "spring_tips", False, NOW)
        await uow.templates.remember("brd_1", "call_her", True, NOW)
        await uow.templates.remember("brd_2", "theirs", False, NOW)
        await uow.templates.remember("brd_1", "spring_tips", True, NOW + timedelta(hours=1))
        # A save that happened before the one known (a replay, a late record) changes nothing.
        await uow.templates.remember("brd_1", "call_her", False, NOW - timedelta(hours=1))

    async with backend.begin() as uow:
        assert await uow.templates.of("brd_1") == {"spring_tips": True, "call_her": True}
        assert await uow.templates.of("brd_3") == {}
