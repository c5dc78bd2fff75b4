"""In-memory stand-ins for the unit of work and the balances projection."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from types import TracebackType
from typing import Self

from loyalty.application.ports import PointsBalance
from rapport_events.clock import Clock, ManualClock
from rapport_events.envelope import DomainEvent, EventEnvelope
from rapport_events.store import InMemoryEventStore, StoredEvent
from rapport_events.uow import stamp

SOURCE = "/rapport/loyalty"


class InMemoryPointsBalances:
    def __init__(self) -> None:
        self.rows: dict[str, PointsBalance] = {}

    async def save(self, balance: PointsBalance) -> None:
        current = self.rows.get(balance.member_id)
        if current is None or current.version < balance.version:
            self.rows[balance.member_id] = balance

    async def get(self, member_id: str) -> PointsBalance | None:
        return self.rows.get(member_id)


class FakeUnitOfWork:
    """Streams over an :class:`InMemoryEventStore`, as the real unit of work offers them.

    ``before_append`` runs just before each append, to let a test slip in a rival writer.
    """

    def __init__(
        self,
        store: InMemoryEventStore,
        clock: Clock | None = None,
        before_append: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.store = store
        self.clock = clock or ManualClock()
        self.before_append = before_append
        self.emitted: list[EventEnvelope] = []
        self.committed = False

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.committed = exc_type is None

    async def load_stream(self, stream_id: str, after_version: int = 0) -> list[StoredEvent]:
        return await self.store.load(stream_id, after_version)

    async def append_to_stream(
        self,
        stream_id: str,
        expected_version: int,
        events: Sequence[DomainEvent],
        *,
        brand_id: str,
        caused_by: EventEnvelope | None = None,
    ) -> list[EventEnvelope]:
        if self.before_append is not None:
            await self.before_append()
        envelopes = [
            stamp(event, source=SOURCE, clock=self.clock, brand_id=brand_id, caused_by=caused_by)
            for event in events
        ]
        await self.store.append(stream_id, expected_version, envelopes)
        self.emitted.extend(envelopes)
        return envelopes
