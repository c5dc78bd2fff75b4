"""The event store: streams of envelopes with optimistic concurrency.

A stream is one aggregate's history (``points-account-mbr_...``). Appending states the
version the writer based its decision on; if someone appended in between, the append fails
with :class:`ConcurrencyError` and the writer decides again on fresh history.

:class:`PostgresEventStore` and :class:`InMemoryEventStore` honour the same contract
(``tests/contract``), so application tests on the fake say something about production.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Protocol

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from rapport_events.commit_log import START, Checkpoint, fetch_committed
from rapport_events.envelope import EventEnvelope


class ConcurrencyError(Exception):
    """The stream moved on since the writer read it."""

    def __init__(self, stream_id: str, expected_version: int, actual_version: int | None) -> None:
        where = "has moved on" if actual_version is None else f"is at version {actual_version}"
        super().__init__(
            f"stream {stream_id!r} {where}; the append expected version {expected_version}"
        )
        self.stream_id = stream_id
        self.expected_version = expected_version
        self.actual_version = actual_version


class DuplicateEventError(ValueError):
    """An event with this id is already stored (a retried append of the same envelope)."""


@dataclass(frozen=True)
class StoredEvent:
    envelope: EventEnvelope
    stream_id: str
    stream_version: int
    checkpoint: Checkpoint


class EventStore(Protocol):
    async def append(
        self, stream_id: str, expected_version: int, envelopes: Sequence[EventEnvelope]
    ) -> int:
        """Append after ``expected_version``; returns the new version of the stream."""
        ...

    async def load(self, stream_id: str, after_version: int = 0) -> list[StoredEvent]: ...

    async def read_all(self, after: Checkpoint = START, limit: int = 1000) -> list[StoredEvent]:
        """Events of every stream in commit order, after ``after``."""
        ...


Connection = asyncpg.Connection | PoolConnectionProxy
"""A connection, whether opened directly or borrowed from a pool."""
Executor = Connection | asyncpg.Pool


class PostgresEventStore:
    """Event store on the ``event_store`` table.

    Bound to a pool it runs each append in its own transaction; bound to a connection inside
    a transaction (a unit of work) the append joins that transaction.
    """

    def __init__(self, executor: Executor) -> None:
        self._executor = executor

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[Connection]:
        if isinstance(self._executor, asyncpg.Pool):
            async with self._executor.acquire() as connection:
                yield connection
        else:
            yield self._executor

    async def append(
        self, stream_id: str, expected_version: int, envelopes: Sequence[EventEnvelope]
    ) -> int:
        if expected_version < 0:
            raise ValueError("expected_version cannot be negative")
        if not envelopes:
            return expected_version
        versions = list(range(expected_version + 1, expected_version + len(envelopes) + 1))
        async with self._connection() as connection:
            try:
                # One statement: it appends only if the stream is still at the expected
                # version; the unique (stream_id, stream_version) index catches a writer that
                # passed the same check concurrently.
                status = await connection.execute(
                    """
                    INSERT INTO event_store (stream_id, stream_version, event_id, event_type,
                                             envelope)
                    SELECT $1, version, event_id, event_type, envelope::jsonb
                    FROM unnest($2::int[], $3::text[], $4::text[], $5::text[])
                         AS appended(version, event_id, event_type, envelope)
                    WHERE (SELECT coalesce(max(stream_version), 0) FROM event_store
                           WHERE stream_id = $1) = $6
                    """,
                    stream_id,
                    versions,
                    [envelope.id for envelope in envelopes],
                    [envelope.type for envelope in envelopes],
                    [envelope.model_dump_json() for envelope in envelopes],
                    expected_version,
                )
            except asyncpg.UniqueViolationError as exc:
                if exc.constraint_name == "event_store_event_id_key":
                    raise DuplicateEventError(str(exc)) from exc
                raise ConcurrencyError(stream_id, expected_version, None) from exc
            if status.split()[-1] == "0":
                actual = await connection.fetchval(
                    "SELECT coalesce(max(stream_version), 0) FROM event_store WHERE stream_id = $1",
                    stream_id,
                )
                raise ConcurrencyError(stream_id, expected_version, actual)
        return expected_version + len(envelopes)

    async def load(self, stream_id: str, after_version: int = 0) -> list[StoredEvent]:
        async with self._connection() as connection:
            rows = await connection.fetch(
                """
                SELECT stream_id, stream_version, position, transaction_id::text AS xid,
                       envelope::text AS envelope
                FROM event_store
                WHERE stream_id = $1 AND stream_version > $2
                ORDER BY stream_version
                """,
                stream_id,
                after_version,
            )
        return [
            StoredEvent(
                envelope=EventEnvelope.model_validate_json(row["envelope"]),
                stream_id=row["stream_id"],
                stream_version=row["stream_version"],
                checkpoint=Checkpoint(int(row["xid"]), row["position"]),
            )
            for row in rows
        ]

    async def read_all(self, after: Checkpoint = START, limit: int = 1000) -> list[StoredEvent]:
        async with self._connection() as connection:
            rows = await fetch_committed(
                connection,
                "event_store",
                after,
                limit,
                columns="position, stream_id, stream_version, envelope::text AS envelope",
            )
        return [
            StoredEvent(
                envelope=row.envelope(),
                stream_id=row.record["stream_id"],
                stream_version=row.record["stream_version"],
                checkpoint=row.checkpoint,
            )
            for row in rows
        ]


class InMemoryEventStore:
    """The same contract in a list; for unit tests of application code."""

    def __init__(self) -> None:
        self._events: list[StoredEvent] = []
        self._versions: dict[str, int] = {}

    async def append(
        self, stream_id: str, expected_version: int, envelopes: Sequence[EventEnvelope]
    ) -> int:
        if expected_version < 0:
            raise ValueError("expected_version cannot be negative")
        actual = self._versions.get(stream_id, 0)
        if actual != expected_version:
            raise ConcurrencyError(stream_id, expected_version, actual)
        known_ids = {stored.envelope.id for stored in self._events}
        if any(env.id in known_ids for env in envelopes):
            raise DuplicateEventError("an event with this id is already stored")
        for offset, envelope in enumerate(envelopes, start=1):
            position = len(self._events) + 1
            self._events.append(
                StoredEvent(
                    envelope=envelope,
                    stream_id=stream_id,
                    stream_version=expected_version + offset,
                    checkpoint=Checkpoint(position, position),
                )
            )
        self._versions[stream_id] = expected_version + len(envelopes)
        return self._versions[stream_id]

    async def load(self, stream_id: str, after_version: int = 0) -> list[StoredEvent]:
        return [
            stored
            for stored in self._events
            if stored.stream_id == stream_id and stored.stream_version > after_version
        ]

    async def read_all(self, after: Checkpoint = START, limit: int = 1000) -> list[StoredEvent]:
        return [stored for stored in self._events if stored.checkpoint > after][:limit]
