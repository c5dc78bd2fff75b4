"""The seeded platform every fuzz test runs against, started once per session."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from tests.fuzz.seeded_platform import Platform, seeded_platform
from tests.support.infrastructure import Endpoints


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/fuzz/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.integration)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def platform(endpoints: Endpoints) -> AsyncIterator[Platform]:
    async with seeded_platform(endpoints) as started:
        yield started
