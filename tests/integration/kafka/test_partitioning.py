"""One member's records share a partition whichever client wrote them, as the catalogue
promises, when a librdkafka client uses the partitioner the catalogue tells it to."""

from __future__ import annotations

import asyncio
from collections import defaultdict

from rapport_events.ingestion import IngestionAccess
from rapport_events.kafka_security import KafkaConnection
from rapport_events.publisher import OutgoingRecord

from tests.support.kafka import publishing, read_topic
from tests.support.librdkafka import Record, produce

MEMBERS = [f"mbr_{n:032x}" for n in range(12)]


async def publish_as_the_platform(platform: KafkaConnection, topic: str) -> None:
    async with publishing(platform) as publisher:
        await publisher.publish([OutgoingRecord(topic, m.encode(), b"{}") for m in MEMBERS])


async def partitions_by_member(platform: KafkaConnection, topic: str) -> dict[str, set[int]]:
    """Where each member's records are, both producers' together."""
    records = await read_topic(platform, topic, expected=len(MEMBERS) * 2)
    found: dict[str, set[int]] = defaultdict(set)
    for record in records:
        found[bytes(record.key).decode()].add(record.partition)
    return found


async def librdkafka_then_platform(
    config: dict[str, str], access: IngestionAccess, platform: KafkaConnection
) -> dict[str, set[int]]:
    records: list[Record] = [(m.encode(), b"{}", []) for m in MEMBERS]
    await asyncio.to_thread(produce, config, access.topic, records)
    await publish_as_the_platform(platform, access.topic)
    return await partitions_by_member(platform, access.topic)


async def test_with_murmur2_random_librdkafka_puts_each_member_where_the_platform_does(
    platform: KafkaConnection, brand_a: IngestionAccess
) -> None:
    config = brand_a.librdkafka_config()
    assert config["partitioner"] == "murmur2_random"

    partitions = await librdkafka_then_platform(config, brand_a, platform)

    assert set(partitions) == set(MEMBERS)
    assert {m: len(p) for m, p in partitions.items()} == {m: 1 for m in MEMBERS}


async def test_with_its_default_partitioner_librdkafka_splits_members(
    platform: KafkaConnection, brand_a: IngestionAccess
) -> None:
    """Why the setting is documented: CRC32 and murmur2 disagree on most keys."""
    config = {k: v for k, v in brand_a.librdkafka_config().items() if k != "partitioner"}

    partitions = await librdkafka_then_platform(config, brand_a, platform)

    assert any(len(p) > 1 for p in partitions.values())
