"""The transactional outbox and its relay.

Envelopes are written to ``outbox`` in the transaction of the state change that produced
them (see :mod:`rapport_events.uow`). The relay reads committed rows in commit order, publishes
them, and records its checkpoint only after the broker acknowledged the whole batch. A relay
killed anywhere publishes the unacknowledged tail again on restart: duplicates are possible,
loss and reordering of one member's events are not.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import timedelta

import asyncpg
from opentelemetry.trace import SpanKind

from rapport_events.commit_log import START, Checkpoint, fetch_committed
from rapport_events.envelope import EventEnvelope
from rapport_events.publisher import OutgoingRecord, Publisher
from rapport_events.store import Connection
from rapport_events.tracing import continued_span, transport_headers

log = logging.getLogger(__name__)


async def write_outbox(
    connection: Connection, messages: Sequence[tuple[str, EventEnvelope]]
) -> None:
    """Queue ``(topic, envelope)`` pairs inside the caller's transaction."""
    if not messages:
        return
    await connection.executemany(
        "INSERT INTO outbox (topic, event_id, envelope) VALUES ($1, $2, $3::text::jsonb)",
        [(topic, envelope.id, envelope.model_dump_json()) for topic, envelope in messages],
    )


class OutboxRelay:
    def __init__(
        self,
        pool: asyncpg.Pool,
        publisher: Publisher,
        *,
        name: str = "outbox",
        topic_prefix: str = "",
        batch_size: int = 500,
        poll_interval: float = 0.1,
        retention: timedelta = timedelta(days=1),
    ) -> None:
        self._pool = pool
        self._publisher = publisher
        self._name = name
        self._topic_prefix = topic_prefix
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._retention = retention

    async def checkpoint(self) -> Checkpoint:
        row = await self._pool.fetchrow(
            "SELECT transaction_id::text AS xid, position FROM relay_checkpoints WHERE name = $1",
            self._name,
        )
        return Checkpoint(int(row["xid"]), row["position"]) if row else START

    async def _save(self, checkpoint: Checkpoint) -> None:
        await self._pool.execute(
            """
            INSERT INTO relay_checkpoints (name, transaction_id, position)
            VALUES ($1, $2::text::xid8, $3)
            ON CONFLICT (name) DO UPDATE
               SET transaction_id = excluded.transaction_id, position = excluded.position,
                   updated_at = now()
            """,
            self._name,
            str(checkpoint.transaction_id),
            checkpoint.position,
        )

    async def relay_once(self) -> int:
        """Publish one batch of committed rows; returns how many were published."""
        rows = await fetch_committed(
            self._pool,
            "outbox",
            await self.checkpoint(),
            self._batch_size,
            columns="position, topic, envelope::text AS envelope",
        )
        if not rows:
            return 0
        records = []
        for row in rows:
            envelope = row.envelope()
            topic = self._topic_prefix + row.record["topic"]
            with continued_span(
                f"{topic} publish",
                traceparent=envelope.traceparent,
                tracestate=envelope.tracestate,
                correlation_id=envelope.correlationid,
                kind=SpanKind.PRODUCER,
                attributes={
                    "messaging.system": "kafka",
                    "messaging.destination.name": topic,
                    "messaging.message.id": envelope.id,
                },
            ):
                records.append(OutgoingRecord.of(topic, envelope, transport_headers()))
        await self._publisher.publish(records)
        await self._save(rows[-1].checkpoint)
        return len(rows)

    async def prune(self) -> int:
        """Delete published rows older than the retention (they stay for audit/replay a while)."""
        checkpoint = await self.checkpoint()
        result: str = await self._pool.execute(
            """
            DELETE FROM outbox
            WHERE (transaction_id, position) <= ($1::text::xid8, $2)
              AND created_at < now() - $3::interval
            """,
            str(checkpoint.transaction_id),
            checkpoint.position,
            self._retention,
        )
        return int(result.split()[-1])

    async def run(self) -> None:
        """Relay until cancelled; a failed batch is retried with backoff, never skipped."""
        backoff = self._poll_interval
        passes = 0
        while True:
            try:
                published = await self.relay_once()
                backoff = self._poll_interval
                passes += 1
                if passes % 3000 == 0:
                    await self.prune()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox relay failed; retrying in %.1fs", backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            if published < self._batch_size:
                await asyncio.sleep(self._poll_interval)
