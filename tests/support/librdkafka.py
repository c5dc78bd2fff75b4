"""librdkafka, the C client most non-Java integrations use, through confluent-kafka."""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

Record = tuple[bytes, bytes, list[tuple[str, bytes]]]
"""key, value, headers"""


def librdkafka() -> Any:
    """The confluent_kafka module; missing, the test is skipped, except under CI=true."""
    try:
        return importlib.import_module("confluent_kafka")
    except ImportError:
        if os.environ.get("CI", "").lower() == "true":
            raise
        pytest.skip("confluent-kafka (librdkafka) is not installed: a dev dependency")


def produce(config: Mapping[str, str], topic: str, records: Sequence[Record]) -> None:
    """Sends the records and waits for every acknowledgement; raises on any failure."""
    failures: list[str] = []

    def delivered(error: Any, _message: Any) -> None:
        if error is not None:
            failures.append(str(error))

    producer = librdkafka().Producer(dict(config))
    for key, value, headers in records:
        producer.produce(topic, value=value, key=key, headers=headers, on_delivery=delivered)
    unsent = producer.flush(30)
    if failures or unsent:
        raise AssertionError(f"librdkafka: {unsent} unsent, failures: {failures}")
