"""Reading what landed on a topic, for assertions; running a consumer for a test."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiokafka import AIOKafkaConsumer
from rapport_events.consumer import EventConsumer
from rapport_events.kafka_security import KafkaConnection
from rapport_events.publisher import KafkaPublisher


async def read_topic(
    kafka: KafkaConnection, topic: str, *, expected: int, timeout: float = 20.0
) -> list[Any]:
    """All records of ``topic`` from the beginning, once at least ``expected`` are there."""
    consumer = AIOKafkaConsumer(
        topic,
        **kafka.client_options(),
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    records: list[Any] = []
    deadline = time.monotonic() + timeout
    try:
        while len(records) < expected and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=200)
            for batch in batches.values():
                records.extend(batch)
    finally:
        await consumer.stop()
    if len(records) < expected:
        raise AssertionError(
            f"{topic}: expected at least {expected} records within {timeout:.0f}s, "
            f"found {len(records)}"
        )
    return records


def header(record: Any, name: str) -> str | None:
    for key, value in record.headers:
        if key == name:
            return bytes(value).decode()
    return None


@asynccontextmanager
async def consuming(consumer: EventConsumer) -> AsyncIterator[EventConsumer]:
    """The consumer runs in the background until the block ends."""
    task = asyncio.create_task(consumer.run())
    try:
        yield consumer
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


@asynccontextmanager
async def publishing(kafka: KafkaConnection) -> AsyncIterator[KafkaPublisher]:
    """The platform's producer, logged in as ``kafka`` says, started for the block."""
    publisher = KafkaPublisher(kafka)
    await publisher.start()
    try:
        yield publisher
    finally:
        await publisher.stop()
