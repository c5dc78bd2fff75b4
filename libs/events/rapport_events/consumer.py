"""The idempotent consumer.

For every record: read the envelope and decode the event (a record that cannot be read goes
to the service's dead-letter topic with the reason); open a unit of work; record the event id
in ``processed_events`` (``ON CONFLICT DO NOTHING``) and, only if it was new, run the handler;
commit; then commit the Kafka offset. A crash anywhere replays the record, and the inbox row
makes the replay a no-op, so each event changes state once.

Failures the service can wait out (database or broker unreachable, a concurrent append) are
retried with backoff without moving on, to keep each member's events in order. Any other
failure is retried a few times and then dead-lettered with the error, so one bad event cannot
stall a partition.

A consumer may also track its event-time watermark (``track_watermarks``; see
:mod:`rapport_events.watermarks`): each record raises its partition's watermark in the
transaction that consumes it, and each fetch round moves caught-up partitions to the clock.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import asyncpg
from aiokafka.abc import ConsumerRebalanceListener
from opentelemetry.trace import SpanKind

from rapport_events.clock import Clock
from rapport_events.envelope import DomainEvent, EventEnvelope, MalformedEvent
from rapport_events.ingestion import foreign_to_ingestion_topic
from rapport_events.kafka_security import KafkaConnection
from rapport_events.publisher import OutgoingRecord, Publisher
from rapport_events.registry import EventRegistry, registry
from rapport_events.store import ConcurrencyError
from rapport_events.text import first_unstorable
from rapport_events.topics import (
    INGESTION_TOPICS,
    dead_letter_topic,
    ingestion_brand,
    subscription_pattern,
)
from rapport_events.tracing import continued_span
from rapport_events.uow import Connection, UnitOfWork
from rapport_events.watermarks import WATERMARK_GRACE, Partition, PostgresWatermarks

log = logging.getLogger(__name__)

Handler = Callable[[Any, EventEnvelope, Any], Awaitable[None]]
"""``handler(event, envelope, uow)``: ``uow`` is the service's own unit of work (a subclass of
:class:`UnitOfWork` with its repositories), opened by the consumer around the inbox row."""

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    asyncio.TimeoutError,
    ConcurrencyError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.TooManyConnectionsError,
    asyncpg.SerializationError,
    asyncpg.DeadlockDetectedError,
    asyncpg.CannotConnectNowError,
)


MAX_POLL_RECORDS = 200
"""Records per fetch round, over all partitions: each partition's share is one transaction."""


class RejectEvent(Exception):
    """Raised by a handler for a well-formed event it must not apply; dead-letters it."""


@dataclass(frozen=True)
class Subscription:
    topic: str
    handlers: Mapping[type[DomainEvent], Handler]


def combined(subscriptions: Sequence[Subscription]) -> list[Subscription]:
    """One subscription per topic; an event type handled by several runs them in order.

    Lets a service add plumbing of its own (the directory replica, say) to a topic it already
    consumes without one mapping silently replacing the other.
    """
    per_topic: dict[str, dict[type[DomainEvent], list[Handler]]] = {}
    for subscription in subscriptions:
        topic = per_topic.setdefault(subscription.topic, {})
        for kind, handler in subscription.handlers.items():
            topic.setdefault(kind, []).append(handler)
    return [
        Subscription(topic=topic, handlers={k: _in_order(hs) for k, hs in handlers.items()})
        for topic, handlers in per_topic.items()
    ]


def _in_order(handlers: list[Handler]) -> Handler:
    if len(handlers) == 1:
        return handlers[0]

    async def each(event: Any, envelope: EventEnvelope, uow: Any) -> None:
        for handler in handlers:
            await handler(event, envelope, uow)

    return each


class IncomingRecord(Protocol):
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Sequence[tuple[str, bytes]]


@dataclass(frozen=True)
class _Refused:
    """Why a record is dead-lettered before any handler sees it, and its event time if the
    envelope could be read (a refused record was consumed all the same)."""

    reason: str
    time: datetime | None


def latest_event_times(
    consumed: Sequence[tuple[IncomingRecord, datetime | None]],
) -> dict[Partition, datetime]:
    """The greatest event time consumed on each partition; records without one add nothing."""
    marks: dict[Partition, datetime] = {}
    for record, time in consumed:
        if time is None:
            continue
        key = (record.topic, record.partition)
        marks[key] = max(marks.get(key, time), time)
    return marks


class Outcome:
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"
    DEAD_LETTERED = "dead-lettered"


