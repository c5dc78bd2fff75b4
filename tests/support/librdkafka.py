"""librdkafka, the C client most non-Java integrations use, through confluent-kafka."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import confluent_kafka

Record = tuple[bytes, bytes, list[tuple[str, bytes]]]
"""key, value, headers"""


def produce(config: Mapping[str, str], topic: str, records: Sequence[Record]) -> None:
    """Sends the records and waits for every acknowledgement; raises on any failure."""
    failures: list[str] = []

    def delivered(error: Any, _message: Any) -> None:
        if error is not None:
            failures.append(str(error))

    producer = confluent_kafka.Producer(dict(config))
    for key, value, headers in records:
        sent: list[tuple[str, str | bytes | None]] = list(headers)
        producer.produce(topic, value=value, key=key, headers=sent, on_delivery=delivered)
    unsent = producer.flush(30)
    if failures or unsent:
        raise AssertionError(f"librdkafka: {unsent} unsent, failures: {failures}")
