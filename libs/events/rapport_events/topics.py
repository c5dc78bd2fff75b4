"""Topic names, dead-letter topics and topic creation.

Convention: ``rapport.<producing service>.<stream>`` for domain events, keyed by member id;
``rapport.dlq.<consuming service>`` for the records a service could not read.
"""

from __future__ import annotations

import asyncio
import contextlib
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

DOMAIN_TOPICS = (
    IDENTITY_MEMBERS,
    IDENTITY_ORGANISATION,
    SERVICE_ORDERS,
    LOYALTY_POINTS,
    JOURNEY_STAGES,
    JOURNEY_TOUCHPOINTS,
    NOTIFIER_DELIVERIES,
)
CONSUMING_SERVICES = ("service-orders", "loyalty", "journey", "notifier")


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
