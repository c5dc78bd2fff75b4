"""A Kafka that authenticates (SASL/SCRAM) and authorises (ACLs), and two brands' integrations."""

from __future__ import annotations

import pytest
import pytest_asyncio
from rapport_events.ingestion import IngestionAccess, provision_ingestion
from rapport_events.kafka_security import KafkaConnection

from tests.conftest import unique
from tests.support.infrastructure import Endpoints, authenticating_kafka


@pytest.fixture
def platform(endpoints: Endpoints) -> KafkaConnection:
    """The platform's own login, a super user."""
    return authenticating_kafka(endpoints)


async def _integration(platform: KafkaConnection, prefix: str) -> IngestionAccess:
    return await provision_ingestion(platform, unique("brd_"), partitions=6, topic_prefix=prefix)


@pytest_asyncio.fixture
async def brand_a(platform: KafkaConnection, topic_prefix: str) -> IngestionAccess:
    return await _integration(platform, topic_prefix)


@pytest_asyncio.fixture
async def brand_b(platform: KafkaConnection, topic_prefix: str) -> IngestionAccess:
    return await _integration(platform, topic_prefix)
