"""Kafka credentials for a brand's outside systems, made by the cluster itself.

:func:`rapport_events.ingestion.provision_ingestion` creates the brand's ingestion topic, its
SCRAM user and the user's two ACLs (write and describe that topic, nothing else), and rotates
the user's password. Identity asks for it as the platform's Kafka user; in production the
same grants can come from the cluster's own tooling (a Strimzi ``KafkaUser``).
"""

from __future__ import annotations

from collections.abc import Callable

from rapport_events.ingestion import IngestionAccess, provision_ingestion
from rapport_events.kafka_security import KafkaConnection

from identity.application.ports import IngestionCredentials
from identity.domain.errors import IngestionUnavailable


def credentials_of(access: IngestionAccess) -> IngestionCredentials:
    kafka = access.connection
    return IngestionCredentials(
        brand_id=access.brand_id,
        topic=access.topic,
        bootstrap_servers=kafka.bootstrap_servers,
        security_protocol=kafka.security_protocol,
        sasl_mechanism=kafka.sasl_mechanism,
        username=kafka.username,
        password=kafka.password,
        librdkafka=access.librdkafka_config(),
    )


class KafkaIngestionProvisioner:
    def __init__(
        self, platform: Callable[[], KafkaConnection], *, partitions: int, topic_prefix: str = ""
    ) -> None:
        self._platform = platform
        self._partitions = partitions
        self._topic_prefix = topic_prefix

    async def provision(self, brand_id: str) -> IngestionCredentials:
        platform = self._platform()
        if not platform.authenticates:
            raise IngestionUnavailable()
        access = await provision_ingestion(
            platform, brand_id, partitions=self._partitions, topic_prefix=self._topic_prefix
        )
        return credentials_of(access)
