"""The journey service on fakes, wired as ``bootstrap.py`` wires it: the real map language,
default map, placement and consumer handlers (behind the directory replica's guard), on the
in-memory unit of work, with the platform clock in the test's hands."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from journey.adapters.map_documents import MapDocuments, trusted_templates
from journey.adapters.memory import InMemoryJourneyUnitOfWork, JourneyTables, journey_database
from journey.application.commands import FireDueTimers
from journey.application.handlers import JourneyHandlers
from journey.application.placement import Placement
from journey.application.running_maps import RunningMaps
from journey.domain.maps.defaults import default_map_document
from journey.domain.maps.model import CompiledMap
from journey.entrypoints.consumers import subscriptions
from rapport_events.clock import ManualClock
from rapport_events.consumer import Handler
from rapport_events.directory import with_directory
from rapport_events.envelope import DomainEvent, EventEnvelope
from rapport_events.uow import InMemoryDatabase


def running_maps(clock: ManualClock) -> RunningMaps:
    documents = MapDocuments()

    def compile_version(document: Mapping[str, Any], brand_id: str, version: int) -> CompiledMap:
        return documents.compile(document, brand_id, version, trusted_templates(document))

    return RunningMaps(compile_version, default_map_document, clock, refresh=timedelta(0))


class FakeJourney:
    """Each :meth:`take` is one consumer transaction: the handler, then the finish step."""

    def __init__(self, now: datetime, database: InMemoryDatabase | None = None) -> None:
        self.clock = ManualClock(now)
        self.database = database or journey_database()
        self.handlers = JourneyHandlers(self.begin, self.clock, Placement(running_maps(self.clock)))
        self.consumed: dict[type[DomainEvent], Handler] = {
            kind: handler
            for subscription in with_directory(subscriptions(self.handlers))
            for kind, handler in subscription.handlers.items()
        }

    def begin(self) -> InMemoryJourneyUnitOfWork:
        return InMemoryJourneyUnitOfWork(self.database, clock=self.clock)

    @property
    def tables(self) -> JourneyTables:
        tables: JourneyTables = self.database.tables
        return tables

    async def take(
        self,
        *events: DomainEvent,
        arrived: datetime | None = None,
        traceparent: str | None = None,
        correlation_id: str | None = None,
    ) -> None:
        """Consume ``events`` in one transaction, as one batch of a partition."""
        async with self.begin() as uow:
            for event in events:
                brand_id = event.model_dump()["brand_id"]
                envelope = EventEnvelope.wrap(
                    event,
                    source="/rapport/tests",
                    brand_id=brand_id,
                    time=arrived or self.clock.now(),
                    traceparent=traceparent,
                    correlation_id=correlation_id,
                )
                await self.consumed[type(event)](event, envelope, uow)
            await self.handlers.place(uow)

    async def fire_due(self) -> int:
        """Fire every timer due on the clock; how many fired."""
        fired = total = 0
        while fired := await self.handlers.fire_due_timers(FireDueTimers(self.clock.now())):
            total += fired
        return total

    async def advance(self, delta: timedelta) -> int:
        """Move the clock and fire what came due; how many timers fired."""
        self.clock.advance(delta)
        return await self.fire_due()

    def stage(self, member_id: str) -> str | None:
        journey = self.tables.journeys.get(member_id)
        return journey.stage if journey is not None else None

    def requested(self, member_id: str | None = None) -> list[Any]:
        """The TouchpointRequested events committed, in order."""
        return [
            envelope
            for envelope in self.database.published()
            if envelope.type == "rapport.journey.touchpoint.requested"
            and (member_id is None or envelope.data.get("member_id") == member_id)
        ]