class RecordProcessor:
    """Everything a consumer does with one record, independent of the Kafka client."""

    def __init__(
        self,
        *,
        service: str,
        subscriptions: Sequence[Subscription],
        pool: asyncpg.Pool,
        dead_letters: Publisher,
        clock: Clock,
        topic_prefix: str = "",
        event_registry: EventRegistry = registry,
        max_attempts: int = 3,
        backoff: float = 0.2,
        unit_of_work: Callable[[], UnitOfWork] | None = None,
        track_watermarks: bool = False,
        finish: Callable[[Any], Awaitable[None]] | None = None,
    ) -> None:
        self.service = service
        self._finish = finish
        self.tracks_watermarks = track_watermarks
        self._handlers: dict[str, dict[type[DomainEvent], Handler]] = {
            topic_prefix + s.topic: dict(s.handlers) for s in combined(subscriptions)
        }
        self._pool = pool
        self._dead_letters = dead_letters
        self._clock = clock
        self._topic_prefix = topic_prefix
        self._dead_letter_topic = topic_prefix + dead_letter_topic(service)
        self._registry = event_registry
        self._max_attempts = max_attempts
        self._backoff = backoff
        self._new_unit_of_work = unit_of_work

    @property
    def topics(self) -> list[str]:
        return list(self._handlers)

    @property
    def clock(self) -> Clock:
        return self._clock

    def _decode(self, record: IncomingRecord) -> tuple[DomainEvent, EventEnvelope] | _Refused:
        """The event, or the reason the record cannot be read or must not be trusted."""
        try:
            envelope = EventEnvelope.from_kafka(record.headers, record.value)
        except MalformedEvent as exc:
            return _Refused(str(exc), None)
        try:
            event = self._registry.decode(envelope)
        except MalformedEvent as exc:
            return _Refused(str(exc), envelope.time)
        # Text PostgreSQL would refuse fails the handler on every retry: refuse it at once.
        refusal = (
            first_unstorable(envelope.data, "data")
            or first_unstorable(envelope.attributes(), "header")
            or brand_mismatch(event, envelope)
            or foreign_to_ingestion_topic(record.topic, envelope, self._topic_prefix)
        )
        return _Refused(refusal, envelope.time) if refusal else (event, envelope)

    def _handler(self, topic: str, event: DomainEvent) -> Handler | None:
        handlers = self._handlers.get(topic)
        if handlers is None and ingestion_brand(topic, self._topic_prefix) is not None:
            handlers = self._handlers.get(self._topic_prefix + INGESTION_TOPICS)
        return (handlers or {}).get(type(event))

    def _span(self, record: IncomingRecord, envelope: EventEnvelope) -> Any:
        return continued_span(
            f"{record.topic} process",
            traceparent=_header(record, "traceparent") or envelope.traceparent,
            tracestate=envelope.tracestate,
            correlation_id=envelope.correlationid,
            kind=SpanKind.CONSUMER,
            attributes={
                "messaging.system": "kafka",
                "messaging.destination.name": record.topic,
                "messaging.message.id": envelope.id,
                "messaging.consumer.group.name": self.service,
                "cloudevents.event_type": envelope.type,
            },
        )

    async def process(self, record: IncomingRecord) -> str:
        """Handle one record in a transaction of its own."""
        decoded = self._decode(record)
        if isinstance(decoded, _Refused):
            await self.dead_letter(record, decoded.reason)
            await self._track_alone(latest_event_times([(record, decoded.time)]))
            return Outcome.DEAD_LETTERED
        event, envelope = decoded
        handler = self._handler(record.topic, event)
        if handler is None:
            await self._track_alone(latest_event_times([(record, envelope.time)]))
            return Outcome.IGNORED
        with self._span(record, envelope):
            outcome = await self._apply_with_retries(record, event, envelope, handler)
        if outcome == Outcome.DEAD_LETTERED:  # its transaction was rolled back
            await self._track_alone(latest_event_times([(record, envelope.time)]))
        return outcome

    async def process_batch(self, records: Sequence[IncomingRecord]) -> list[str]:
        """Handle one partition's records in order, in a single transaction.

        The inbox rows of the whole batch are written with one statement. Any failure,
        a rejected event included, rolls the batch back and hands its records one by one to
        :meth:`process`, which retries and dead-letters them individually; failures are rare,
        so the common case pays one commit per batch instead of one per record.
        """
        outcomes: dict[int, str] = {}
        work: list[tuple[int, IncomingRecord, DomainEvent, EventEnvelope, Handler]] = []
        consumed: list[tuple[IncomingRecord, datetime | None]] = []
        for index, record in enumerate(records):
            decoded = self._decode(record)
            if isinstance(decoded, _Refused):
                await self.dead_letter(record, decoded.reason)
                outcomes[index] = Outcome.DEAD_LETTERED
                consumed.append((record, decoded.time))
                continue
            event, envelope = decoded
            consumed.append((record, envelope.time))
            handler = self._handler(record.topic, event)
            if handler is None:
                outcomes[index] = Outcome.IGNORED
            else:
                work.append((index, record, event, envelope, handler))
        marks = latest_event_times(consumed)
        if not work:
            await self._track_alone(marks)
        else:
            try:
                outcomes.update(await self._apply_batch(work, marks))
            except Exception as exc:
                log.warning("batch of %d failed (%s); handling one by one", len(work), exc)
                for index, record, *_ in work:
                    outcomes[index] = await self.process(record)
                # Each record raised its own time; the refused and ignored ones still count.
                await self._track_alone(marks)
        return [outcomes[i] for i in range(len(records))]

    async def _apply_batch(
        self,
        work: list[tuple[int, IncomingRecord, DomainEvent, EventEnvelope, Handler]],
        marks: dict[Partition, datetime],
    ) -> dict[int, str]:
        outcomes: dict[int, str] = {}
        async with self._unit_of_work() as uow:
            await self._track(uow.connection, marks)
            rows = await uow.connection.fetch(
                """
                INSERT INTO processed_events (consumer, event_id)
                SELECT $1, unnest($2::text[])
                ON CONFLICT DO NOTHING RETURNING event_id
                """,
                self.service,
                [envelope.id for _, _, _, envelope, _ in work],
            )
            first_seen = {row["event_id"] for row in rows}
            for index, record, event, envelope, handler in work:
                if envelope.id not in first_seen:
                    outcomes[index] = Outcome.DUPLICATE
                    continue
                first_seen.discard(envelope.id)  # the same event twice in one batch
                with self._span(record, envelope):
                    await handler(event, envelope, uow)
                outcomes[index] = Outcome.APPLIED
            await self._finished(uow)
        return outcomes

    async def _apply_with_retries(
        self, record: IncomingRecord, event: DomainEvent, envelope: EventEnvelope, handler: Handler
    ) -> str:
        failures = 0
        delay = self._backoff
        while True:
            try:
                return await self._apply(record, event, envelope, handler)
            except RejectEvent as exc:
                await self.dead_letter(record, f"rejected by {self.service}: {exc}")
                return Outcome.DEAD_LETTERED
            except TRANSIENT_ERRORS as exc:
                log.warning("transient failure on %s, retrying: %s", envelope.id, exc)
            except Exception as exc:
                failures += 1
                log.exception("handler failed on %s (attempt %d)", envelope.id, failures)
                if failures >= self._max_attempts:
                    reason = f"handler failed {failures} times: {type(exc).__name__}: {exc}"
                    await self.dead_letter(record, reason)
                    return Outcome.DEAD_LETTERED
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)

    def _unit_of_work(self) -> UnitOfWork:
        if self._new_unit_of_work is not None:
            return self._new_unit_of_work()
        return UnitOfWork(self._pool, source=f"/rapport/{self.service}", clock=self._clock)

    async def _apply(
        self, record: IncomingRecord, event: DomainEvent, envelope: EventEnvelope, handler: Handler
    ) -> str:
        async with self._unit_of_work() as uow:
            await self._track(uow.connection, latest_event_times([(record, envelope.time)]))
            return await self._handle_once(uow, event, envelope, handler)

    async def _track(self, connection: Connection, marks: dict[Partition, datetime]) -> None:
        """Raise the watermarks of ``marks`` in the caller's transaction, if tracking is on."""
        if self.tracks_watermarks and marks:
            await PostgresWatermarks(connection).raise_to(self.service, marks)

    async def _track_alone(self, marks: dict[Partition, datetime]) -> None:
        """Raise them in a transaction of their own, for records no handler's transaction
        committed (ignored or dead-lettered)."""
        if self.tracks_watermarks and marks:
            async with self._unit_of_work() as uow:
                await self._track(uow.connection, marks)

    async def register_partitions(self, partitions: Sequence[Partition]) -> None:
        """Give newly assigned partitions a watermark that holds time back until read."""
        if self.tracks_watermarks and partitions:
            async with self._pool.acquire() as connection:
                await PostgresWatermarks(connection).register(self.service, partitions)

    async def follow_clock(self, partitions: Sequence[Partition], to: datetime) -> None:
        """Raise caught-up partitions to ``to`` (the clock minus the grace)."""
        if self.tracks_watermarks and partitions:
            async with self._pool.acquire() as connection:
                await PostgresWatermarks(connection).raise_to(
                    self.service, dict.fromkeys(partitions, to)
                )

    async def _handle_once(
        self, uow: UnitOfWork, event: DomainEvent, envelope: EventEnvelope, handler: Handler
    ) -> str:
        first_time = await uow.connection.fetchval(
            """
            INSERT INTO processed_events (consumer, event_id) VALUES ($1, $2)
            ON CONFLICT DO NOTHING RETURNING true
            """,
            self.service,
            envelope.id,
        )
        if not first_time:
            return Outcome.DUPLICATE
        await handler(event, envelope, uow)
        await self._finished(uow)
        return Outcome.APPLIED

    async def _finished(self, uow: UnitOfWork) -> None:
        """Let the service finish the transaction's work in bulk, after its handlers.

        A service whose handlers only collect (journey places a whole batch's members with a
        few statements) does the work here; a refusal raised here fails the batch, which is
        then handled record by record like any other failure.
        """
        if self._finish is not None:
            await self._finish(uow)

    async def dead_letter(self, record: IncomingRecord, reason: str) -> None:
        log.warning(
            "dead-lettering %s[%d]@%d: %s", record.topic, record.partition, record.offset, reason
        )
        headers = [
            *record.headers,
            ("dlq_reason", reason.encode()),
            ("dlq_consumer", self.service.encode()),
            ("dlq_source_topic", record.topic.encode()),
            ("dlq_source_partition", str(record.partition).encode()),
            ("dlq_source_offset", str(record.offset).encode()),
            ("dlq_at", self._clock.now().isoformat().encode()),
        ]
        await self._dead_letters.publish(
            [
                OutgoingRecord(
                    topic=self._dead_letter_topic,
                    key=record.key or b"",
                    value=record.value or b"",
                    headers=headers,
                )
            ]
        )


