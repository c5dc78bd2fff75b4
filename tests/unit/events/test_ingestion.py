"""Ingestion topics: their names, who may write them, and whose events they may carry."""

from __future__ import annotations

import re

import pytest
from rapport_events.envelope import EventEnvelope
from rapport_events.ingestion import (
    IngestionAccess,
    foreign_to_ingestion_topic,
    ingestion_grant,
    provision_ingestion,
)
from rapport_events.kafka_admin import AclOperation
from rapport_events.kafka_security import KafkaConnection
from rapport_events.topics import (
    LOYALTY_POINTS,
    ingestion_brand,
    ingestion_topic,
    subscription_pattern,
)

from tests.support.events import AT, points_earned


def envelope(brand: str) -> EventEnvelope:
    event = points_earned("mbr_1", 1).model_copy(update={"brand_id": brand})
    return EventEnvelope.wrap(event, source="/pos", brand_id=brand, time=AT)


def test_each_brand_has_its_own_ingestion_topic() -> None:
    assert ingestion_topic("brd_a1") == "rapport.ingest.brd_a1"
    assert ingestion_brand("rapport.ingest.brd_a1") == "brd_a1"
    assert ingestion_brand("t1.rapport.ingest.brd_a1", prefix="t1.") == "brd_a1"


@pytest.mark.parametrize("topic", [LOYALTY_POINTS, "rapport.ingest.", "rapport.ingest.a.b"])
def test_other_topics_belong_to_no_brand(topic: str) -> None:
    assert ingestion_brand(topic) is None


@pytest.mark.parametrize("brand", ["", "brd.a", "brd/a", "brd a", "brd_\u00e9"])
def test_a_brand_id_that_cannot_name_a_topic_is_refused(brand: str) -> None:
    with pytest.raises(ValueError, match="cannot name a topic"):
        ingestion_topic(brand)


def test_subscribing_to_the_ingestion_topics_means_every_brands_under_the_prefix() -> None:
    pattern = subscription_pattern(["t1.rapport.loyalty.points", "t1.rapport.ingest.*"])

    assert pattern is not None
    matches = {
        topic
        for topic in [
            "t1.rapport.loyalty.points",
            "t1.rapport.ingest.brd_a",
            "t1.rapport.ingest.brd_b",
            "t1.rapport.ingest.brd_a.x",
            "t2.rapport.ingest.brd_a",
            "t1.rapport.loyalty.points.x",
        ]
        if re.match(pattern, topic)
    }
    assert matches == {
        "t1.rapport.loyalty.points",
        "t1.rapport.ingest.brd_a",
        "t1.rapport.ingest.brd_b",
    }


def test_a_list_of_named_topics_needs_no_pattern() -> None:
    assert subscription_pattern([LOYALTY_POINTS]) is None


def test_an_ingested_event_must_name_the_topics_brand() -> None:
    topic = "t1." + ingestion_topic("brd_a")
    assert foreign_to_ingestion_topic(topic, envelope("brd_a"), "t1.") is None
    assert foreign_to_ingestion_topic(topic, envelope("brd_b"), "t1.") == (
        "the ingestion topic 't1.rapport.ingest.brd_a' is brand 'brd_a''s; "
        "the event names brand 'brd_b'"
    )
    assert foreign_to_ingestion_topic("t1." + LOYALTY_POINTS, envelope("brd_b"), "t1.") is None


def test_an_integration_is_granted_write_and_describe_on_its_topic_only() -> None:
    grant = ingestion_grant("brd_a", topic_prefix="t1.")
    assert grant.principal == "User:ingest-brd_a"
    assert grant.topic == "t1.rapport.ingest.brd_a"
    assert grant.operations == (AclOperation.WRITE, AclOperation.DESCRIBE)


def test_a_librdkafka_integration_is_told_to_partition_like_java() -> None:
    connection = KafkaConnection(
        "kafka:9093", "SASL_SSL", "SCRAM-SHA-512", "ingest-brd_a", "s3cret"
    )
    access = IngestionAccess("brd_a", "rapport.ingest.brd_a", connection)
    assert access.librdkafka_config() == {
        "bootstrap.servers": "kafka:9093",
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.username": "ingest-brd_a",
        "sasl.password": "s3cret",
        "partitioner": "murmur2_random",
    }
    assert "s3cret" not in repr(access)


async def test_ingestion_users_need_a_kafka_with_sasl() -> None:
    with pytest.raises(ValueError, match="need a Kafka with SASL"):
        await provision_ingestion(KafkaConnection("kafka:9092"), "brd_a", partitions=3)
