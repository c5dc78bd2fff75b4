"""The unit of work: one transaction for state, event store, outbox and inbox.

Every service has one unit of work, a subclass of :class:`UnitOfWork` that binds its
repositories to the transaction's connection, and an in-memory twin, a subclass of
:class:`InMemoryUnitOfWork`, that binds fakes of the same repositories to a working copy of
in-memory tables. Application code sees only the port, :class:`UnitOfWorkPort`::

    class LoyaltyUnitOfWork(UnitOfWork):
        def _bind(self, connection: Connection) -> None:
            self.balances = PostgresPointsBalances(connection)

    async with LoyaltyUnitOfWork(pool, source="/rapport/loyalty", clock=clock) as uow:
        await uow.balances.save(balance)
        uow.emit(PointsEarned(...), brand_id=brand)

On a clean exit the emitted envelopes are written to the outbox and everything commits at
once; on an exception nothing does. Envelopes inherit the correlation id and trace context
of the flow being served (the HTTP request, the consumed event, the firing timer), or of the
event given as ``caused_by``.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Sequence
from types import TracebackType
from typing import Any, Protocol, Self

import asyncpg
from asyncpg.pool import PoolConnectionProxy
from asyncpg.transaction import Transaction

from rapport_events.clock import Clock
from rapport_events.envelope import DomainEvent, EventEnvelope
from rapport_events.outbox import write_outbox
from rapport_events.store import InMemoryEventStore, PostgresEventStore, StoredEvent
from rapport_events.tracing import correlation_id_var, current_trace_context

Connection = PoolConnectionProxy | asyncpg.Connection
"""The connection a unit of work hands its repositories."""

NOT_OPEN = "the unit of work is not open: use `async with uow:`"


class UnitOfWorkPort(Protocol):
    """What application code needs of any unit of work, in PostgreSQL or in memory."""

    @property
    def clock(self) -> Clock: ...

    def emit(
        self, event: DomainEvent, *, brand_id: str, caused_by: EventEnvelope | None = None
    ) -> EventEnvelope:
        """Queue ``event`` for publication when the unit of work commits."""
        ...

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
        ...

    async def load_stream(self, stream_id: str, after_version: int = 0) -> list[StoredEvent]: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...


class _Emitting:
    """Stamping and queueing, the part both units of work share."""

    source: str
    clock: Clock

    def _start_queue(self) -> None:
        self._pending: list[tuple[str, EventEnvelope]] = []

    @property
    def emitted(self) -> list[EventEnvelope]:
        """Envelopes emitted so far in this unit of work (or its last run)."""
        return [envelope for _, envelope in getattr(self, "_pending", [])]

    def _require_open(self) -> None:
        raise NotImplementedError

    def emit(
        self, event: DomainEvent, *, brand_id: str, caused_by: EventEnvelope | None = None
    ) -> EventEnvelope:
        self._require_open()
        envelope = self._stamp(event, brand_id, caused_by)
        self._pending.append((event.topic, envelope))
        return envelope

    def _stamp(
        self, event: DomainEvent, brand_id: str, caused_by: EventEnvelope | None
    ) -> EventEnvelope:
        return stamp(
            event, source=self.source, clock=self.clock, brand_id=brand_id, caused_by=caused_by
        )

    def _stamp_all(
        self,
        events: Sequence[DomainEvent],
        brand_id: str,
        caused_by: EventEnvelope | None,
    ) -> list[EventEnvelope]:
        self._require_open()
        return [self._stamp(event, brand_id, caused_by) for event in events]

    def _queue_all(self, events: Sequence[DomainEvent], envelopes: list[EventEnvelope]) -> None:
        self._pending.extend(
            (event.topic, envelope) for event, envelope in zip(events, envelopes, strict=True)
        )

    def _event_store(self) -> PostgresEventStore | InMemoryEventStore:
        raise NotImplementedError

    async def append_to_stream(
        self,
        stream_id: str,
        expected_version: int,
        events: Sequence[DomainEvent],
        *,
        brand_id: str,
        caused_by: EventEnvelope | None = None,
    ) -> list[EventEnvelope]:
        envelopes = self._stamp_all(events, brand_id, caused_by)
        await self._event_store().append(stream_id, expected_version, envelopes)
        self._queue_all(events, envelopes)
        return envelopes

    async def load_stream(self, stream_id: str, after_version: int = 0) -> list[StoredEvent]:
        return await self._event_store().load(stream_id, after_version)


class UnitOfWork(_Emitting):
    """A PostgreSQL transaction. Subclasses bind their repositories in :meth:`_bind`."""

    def __init__(self, pool: asyncpg.Pool, *, source: str, clock: Clock) -> None:
        self._pool = pool
        self.source = source
        self.clock = clock
        self._connection: PoolConnectionProxy | None = None
        self._transaction: Transaction | None = None
        self._start_queue()

    @property
    def connection(self) -> Connection:
        if self._connection is None:
            raise RuntimeError(NOT_OPEN)
        return self._connection

    def _require_open(self) -> None:
        if self._connection is None:
            raise RuntimeError(NOT_OPEN)

    def _bind(self, connection: Connection) -> None:
        """Create the repositories on ``connection``; called each time the unit opens."""

    async def _before_commit(self) -> None:
        """Write what the repositories buffered; called on a clean exit, before the outbox.

        A repository that collects a whole consumer batch's writes and sends them in a few
        statements (journey's) flushes here, inside the same transaction.
        """

    async def __aenter__(self) -> Self:
        if self._connection is not None:
            raise RuntimeError("a unit of work cannot be entered twice")
        connection = await self._pool.acquire()
        transaction = connection.transaction()
        try:
            await transaction.start()
        except BaseException:
            await self._pool.release(connection)
            raise
        self._connection, self._transaction = connection, transaction
        self._start_queue()
        self._bind(connection)
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
                await self._before_commit()
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

    def _event_store(self) -> PostgresEventStore:
        return PostgresEventStore(self.connection)


class InMemoryDatabase:
    """The committed state behind in-memory units of work: tables, streams and events.

    ``tables`` is whatever the service keeps (a dataclass of dicts, usually); each unit of
    work works on a deep copy and puts it back on commit. Units of work run one at a time,
    as if every transaction were serialisable: a second one waits for the first to finish,
    which is what PostgreSQL's row locks give the cases our contracts care about (two claims
    of one key, two workers taking the same due timers).
    """

    def __init__(self, tables: Any = None) -> None:
        self.tables = tables
        self.streams = InMemoryEventStore()
        self.committed: list[EventEnvelope] = []
        self.commits = 0
        self._lock = asyncio.Lock()

    def published(self, kind: type[DomainEvent] | None = None) -> list[EventEnvelope]:
        """Committed envelopes, optionally only those of one event type."""
        if kind is None:
            return list(self.committed)
        return [envelope for envelope in self.committed if envelope.type == kind.event_type]


class InMemoryUnitOfWork(_Emitting):
    """The recording fake of :class:`UnitOfWork`. Subclasses bind fakes in :meth:`_bind`."""

    def __init__(self, database: InMemoryDatabase, *, source: str, clock: Clock) -> None:
        self.database = database
        self.source = source
        self.clock = clock
        self.tables: Any = None
        self._streams: InMemoryEventStore | None = None
        self._open = False
        self._start_queue()

    def _require_open(self) -> None:
        if not self._open:
            raise RuntimeError(NOT_OPEN)

    def _bind(self, tables: Any) -> None:
        """Create the fake repositories on the working copy ``tables``."""

    async def __aenter__(self) -> Self:
        if self._open:
            raise RuntimeError("a unit of work cannot be entered twice")
        await self.database._lock.acquire()
        self._open = True
        self.tables = copy.deepcopy(self.database.tables)
        self._streams = copy.deepcopy(self.database.streams)
        self._start_queue()
        self._bind(self.tables)
        return self

    async def _before_commit(self) -> None:
        """The twin of :meth:`UnitOfWork._before_commit`: flush buffered writes into
        ``tables`` before they become the committed state."""

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            if exc_type is None:
                await self._before_commit()
                self.database.tables = self.tables
                assert self._streams is not None
                self.database.streams = self._streams
                self.database.committed.extend(self.emitted)
                self.database.commits += 1
        finally:
            self._open = False
            self._streams = None
            self.database._lock.release()

    def _event_store(self) -> InMemoryEventStore:
        self._require_open()
        assert self._streams is not None
        return self._streams


def stamp(
    event: DomainEvent,
    *,
    source: str,
    clock: Clock,
    brand_id: str,
    caused_by: EventEnvelope | None = None,
) -> EventEnvelope:
    """Put ``event`` in an envelope the way every unit of work does: the time from the
    clock, the correlation id and trace context from the flow being served, or from
    ``caused_by`` when the event is a reaction to another."""
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
