"""The Touchpoints contract: each touchpoint logged once; a delivery is final."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from journey.application.ports import TouchpointRecord

from tests.contract.journey.backends import NOW, Backend
from tests.contract.journey.builders import place, touchpoint

MINUTE = timedelta(minutes=1)


async def logged(backend: Backend, member_id: str = "mbr_1") -> list[TouchpointRecord]:
    async with backend.begin() as uow:
        view = await uow.views.journey(member_id)
    assert view is not None
    return view.touchpoints


async def test_a_touchpoint_is_recorded_once(backend: Backend) -> None:
    await place(backend, "mbr_1")
    first = touchpoint("tpt_1")
    async with backend.begin() as uow:
        assert await uow.touchpoints.record(first) is True
    async with backend.begin() as uow:
        assert await uow.touchpoints.record(replace(first, template="other")) is False

    assert await logged(backend) == [first]


async def test_a_failure_may_be_followed_by_a_delivery_which_is_final(backend: Backend) -> None:
    await place(backend, "mbr_1")
    async with backend.begin() as uow:
        await uow.touchpoints.record(touchpoint("tpt_1"))

    async with backend.begin() as uow:
        resolve = uow.touchpoints.resolve
        assert await resolve("tpt_1", "mbr_1", "failed", "no wechat id", NOW + MINUTE) is True
        assert await resolve("tpt_1", "mbr_1", "delivered", None, NOW + 2 * MINUTE) is True
        assert await resolve("tpt_1", "mbr_1", "failed", "late failure", NOW + 3 * MINUTE) is False
        assert await resolve("tpt_1", "mbr_1", "delivered", None, NOW + 4 * MINUTE) is False

    [record] = await logged(backend)
    assert (record.status, record.reason, record.resolved_at) == (
        "delivered",
        None,
        NOW + 2 * MINUTE,
    )


async def test_a_failure_is_noted_with_its_reason(backend: Backend) -> None:
    await place(backend, "mbr_1")
    async with backend.begin() as uow:
        await uow.touchpoints.record(touchpoint("tpt_1"))
        assert await uow.touchpoints.resolve("tpt_1", "mbr_1", "failed", "opted out", NOW + MINUTE)

    [record] = await logged(backend)
    assert (record.status, record.reason, record.resolved_at) == (
        "failed",
        "opted out",
        NOW + MINUTE,
    )


async def test_an_unknown_touchpoint_is_not_resolved(backend: Backend) -> None:
    async with backend.begin() as uow:
        assert await uow.touchpoints.resolve("tpt_other", "mbr_1", "delivered", None, NOW) is False


async def test_another_members_touchpoint_is_not_resolved(backend: Backend) -> None:
    await place(backend, "mbr_1")
    async with backend.begin() as uow:
        await uow.touchpoints.record(touchpoint("tpt_1"))

    async with backend.begin() as uow:
        assert await uow.touchpoints.resolve("tpt_1", "mbr_2", "delivered", None, NOW) is False

    [record] = await logged(backend)
    assert (record.status, record.resolved_at) == ("requested", None)
