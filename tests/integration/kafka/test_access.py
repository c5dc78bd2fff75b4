"""Kafka itself decides who may write where: logins are checked, every grant is an ACL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    TopicAuthorizationFailedError,
)
from rapport_events.ingestion import IngestionAccess, provision_ingestion
from rapport_events.kafka_security import KafkaConnection
from rapport_events.topics import SERVICE_ORDERS

from tests.support.kafka import read_topic
from tests.support.polling import eventually

FAIL_FAST = {"request_timeout_ms": 5000}


@asynccontextmanager
async def producer(connection: KafkaConnection) -> AsyncIterator[AIOKafkaProducer]:
    client = AIOKafkaProducer(**connection.client_options(), **FAIL_FAST)
    try:
        await client.start()
        yield client
    finally:
        await client.stop()


async def read_one(connection: KafkaConnection, topic: str, group: str | None = None) -> None:
    consumer = AIOKafkaConsumer(
        **connection.client_options(), **FAIL_FAST, group_id=group, auto_offset_reset="earliest"
    )
    try:
        await consumer.start()
        if group is None:
            consumer.assign([TopicPartition(topic, 0)])
        else:
            consumer.subscribe([topic])
        await consumer.getmany(timeout_ms=2000)
    finally:
        await consumer.stop()


async def test_a_client_without_a_login_can_neither_write_nor_read(
    platform: KafkaConnection, topic_prefix: str
) -> None:
    anonymous = KafkaConnection(platform.bootstrap_servers)
    with pytest.raises(KafkaConnectionError):
        async with producer(anonymous):
            pass
    with pytest.raises(KafkaConnectionError):
        await read_one(anonymous, topic_prefix + SERVICE_ORDERS)


async def refused_after_rotation(
    connection: KafkaConnection, caplog: pytest.LogCaptureFixture
) -> str:
    """Why the broker refuses a rotated-out login, once it does: a new SCRAM credential
    reaches the broker through the cluster's metadata log, a moment after it was accepted."""

    async def reason() -> str | None:
        try:
            return await refused_login(connection, caplog)
        except pytest.fail.Exception:  # still let in: the rotation has not arrived yet
            return None

    return await eventually(reason, timeout=15, interval=0.2, what="the old login refused")


async def refused_login(connection: KafkaConnection, caplog: pytest.LogCaptureFixture) -> str:
    """Why the broker did not let the client in; aiokafka only logs the reason it gives up."""
    caplog.clear()
    with pytest.raises(KafkaConnectionError):
        async with producer(connection):
            pass
    return caplog.text


@pytest.mark.parametrize("who", ["wrong password", "unknown user"])
async def test_a_wrong_login_is_refused(
    platform: KafkaConnection, who: str, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = (
        platform.as_user(platform.username, "not-the-password")
        if who == "wrong password"
        else platform.as_user("nobody", platform.password)
    )
    assert "SaslAuthenticationFailed" in await refused_login(wrong, caplog)


async def test_an_integration_writes_to_its_brands_ingestion_topic(
    platform: KafkaConnection, brand_a: IngestionAccess
) -> None:
    async with producer(brand_a.connection) as client:
        await client.send_and_wait(brand_a.topic, b"{}", key=b"mbr_1")

    [record] = await read_topic(platform, brand_a.topic, expected=1)
    assert (record.key, record.value) == (b"mbr_1", b"{}")


async def test_an_integration_may_write_nowhere_else(
    brand_a: IngestionAccess, brand_b: IngestionAccess, topic_prefix: str
) -> None:
    async with producer(brand_a.connection) as client:
        for elsewhere in (brand_b.topic, topic_prefix + SERVICE_ORDERS):
            with pytest.raises(TopicAuthorizationFailedError):
                await client.send_and_wait(elsewhere, b"{}", key=b"mbr_1")


async def test_an_integration_cannot_read_even_its_own_topic(brand_a: IngestionAccess) -> None:
    with pytest.raises(TopicAuthorizationFailedError):
        await read_one(brand_a.connection, brand_a.topic)
    with pytest.raises(GroupAuthorizationFailedError):
        await read_one(brand_a.connection, brand_a.topic, group="ingest-reader")


async def test_provisioning_again_rotates_the_password(
    platform: KafkaConnection,
    brand_a: IngestionAccess,
    topic_prefix: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    rotated = await provision_ingestion(
        platform, brand_a.brand_id, partitions=6, topic_prefix=topic_prefix
    )

    assert "SaslAuthenticationFailed" in await refused_after_rotation(brand_a.connection, caplog)
    async with producer(rotated.connection) as client:
        await client.send_and_wait(rotated.topic, b"{}", key=b"mbr_1")


async def test_the_platform_user_writes_reads_and_commits_anywhere(
    platform: KafkaConnection, brand_a: IngestionAccess, topic_prefix: str
) -> None:
    for topic in (topic_prefix + SERVICE_ORDERS, brand_a.topic):
        async with producer(platform) as client:
            await client.send_and_wait(topic, b"{}", key=b"mbr_1")
        consumer = AIOKafkaConsumer(
            topic,
            **platform.client_options(),
            group_id=topic_prefix + "everything",
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await consumer.start()
        try:
            batches = await consumer.getmany(timeout_ms=10000)
            await consumer.commit()
        finally:
            await consumer.stop()
        assert [r.key for records in batches.values() for r in records] == [b"mbr_1"]
