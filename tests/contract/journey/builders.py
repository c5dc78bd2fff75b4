"""Test data for the journey contracts: members on the map, timers, touchpoints."""

from __future__ import annotations

from datetime import datetime, timedelta

from journey.application.ports import TouchpointRecord
from journey.domain.journey import StageChange
from journey.domain.timers import Timer
from rapport_events.contracts.journey import Stage

from tests.contract.journey.backends import NOW, Backend

BRAND = "brd_1"


async def place(
    backend: Backend,
    *member_ids: str,
    stage: Stage | None = "new",
    brand_id: str = BRAND,
    store_id: str | None = "sto_1",
) -> None:
    """Commit journeys for ``member_ids``, standing at ``stage``."""
    async with backend.begin() as uow:
        for member_id in member_ids:
            journey = await uow.journeys.load(member_id, brand_id)
            journey.store_id = store_id
            changes = []
            if stage is not None:
                journey.stage = stage
                changes.append(StageChange(None, stage, "registered", NOW))
            await uow.journeys.save(journey, changes)


def timer(
    timer_id: str,
    member_id: str = "mbr_1",
    *,
    kind: str = "dormancy",
    slot: str = "",
    due_in: timedelta = timedelta(days=30),
) -> Timer:
    return Timer(
        timer_id=timer_id,
        member_id=member_id,
        brand_id=BRAND,
        kind=kind,
        due_at=NOW + due_in,
        armed_for=NOW,
        slot=slot,
    )


async def arm(backend: Backend, *timers: Timer, at: datetime = NOW) -> None:
    async with backend.begin() as uow:
        for armed in timers:
            await uow.timers.arm(armed, at)


async def due_ids(
    backend: Backend,
    by: datetime,
    *,
    limit: int = 100,
    kinds: frozenset[str] = frozenset({"dormancy"}),
) -> list[str]:
    async with backend.begin() as uow:
        return [due.timer_id for due in await uow.timers.due(by, limit, kinds)]


def touchpoint(
    touchpoint_id: str, member_id: str = "mbr_1", *, at: datetime = NOW
) -> TouchpointRecord:
    return TouchpointRecord(
        touchpoint_id=touchpoint_id,
        member_id=member_id,
        brand_id=BRAND,
        template="welcome_back",
        channel="wechat",
        status="requested",
        requested_at=at,
    )
