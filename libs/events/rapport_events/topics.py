"""Topic names, dead-letter topics and topic creation.

Convention: ``rapport.<producing service>.<stream>`` for domain events, keyed by member id;
``rapport.dlq.<consuming service>`` for the records a service could not read;
``rapport.ingest.<brand id>`` for what a brand's outside systems (a POS, the mini-program, a
dealer's ERP) publish, one topic per brand so that Kafka's ACLs keep each brand's
integrations to their own topic.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Iterable
from typing import Any

from rapport_events.kafka_security import KafkaConnection

IDENTITY_MEMBERS = "rapport.identity.members"
IDENTITY_ORGANISATION = "rapport.identity.organisation"
SERVICE_ORDERS = "rapport.service-orders.orders"
LOYALTY_POINTS = "rapport.loyalty.points"
JOURNEY_STAGES = "rapport.journey.stages"
JOURNEY_TOUCHPOINTS = "rapport.journey.touchpoints"
NOTIFIER_DELIVERIES = "rapport.notifier.deliveries"
NOTIFIER_TEMPLATES = "rapport.notifier.templates"

DOMAIN_TOPICS = (
    IDENTITY_MEMBERS,
    IDENTITY_ORGANISATION,
    SERVICE_ORDERS,
    LOYALTY_POINTS,
    JOURNEY_STAGES,
    JOURNEY_TOUCHPOINTS,
    NOTIFIER_DELIVERIES,
    NOTIFIER_TEMPLATES,
)
CONSUMING_SERVICES = ("service-orders", "loyalty", "journey", "notifier")


INGESTION_TOPIC_PREFIX = "rapport.ingest."
INGESTION_TOPICS = INGESTION_TOPIC_PREFIX + "*"
"""Subscribing to this name means every brand's ingestion topic, present and future."""

# Kafka allows [A-Za-z0-9._-] in topic names; no dot, so the brand is the whole last segment.
_BRAND_ID = re.compile(r"[A-Za-z0-9_-]{1,200}")


def ingestion_topic(brand_id: str) -> str:
    """The topic the brand's outside systems publish to."""
    if not _BRAND_ID.fullmatch(brand_id):
        raise ValueError(f"{brand_id!r} cannot name a topic: letters, digits, _ and - only")
    return INGESTION_TOPIC_PREFIX + brand_id


def ingestion_brand(topic: str, prefix: str = "") -> str | None:
    """The brand whose ingestion topic ``topic`` is; None for every other topic."""
    brand = topic.removeprefix(prefix + INGESTION_TOPIC_PREFIX)
    if not topic.startswith(prefix + INGESTION_TOPIC_PREFIX) or not _BRAND_ID.fullmatch(brand):
        return None
    return brand


def ingestion_topic_pattern(prefix: str = "") -> str:
    """A regular expression matching every brand's ingestion topic, for a subscription."""
    return re.escape(prefix + INGESTION_TOPIC_PREFIX) + _BRAND_ID.pattern


def subscription_pattern(topics: Iterable[str]) -> str | None:
    """A pattern for a consumer of these topics, when one of them is ``<prefix>INGESTION_TOPICS``
    (the ingestion topics of brands to come cannot be listed); None when a list does."""
    names = list(topics)
    wildcards = [name for name in names if name.endswith(INGESTION_TOPICS)]
    if not wildcards:
        return None
    exact = [re.escape(name) for name in names if name not in wildcards]
    families = [ingestion_topic_pattern(name.removesuffix(INGESTION_TOPICS)) for name in wildcards]
    return "^(?:" + "|".join([*exact, *families]) + ")$"


def dead_letter_topic(service: str) -> str:
    return f"rapport.dlq.{service}"


def all_topics(prefix: str = "") -> list[str]:
    """Every topic the platform uses; ``prefix`` isolates test runs on a shared broker."""
    names = [*DOMAIN_TOPICS, *(dead_letter_topic(s) for s in CONSUMING_SERVICES)]
    return [prefix + name for name in names]


async def ensure_topics(connection: KafkaConnection, names: Iterable[str], partitions: int) -> None:
    """Create the topics that do not exist yet (idempotent)."""
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic
    from aiokafka.errors import TopicAlreadyExistsError

    admin = AIOKafkaAdminClient(**connection.client_options())
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [name for name in names if name not in existing]
        if not missing:
            return
        # Another process may create the same topics at the same moment.
        with contextlib.suppress(TopicAlreadyExistsError):
            await admin.create_topics(
                [
                    NewTopic(name, num_partitions=partitions, replication_factor=1)
                    for name in missing
                ]
            )
        await _until_led(admin, missing)
    finally:
        await admin.close()


async def _until_led(admin: Any, names: list[str], timeout: float = 15.0) -> None:
    """Wait until every partition of the new topics has a leader, so the first send to them
    is not refused with NotLeaderForPartition."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        described = await admin.describe_topics(names)
        if all(
            topic["error_code"] == 0
            and topic["partitions"]
            and all(partition["leader"] >= 0 for partition in topic["partitions"])
            for topic in described
        ):
            return
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"topics without partition leaders after {timeout:.0f}s: {names}")
        await asyncio.sleep(0.05)
