"""The unit of work: one PostgreSQL transaction for state, event store, outbox and inbox.

    async with UnitOfWork(pool, source="/rapport/loyalty", clock=clock) as uow:
        await repository(uow.connection).save(account)
        uow.emit(PointsEarned(...), brand_id=brand)

On a clean exit the emitted envelopes are written to the outbox and everything commits at
once; on an exception nothing does. Envelopes inherit the correlation id and trace context
of the flow being served (the HTTP request, the consumed event, the firing timer).
"""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import Self

import asyncpg
from asyncpg.pool import PoolConnectionProxy
from asyncpg.transaction import Transaction

from rapport_events.clock import Clock
from rapport_events.envelope import DomainEvent, EventEnvelope
from rapport_events.outbox import write_outbox
from rapport_events.store import PostgresEventStore, StoredEvent
from rapport_events.tracing import correlation_id_var, current_trace_context


class UnitOfWork:
    def __init__(self, pool: asyncpg.Pool, *, source: str, clock: Clock) -> None:
        self._pool = pool
        self.source = source
        self.clock = clock
        self._connection: PoolConnectionProxy | None = None
        self._transaction: Transaction | None = None
        self._pending: list[tuple[str, EventEnvelope]] = []

    @property
    def connection(self) -> PoolConnectionProxy:
        if self._connection is None:
            raise RuntimeError("the unit of work is not open: use `async with uow:`")
        return self._connection

    @property
    def emitted(self) -> list[EventEnvelope]:
        """Envelopes emitted so far in this unit of work."""
        return [envelope for _, envelope in self._pending]

    async def __aenter__(self) -> Self:
        if self._connection is not None:
            raise RuntimeError("a unit of work cannot be entered twice")
        self._connection = await self._pool.acquire()
        self._transaction = self._connection.transaction()
        await self._transaction.start()
        self._pending = []
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        assert self._connection is not None and self._transaction is not None
        try:
            if exc_type is None:
                await write_outbox(self._connection, self._pending)
                await self._transaction.commit()
            else:
                await self._transaction.rollback()
        finally:
            # A failed commit or rollback leaves the connection in an unknown state;
            # releasing it to the pool resets it either way.
            await self._pool.release(self._connection)
            self._connection = None
            self._transaction = None

    def wrap(
        self, event: DomainEvent, *, brand_id: str, caused_by: EventEnvelope | None = None
    ) -> EventEnvelope:
        return stamp(
            event, source=self.source, clock=self.clock, brand_id=brand_id, caused_by=caused_by
        )

    def emit(
        self, event: DomainEvent, *, brand_id: str, caused_by: EventEnvelope | None = None
    ) -> EventEnvelope:
        """Queue ``event`` for publication when this unit of work commits."""
        envelope = self.wrap(event, brand_id=brand_id, caused_by=caused_by)
        self._pending.append((event.topic, envelope))
        return envelope

    async def append_to_stream(
        self,
        stream_id: str,
        expected_version: int,
        events: Sequence[DomainEvent],
        *,
        brand_id: str,
        caused_by: EventEnvelope | None = None,
    ) -> list[EventEnvelope]:
        """Store ``events`` in an aggregate's stream and queue them for publication."""
        envelopes = [self.wrap(event, brand_id=brand_id, caused_by=caused_by) for event in events]
        await PostgresEventStore(self.connection).append(stream_id, expected_version, envelopes)
        self._pending.extend(
            (event.topic, env) for event, env in zip(events, envelopes, strict=True)
        )
        return envelopes

    async def load_stream(self, stream_id: str, after_version: int = 0) -> list[StoredEvent]:
        return await PostgresEventStore(self.connection).load(stream_id, after_version)


def stamp(
    event: DomainEvent,
    *,
    source: str,
    clock: Clock,
    brand_id: str,
    caused_by: EventEnvelope | None = None,
) -> EventEnvelope:
    """Put ``event`` in an envelope the way every unit of work does (in-memory ones too):
    the time from the clock, the correlation id and trace context from the flow being served,
    or from ``caused_by`` when the event is a reaction to another."""
    traceparent, tracestate = current_trace_context()
    return EventEnvelope.wrap(
        event,
        source=source,
        brand_id=brand_id,
        time=clock.now(),
        caused_by=caused_by,
        correlation_id=None if caused_by else correlation_id_var.get(),
        traceparent=traceparent,
        tracestate=tracestate,
    )
