"""A relay in a process of its own, so a test can kill it with SIGKILL.

Usage: python relay_process.py DSN TOPIC_PREFIX BATCH_SIZE, with Kafka's RAPPORT_KAFKA_*
variables in the environment.
"""

from __future__ import annotations

import asyncio
import sys

from rapport_events.outbox import OutboxRelay
from rapport_events.publisher import KafkaPublisher
from rapport_platform.db import create_pool
from rapport_platform.settings import KafkaSettings


async def main(dsn: str, prefix: str, batch_size: int) -> None:
    pool = await create_pool(dsn)
    publisher = KafkaPublisher(KafkaSettings().kafka_connection())
    await publisher.start()
    print("relay started", flush=True)
    await OutboxRelay(
        pool, publisher, topic_prefix=prefix, batch_size=batch_size, poll_interval=0.01
    ).run()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