def brand_mismatch(event: DomainEvent, envelope: EventEnvelope) -> str | None:
    """Why an event whose envelope and data name different brands is refused, if they do.

    Tenancy is decided on the data (``brand_id``) by handlers and on the header
    (``ce_brandid``) by routing and audit; an event where they disagree could be applied to
    one brand while looking like another's, so no consumer applies it.
    """
    data_brand = getattr(event, "brand_id", None)
    if data_brand is None or data_brand == envelope.brandid:
        return None
    return (
        f"the envelope's brandid {envelope.brandid!r} differs from the data's brand_id "
        f"{data_brand!r}"
    )


def _header(record: IncomingRecord, name: str) -> str | None:
    for key, value in record.headers:
        if key == name:
            return value.decode(errors="replace")
    return None


NEW_TOPIC_DISCOVERY_MS = 10_000
"""How soon a consumer subscribed by pattern notices a new topic (a new brand's ingestion
topic); the metadata request this repeats is cheap."""


class EventConsumer:
    """Runs a :class:`RecordProcessor` on a Kafka consumer group with manual commits.

    When the processor tracks watermarks, each fetch round ends by moving the partitions it
    found caught up to the clock's time at the start of the round minus ``watermark_grace``.
    """

    def __init__(
        self,
        processor: RecordProcessor,
        *,
        connection: KafkaConnection,
        group_id: str | None = None,
        watermark_grace: timedelta = WATERMARK_GRACE,
        max_poll_records: int = MAX_POLL_RECORDS,
    ) -> None:
        self.processor = processor
        self._connection = connection
        self._group_id = group_id or processor.service
        self._watermark_grace = watermark_grace
        self._max_poll_records = max_poll_records
        self._lock = asyncio.Lock()
        self._consumer: Any = None
        self._registered: set[Partition] = set()
        self.started = asyncio.Event()

    async def run(self) -> None:
        from aiokafka import AIOKafkaConsumer

        consumer = AIOKafkaConsumer(
            **self._connection.client_options(),
            group_id=self._group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=self._max_poll_records,
            metadata_max_age_ms=NEW_TOPIC_DISCOVERY_MS,
        )
        self._consumer = consumer
        self._subscribe(consumer)
        await consumer.start()
        self.started.set()
        try:
            while True:
                round_started = self._fetch_round_start(consumer)
                batches = await consumer.getmany(timeout_ms=500)
                async with self._lock:
                    await self._round(consumer, batches, *round_started)
        finally:
            await consumer.stop()

    async def _round(
        self,
        consumer: Any,
        batches: Mapping[Any, Sequence[Any]],
        started_at: datetime,
        polled_before: dict[Any, int | None],
    ) -> None:
        """Everything after a fetch: apply and commit what came, then move the watermarks of
        caught-up partitions (only once every assigned partition has a row)."""
        registered = await self._register_assigned(consumer)
        if batches:
            # Partitions are independent streams: work on them side by side, keep each
            # one's records in order, commit once the whole batch is applied.
            await asyncio.gather(
                *(self._process_partition(records) for records in batches.values())
            )
            await consumer.commit({tp: records[-1].offset + 1 for tp, records in batches.items()})
        if registered:
            await self._follow_clock(consumer, started_at, polled_before)

    def _fetch_round_start(self, consumer: Any) -> tuple[datetime, dict[Any, int | None]]:
        """The clock's time and each partition's last fetch-response time, before fetching."""
        if not self.processor.tracks_watermarks:
            return self.processor.clock.now(), {}
        polled = {tp: consumer.last_poll_timestamp(tp) for tp in consumer.assignment()}
        return self.processor.clock.now(), polled

    async def _register_assigned(self, consumer: Any) -> bool:
        """Rows for partitions this consumer has not registered yet (the rebalance listener
        registers them on assignment; this catches any it could not); whether all have one.

        Until every assigned partition has a row, no partition follows the clock: the one
        without a row would not hold the watermark back.
        """
        if not self.processor.tracks_watermarks:
            return False
        try:
            await self._register(consumer.assignment())
        except TRANSIENT_ERRORS as exc:
            log.warning("cannot register watermarks of assigned partitions: %s", exc)
            return False
        return True

    async def _register(self, assigned: Any) -> None:
        new = sorted({(tp.topic, tp.partition) for tp in assigned} - self._registered)
        if new:
            await self.processor.register_partitions(new)
            self._registered.update(new)

    async def _follow_clock(
        self, consumer: Any, started_at: datetime, polled_before: dict[Any, int | None]
    ) -> None:
        if not self.processor.tracks_watermarks:
            return
        caught_up = [
            (tp.topic, tp.partition)
            for tp in sorted(consumer.assignment())
            if await _caught_up(consumer, tp, polled_before.get(tp))
        ]
        try:
            await self.processor.follow_clock(caught_up, started_at - self._watermark_grace)
        except TRANSIENT_ERRORS as exc:
            # Safe to skip: a watermark left behind only delays timers until the next round.
            log.warning("cannot move caught-up watermarks: %s", exc)

    def _subscribe(self, consumer: Any) -> None:
        """By name, or by pattern when the service reads every brand's ingestion topic."""
        listener = _Rebalance(self._lock, self._on_assigned)
        pattern = subscription_pattern(self.processor.topics)
        if pattern is None:
            consumer.subscribe(self.processor.topics, listener=listener)
        else:
            consumer.subscribe(pattern=pattern, listener=listener)

    async def _on_assigned(self, assigned: Any) -> None:
        if self.processor.tracks_watermarks:
            try:
                await self._register(assigned)
            except TRANSIENT_ERRORS as exc:  # the next fetch round registers them
                log.warning("cannot register watermarks of %s: %s", assigned, exc)

    async def _process_partition(self, records: Sequence[Any]) -> None:
        await self.processor.process_batch(records)


async def _caught_up(consumer: Any, tp: Any, polled_before: int | None) -> bool:
    """Whether a fetch response received during this round showed nothing beyond the
    position. An older response's highwater may predate records written since: a partition
    whose records wait in the fetch buffer is not fetched, so its highwater goes stale."""
    from aiokafka.errors import IllegalStateError

    polled = consumer.last_poll_timestamp(tp)
    highwater: int | None = consumer.highwater(tp)
    if polled is None or highwater is None or polled == polled_before:
        return False
    try:
        position: int = await consumer.position(tp)
    except IllegalStateError:  # no longer assigned
        return False
    return position >= highwater


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    """Lets the in-flight batch finish (and commit) before partitions move elsewhere, and
    tells the consumer which partitions it was given."""

    def __init__(self, lock: asyncio.Lock, assigned: Callable[[Any], Awaitable[None]]) -> None:
        self._lock = lock
        self._assigned = assigned

    async def on_partitions_revoked(self, revoked: Any) -> None:
        async with self._lock:
            return None

    async def on_partitions_assigned(self, assigned: Any) -> None:
        await self._assigned(assigned)
