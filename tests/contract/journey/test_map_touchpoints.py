"""Touchpoints of maps: their map and trigger kept, and what became of those not sent."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from tests.contract.journey.backends import NOW, Backend
from tests.contract.journey.builders import place, touchpoint

LATER = NOW + timedelta(hours=1)


async def test_a_capped_or_held_touchpoint_keeps_its_reason_and_can_still_be_delivered(
    backend: Backend,
) -> None:
    await place(backend, "mbr_1")
    asked = replace(touchpoint("tpt_1"), map_key="lifecycle", trigger="welcome_back")
    skipped = replace(touchpoint("tpt_2"), status="skipped", reason="late by 3 days")
    async with backend.begin() as uow:
        assert await uow.touchpoints.record(asked)
        assert await uow.touchpoints.record(skipped)
    async with backend.begin() as uow:
        assert await uow.touchpoints.resolve("tpt_1", "mbr_1", "held", "quiet hours", NOW)
        held = await uow.views.journey("mbr_1")
        assert await uow.touchpoints.resolve("tpt_1", "mbr_1", "delivered", None, LATER)
        assert not await uow.touchpoints.resolve("tpt_1", "mbr_1", "capped", "cap", LATER)
        view = await uow.views.journey("mbr_1")

    assert held is not None and held.touchpoints[0] == replace(
        asked, status="held", reason="quiet hours", resolved_at=NOW
    )
    assert view is not None and view.touchpoints == [
        replace(asked, status="delivered", reason=None, resolved_at=LATER),
        skipped,
    ]
