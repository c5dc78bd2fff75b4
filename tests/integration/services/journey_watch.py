"""What the journey tests of issue 7 publish and read back: members, visits, and journey's
own tables (inbox, outbox, timers, watermarks) as the assertions need them."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer
from rapport_events.contracts.identity import MemberRegistered
from rapport_events.contracts.journey import TouchpointRequested
from rapport_events.contracts.service_orders import VisitCompleted
from rapport_events.envelope import DomainEvent, EventEnvelope
from rapport_events.kafka_security import KafkaConnection

BRAND = "brd_1"
CONSUMER = "journey"
"""Journey's name in ``processed_events`` and ``consumer_watermarks``."""


def registration(member_id: str, at: datetime) -> tuple[DomainEvent, EventEnvelope]:
    event = MemberRegistered(
        member_id=member_id,
        brand_id=BRAND,
        store_id="sto_1",
        surname="梁",
        gender="female",
        registered_at=at,
    )
    return event, EventEnvelope.wrap(event, source="/test/identity", brand_id=BRAND, time=at)


def visit(member_id: str, at: datetime, number: int = 0) -> tuple[DomainEvent, EventEnvelope]:
    """A facial (no refill reminder) completed at ``at``; the envelope's time is ``at`` too."""
    event = VisitCompleted(
        visit_id=f"vst_{member_id}_{number}",
        member_id=member_id,
        brand_id=BRAND,
        store_id="sto_1",
        service_code="facial",
        amount=Decimal("168.00"),
        completed_at=at,
    )
    return event, EventEnvelope.wrap(event, source="/test/service-orders", brand_id=BRAND, time=at)


async def unprocessed(pool: asyncpg.Pool, event_ids: Iterable[str]) -> set[str]:
    """Those of ``event_ids`` journey has not consumed (not in its inbox)."""
    wanted = set(event_ids)
    rows = await pool.fetch(
        "SELECT event_id FROM processed_events WHERE consumer = $1 AND event_id = ANY($2::text[])",
        CONSUMER,
        sorted(wanted),
    )
    return wanted - {row["event_id"] for row in rows}


async def all_processed(pool: asyncpg.Pool, event_ids: Iterable[str]) -> bool:
    return not await unprocessed(pool, event_ids)


async def timers_settled(pool: asyncpg.Pool, now: datetime, watermark_at_least: datetime) -> bool:
    """Whether the watermark reached ``watermark_at_least`` and no timer due by the clock
    (``now``) and by the watermark waits unfired: the timer worker has done all it may."""
    row = await pool.fetchrow(
        """
        SELECT w.mark, (
            SELECT count(*) FROM timers
            WHERE fired_at IS NULL AND cancelled_at IS NULL AND due_at <= least($1, w.mark)
        ) AS waiting
        FROM (SELECT min(watermark) AS mark FROM consumer_watermarks WHERE consumer = $2) AS w
        """,
        now,
        CONSUMER,
    )
    assert row is not None
    mark = row["mark"]
    return (
        mark is not None
        and mark.tzinfo is not None
        and mark >= watermark_at_least
        and row["waiting"] == 0
    )


async def requested(pool: asyncpg.Pool, member_id: str | None = None) -> list[dict[str, str]]:
    """Every ``TouchpointRequested`` journey queued in its outbox (the data of each)."""
    rows = await pool.fetch(
        """
        SELECT envelope -> 'data' AS data FROM outbox
        WHERE envelope ->> 'type' = $1
          AND ($2::text IS NULL OR envelope -> 'data' ->> 'member_id' = $2)
        ORDER BY position
        """,
        TouchpointRequested.event_type,
        member_id,
    )
    return [dict(row["data"]) for row in rows]


def templates(requests: Iterable[dict[str, str]]) -> list[str]:
    return [request["template"] for request in requests]


def requested_twice(requests: Iterable[dict[str, str]]) -> dict[str, int]:
    """Touchpoint ids asked for more than once, with how often."""
    counts = Counter(request["touchpoint_id"] for request in requests)
    return {touchpoint: n for touchpoint, n in counts.items() if n > 1}


async def stage_moves(pool: asyncpg.Pool, member_id: str) -> list[tuple[str | None, str]]:
    rows = await pool.fetch(
        "SELECT from_stage, to_stage FROM stage_history WHERE member_id = $1 ORDER BY id",
        member_id,
    )
    return [(row["from_stage"], row["to_stage"]) for row in rows]


async def stage(pool: asyncpg.Pool, member_id: str) -> str | None:
    value: str | None = await pool.fetchval(
        "SELECT stage FROM journeys WHERE member_id = $1", member_id
    )
    return value


async def touchpoints_on_topic(
    kafka: KafkaConnection, topic: str, expected: Iterable[str], *, timeout: float = 30.0
) -> dict[str, set[str]]:
    """Touchpoint id to the ids of the envelopes that asked for it on ``topic``, read from the
    beginning until every ``expected`` touchpoint is there and then to the end of the topic.
    A relay that published and was stopped before saving its checkpoint publishes the same
    envelope again (at least once); a second *envelope* for one touchpoint is a second ask."""
    wanted = set(expected)
    consumer = AIOKafkaConsumer(
        topic,
        **kafka.client_options(),
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    seen: dict[str, set[str]] = {}
    deadline = time.monotonic() + timeout
    try:
        while not wanted <= seen.keys():
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{topic}: {len(wanted - seen.keys())} of {len(wanted)} touchpoints"
                    f" not published within {timeout:.0f}s"
                )
            _collect(await consumer.getmany(timeout_ms=200), seen)
        ends = await consumer.end_offsets(list(consumer.assignment()))
        while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
            _collect(await consumer.getmany(timeout_ms=200), seen)
    finally:
        await consumer.stop()
    return seen


def _collect(batches: Mapping[Any, Sequence[Any]], seen: dict[str, set[str]]) -> None:
    for records in batches.values():
        for record in records:
            envelope = EventEnvelope.from_kafka(record.headers, record.value)
            seen.setdefault(envelope.data["touchpoint_id"], set()).add(envelope.id)
