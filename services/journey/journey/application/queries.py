"""What the HTTP API reads: one member's journey, and how many members stand at each stage."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rapport_events.contracts.journey import DEFAULT_STAGES, Stage
from rapport_platform.auth import Principal

from journey.application.access import counted_scope, visible
from journey.application.ports import JourneyUnitOfWork, JourneyView

STAGES: tuple[str, ...] = DEFAULT_STAGES


@dataclass(frozen=True)
class StageCounts:
    store_id: str | None
    """The store counted; None for the whole brand."""
    stages: dict[Stage, int]
    """Every stage, with 0 where nobody stands."""

    @property
    def members(self) -> int:
        return sum(self.stages.values())


class JourneyQueries:
    def __init__(self, unit_of_work: Callable[[], JourneyUnitOfWork]) -> None:
        self._unit_of_work = unit_of_work

    async def journey(self, caller: Principal, member_id: str) -> JourneyView:
        async with self._unit_of_work() as uow:
            view = await uow.views.journey(member_id)
        return visible(caller, member_id, view)

    async def stage_counts(self, caller: Principal, store_id: str | None) -> StageCounts:
        brand_id, store_id = counted_scope(caller, store_id)
        async with self._unit_of_work() as uow:
            counts = await uow.views.stage_counts(brand_id, store_id)
        return StageCounts(store_id, {stage: counts.get(stage, 0) for stage in STAGES})
