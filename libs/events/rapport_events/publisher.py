"""Putting envelopes on Kafka: an idempotent producer, and an in-memory double."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

from rapport_events.envelope import EventEnvelope
from rapport_events.kafka_security import KafkaConnection

Headers = list[tuple[str, bytes]]


@dataclass(frozen=True)
class OutgoingRecord:
    topic: str
    key: bytes
    value: bytes
    headers: Headers = field(default_factory=list)

    @classmethod
    def of(
        cls, topic: str, envelope: EventEnvelope, extra_headers: Headers | None = None
    ) -> OutgoingRecord:
        return cls(
            topic=topic,
            key=envelope.kafka_key(),
            value=envelope.kafka_value(),
            headers=[*envelope.kafka_headers(), *(extra_headers or [])],
        )


class Publisher:
    """Sends records and returns only when the broker acknowledged every one of them."""

    async def publish(self, records: Sequence[OutgoingRecord]) -> None:
        raise NotImplementedError


class KafkaPublisher(Publisher):
    """aiokafka producer with idempotence (acks=all), keyed records, ordered per partition."""

    def __init__(self, connection: KafkaConnection, *, client_id: str = "rapport") -> None:
        from aiokafka import AIOKafkaProducer

        # aiokafka's default partitioner hashes the key with murmur2, as Java clients do (and
        # librdkafka clients set to murmur2_random): one member's records share a partition.
        self._producer = AIOKafkaProducer(
            **connection.client_options(),
            client_id=client_id,
            enable_idempotence=True,
            linger_ms=5,
            request_timeout_ms=15000,
        )

    async def start(self) -> None:
        await self._producer.start()

    async def stop(self) -> None:
        await self._producer.stop()

    async def ping(self) -> None:
        """Raises unless the cluster answers a metadata request."""
        await self._producer.client.fetch_all_metadata()

    async def publish(self, records: Sequence[OutgoingRecord]) -> None:
        acknowledgements = [
            await self._producer.send(
                record.topic, value=record.value, key=record.key, headers=list(record.headers)
            )
            for record in records
        ]
        await asyncio.gather(*acknowledgements)


class InMemoryPublisher(Publisher):
    """Keeps what was published, in order; ``fail_next`` simulates a broker outage."""

    def __init__(self) -> None:
        self.records: list[OutgoingRecord] = []
        self.fail_next = 0

    async def publish(self, records: Sequence[OutgoingRecord]) -> None:
        if self.fail_next:
            self.fail_next -= 1
            raise ConnectionError("broker unavailable (simulated)")
        self.records.extend(records)

    def on(self, topic: str) -> list[OutgoingRecord]:
        return [record for record in self.records if record.topic == topic]
