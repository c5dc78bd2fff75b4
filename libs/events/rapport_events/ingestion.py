"""Ingestion: how outside systems of a brand publish events into Rapport, and who may.

Each brand has one ingestion topic (``rapport.ingest.<brand id>``) and each integration a
SCRAM user (``ingest-<brand id>``) that Kafka itself allows to write to that topic and to
nothing else: no other brand's topic, no platform topic, no consumer group. What a consumer
reads from an ingestion topic is trusted only for the topic's brand (see
:func:`foreign_to_ingestion_topic`).

Production runs the same grants through its cluster's own tooling (for Strimzi a
``KafkaUser`` with ``authentication: scram-sha-512`` and the two ACLs of
:func:`ingestion_grant`); :func:`provision_ingestion` is the direct way, used by the local
stack (``stack.py ingest-user BRAND_ID``) and the tests.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from rapport_events.contracts.service_orders import (
    AppointmentBooked,
    PurchaseRecorded,
    VisitCompleted,
)
from rapport_events.envelope import DomainEvent, EventEnvelope
from rapport_events.kafka_admin import (
    AclOperation,
    TopicGrant,
    grant_on_topic,
    upsert_scram_credential,
)
from rapport_events.kafka_security import KafkaConnection
from rapport_events.topics import ensure_topics, ingestion_brand, ingestion_topic

INGESTION_USER_PREFIX = "ingest-"

LIBRDKAFKA_PARTITIONER = "murmur2_random"
"""librdkafka's default partitioner hashes keys with CRC32, Java's (and the platform's) with
murmur2; without this setting one member's records would land on different partitions and
lose their order."""


@dataclass(frozen=True)
class IngestedEvent:
    """An event type outside systems may publish, who sends it and which service reads it."""

    contract: type[DomainEvent]
    senders: str
    consumer: str
    effect: str


INGESTED_EVENTS = (
    IngestedEvent(
        AppointmentBooked,
        senders="the mini-program, a POS",
        consumer="service-orders",
        effect="books the appointment as if booked through its API",
    ),
    IngestedEvent(
        VisitCompleted,
        senders="a POS",
        consumer="service-orders",
        effect="records the visit, then publishes it on rapport.service-orders.orders",
    ),
    IngestedEvent(
        PurchaseRecorded,
        senders="a POS, a dealer's ERP",
        consumer="service-orders",
        effect="records the purchase, then publishes it on rapport.service-orders.orders",
    ),
)


def ingestion_username(brand_id: str) -> str:
    ingestion_topic(brand_id)  # the same rule: a brand id that cannot name a topic is refused
    return INGESTION_USER_PREFIX + brand_id


def ingestion_grant(brand_id: str, topic_prefix: str = "") -> TopicGrant:
    """Write to the brand's ingestion topic, and describe it (producers read its metadata)."""
    return TopicGrant(
        principal=f"User:{ingestion_username(brand_id)}",
        topic=topic_prefix + ingestion_topic(brand_id),
        operations=(AclOperation.WRITE, AclOperation.DESCRIBE),
    )


@dataclass(frozen=True)
class IngestionAccess:
    """What an integration of one brand needs to publish: where, as whom, how."""

    brand_id: str
    topic: str
    connection: KafkaConnection

    @property
    def username(self) -> str:
        return self.connection.username

    def librdkafka_config(self) -> dict[str, str]:
        """The settings for a librdkafka client (confluent-kafka, node-rdkafka, Go...)."""
        kafka = self.connection
        return {
            "bootstrap.servers": kafka.bootstrap_servers,
            "security.protocol": kafka.security_protocol,
            "sasl.mechanism": kafka.sasl_mechanism,
            "sasl.username": kafka.username,
            "sasl.password": kafka.password,
            "partitioner": LIBRDKAFKA_PARTITIONER,
        }


async def provision_ingestion(
    platform: KafkaConnection,
    brand_id: str,
    *,
    partitions: int,
    password: str | None = None,
    topic_prefix: str = "",
) -> IngestionAccess:
    """Creates the brand's ingestion topic, its integration user and the user's two ACLs.

    Idempotent; given a new (or no) password it rotates the user's credential, so the
    returned access is the only one that works from now on. ``platform`` must be a user
    allowed to create topics, users and ACLs.
    """
    if not platform.authenticates:
        raise ValueError("ingestion users need a Kafka with SASL; this connection is PLAINTEXT")
    grant = ingestion_grant(brand_id, topic_prefix)
    await ensure_topics(platform, [grant.topic], partitions)
    username = ingestion_username(brand_id)
    secret = password or secrets.token_urlsafe(24)
    await upsert_scram_credential(platform, username, secret, platform.sasl_mechanism)
    await grant_on_topic(platform, grant)
    return IngestionAccess(brand_id, grant.topic, platform.as_user(username, secret))


def foreign_to_ingestion_topic(
    topic: str, envelope: EventEnvelope, topic_prefix: str = ""
) -> str | None:
    """Why an event read from a brand's ingestion topic is refused: it names another brand.

    Kafka's ACLs guarantee who wrote to the topic, not what they wrote; an integration of
    brand A naming brand B in ``ce_brandid`` is refused here, and one naming B in the data
    only is refused by :func:`rapport_events.consumer.brand_mismatch`. None for any event
    that may be applied, and for every record of a topic that is not an ingestion topic.
    """
    brand = ingestion_brand(topic, topic_prefix)
    if brand is None or envelope.brandid == brand:
        return None
    return (
        f"the ingestion topic {topic!r} is brand {brand!r}'s; the event names brand "
        f"{envelope.brandid!r}"
    )
