"""The kill test of issue 7: journey as a real process, SIGKILLed again and again while
members register and visit and the platform clock moves 31 days.

Nothing may be lost (every event published ends up consumed), no touchpoint may be asked for
twice, and no member may be declared dormant, or welcomed back, while a visit of hers from the
30 days before that moment exists: the consumer is often far behind (nothing consumes while
a journey starts again), and its timers must wait for it.
"""

from __future__ import annotations

import asyncio
import signal
import socket
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
import pytest_asyncio
from rapport_events.clock import CLOCK_OFFSET_KEY, AdjustableClock, advance_shared_clock
from rapport_events.envelope import DomainEvent, EventEnvelope
from rapport_events.publisher import KafkaPublisher, OutgoingRecord
from rapport_events.topics import JOURNEY_TOUCHPOINTS
from redis.asyncio import Redis

from deploy.local.services import SERVICES, ServiceProcess, start_service
from tests.integration.services.journey_watch import (
    registration,
    requested,
    requested_twice,
    timers_settled,
    touchpoints_on_topic,
    unprocessed,
    visit,
)
from tests.support.infrastructure import Endpoints
from tests.support.kafka import publishing
from tests.support.polling import eventually

KILLS = 5
"""SIGKILLs during the run (issue 7's own run: about 50 in 150 s). A journey process needs
several seconds to start on a busy 2-core machine (mostly imports), and a kill is only worth
something once it works, so each kill costs about 10 s: the test stays within 90 s."""
WORKING = (1.0, 4.0, 2.0, 5.0, 3.0)
"""Seconds each started journey works (from its first ready answer) before its SIGKILL, in
turn: the short ones die joining the group, firing timers and relaying, the long ones die
consuming the backlog the kills left."""
CLOCK_SECONDS = 40.0
"""The platform clock moves its 31 days in steps over about this many seconds."""
CLOCK_MOVE = timedelta(days=31)
CLOCK_STEPS = 31
MEMBERS = 240
REDIS_DB = 12
"""The shared clock's Redis database, this test's own (the end-to-end tests use 13)."""
DORMANCY = timedelta(days=30)
CAUGHT_UP = timedelta(minutes=1)
"""How close behind the clock the watermark is once the consumer has read everything."""
PRODUCER_PACE = 0.1
"""Seconds between the producer's rounds (pacing, not synchronisation)."""
JOURNEY = next(spec for spec in SERVICES if spec.name == "journey")


@dataclass
class Published:
    """What the producer sent: every event id, and each member's visit times."""

    event_ids: list[str] = field(default_factory=list)
    visits: dict[str, list[datetime]] = field(default_factory=dict)


@pytest_asyncio.fixture
async def shared_clock(endpoints: Endpoints) -> AsyncIterator[tuple[Redis, str]]:
    url = endpoints.redis_url.rsplit("/", 1)[0] + f"/{REDIS_DB}"
    redis = Redis.from_url(url)
    await redis.delete(CLOCK_OFFSET_KEY)
    try:
        yield redis, url
    finally:
        await redis.delete(CLOCK_OFFSET_KEY)
        await redis.aclose()


class Platform:
    """The platform's side of the run: the shared clock, the producer, the journey process."""

    def __init__(
        self,
        endpoints: Endpoints,
        redis: Redis,
        environment: dict[str, str],
        log_dir: Path,
        prefix: str,
    ) -> None:
        self.endpoints, self.redis, self.prefix = endpoints, redis, prefix
        self.environment, self.log_dir = environment, log_dir
        self.clock = AdjustableClock()
        # Stamping and publishing an event, and moving the clock, never overlap: every event
        # is on the broker before any service's clock passes its time (no event is late).
        self.lock = asyncio.Lock()
        self.published = Published()
        self.producing = True
        self.journey: ServiceProcess | None = None
        self.started: list[ServiceProcess] = []

    # ------------------------------------------------------------------ journey

    def start(self) -> ServiceProcess:
        port = _free_port()
        self.journey = start_service(
            JOURNEY, port=port, environment=self.environment, log_dir=self.log_dir
        )
        self.started.append(self.journey)
        return self.journey

    def kill(self) -> None:
        journey = self.journey
        assert journey is not None
        if journey.process.poll() is not None:
            raise AssertionError(f"journey died by itself:\n{journey.log_tail()}")
        journey.process.send_signal(signal.SIGKILL)
        journey.process.wait()
        journey.stop()

    async def ready(self) -> bool:
        journey = self.journey
        assert journey is not None
        if journey.process.poll() is not None:
            raise AssertionError(f"journey exited:\n{journey.log_tail()}")
        try:
            async with httpx.AsyncClient(timeout=2) as client:
                return (await client.get(journey.url + "/readyz")).status_code == 200
        except httpx.HTTPError:
            return False

    async def kill_repeatedly(self) -> None:
        """Let the running journey work a while, kill it and start another, ``KILLS`` times."""
        for kill in range(KILLS):
            await eventually(self.ready, timeout=60, what=f"journey started ({kill + 1})")
            await asyncio.sleep(WORKING[kill % len(WORKING)])  # the kill schedule's pace
            self.kill()
            self.start()

    def stop_all(self) -> None:
        for journey in self.started:
            journey.stop()

    # ------------------------------------------------------------------ clock

    async def move_clock(self, steps: int, every: float) -> None:
        step = CLOCK_MOVE / steps
        for _ in range(steps):
            await asyncio.sleep(every)  # the clock's pace over the run
            async with self.lock:
                offset = await advance_shared_clock(self.redis, step)
                self.clock.offset = timedelta(seconds=offset)

    # ------------------------------------------------------------------ producer

    async def produce(self) -> None:
        members = [f"mbr_k{n:03}" for n in range(MEMBERS)]
        async with publishing(self.endpoints.kafka) as kafka:
            # Everyone registers and visits at the start of the run.
            for start in range(0, MEMBERS, 40):
                async with self.lock:
                    now = self.clock.now()
                    await self._send(
                        kafka,
                        [e for m in members[start : start + 40] for e in self._joins(m, now)],
                    )
            day_zero = self.clock.now()
            returned: set[str] = set()
            turn = 0
            while self.producing:
                async with self.lock:
                    now = self.clock.now()
                    day = (now - day_zero) / timedelta(days=1)
                    batch = [self._visit(m, now) for m in self._visiting(members, turn)]
                    # A third come back once, between days 15 and 25: their first absence's
                    # timer (day 30) comes due while that visit may still wait in Kafka.
                    for n, member in enumerate(members):
                        if n % 3 == 1 and member not in returned and day >= 15 + n % 10:
                            returned.add(member)
                            batch.append(self._visit(member, now))
                    await self._send(kafka, batch)
                turn += 1
                await asyncio.sleep(PRODUCER_PACE)

    @staticmethod
    def _visiting(members: list[str], turn: int) -> list[str]:
        """A third visit regularly, two of them a round; a third never come back."""
        regular = members[2::3]
        return [regular[(turn * 2 + k) % len(regular)] for k in range(2)]

    def _joins(self, member: str, now: datetime) -> list[tuple[DomainEvent, EventEnvelope]]:
        return [registration(member, now), self._visit(member, now)]

    def _visit(self, member: str, now: datetime) -> tuple[DomainEvent, EventEnvelope]:
        times = self.published.visits.setdefault(member, [])
        times.append(now)
        return visit(member, now, len(times))

    async def _send(
        self, kafka: KafkaPublisher, events: list[tuple[DomainEvent, EventEnvelope]]
    ) -> None:
        await kafka.publish([OutgoingRecord.of(self.prefix + e.topic, env) for e, env in events])
        self.published.event_ids.extend(envelope.id for _, envelope in events)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_killed_again_and_again_journey_loses_nothing_asks_nothing_twice_and_waits(
    endpoints: Endpoints,
    database: str,
    topic_prefix: str,
    pool: asyncpg.Pool,
    shared_clock: tuple[Redis, str],
    tmp_path: Path,
) -> None:
    redis, redis_url = shared_clock
    environment = {
        "RAPPORT_ENV": "test",
        **endpoints.kafka_environment(),
        "RAPPORT_DATABASE_URL": database,
        "RAPPORT_REDIS_URL": redis_url,
        "RAPPORT_TOPIC_PREFIX": topic_prefix,
        "RAPPORT_KAFKA_PARTITIONS": "3",
        "RAPPORT_CLOCK": "shared",
        "RAPPORT_TIMER_POLL_INTERVAL": "0.1",
        "RAPPORT_LOG_LEVEL": "WARNING",
        "OTEL_TRACES_EXPORTER": "none",
        "OTEL_METRICS_EXPORTER": "none",
        "OTEL_LOGS_EXPORTER": "none",
    }
    platform = Platform(endpoints, redis, environment, tmp_path, topic_prefix)

    platform.start()
    await eventually(platform.ready, timeout=60, what="journey started the first time")
    producer = asyncio.create_task(platform.produce())
    try:
        await asyncio.gather(
            platform.kill_repeatedly(),
            platform.move_clock(CLOCK_STEPS, CLOCK_SECONDS / CLOCK_STEPS),
        )
        platform.producing = False
        await producer
        await eventually(platform.ready, timeout=60, what="journey started after the kills")
        published = platform.published
        await eventually(
            lambda: _nothing_unprocessed(pool, published.event_ids),
            timeout=60,
            what="every published event consumed",
        )
        await eventually(
            # Caught up with the clock (the grace behind it), every timer due by then fired.
            lambda: timers_settled(pool, platform.clock.now(), platform.clock.now() - CAUGHT_UP),
            timeout=60,
            what="every timer due by the end dealt with",
        )
        asked = await requested(pool)
        on_topic = await touchpoints_on_topic(
            endpoints.kafka,
            topic_prefix + JOURNEY_TOUCHPOINTS,
            [request["touchpoint_id"] for request in asked],
        )
    finally:
        platform.producing = False
        await asyncio.gather(producer, return_exceptions=True)
        platform.stop_all()

    assert len(platform.started) == KILLS + 1
    # No touchpoint asked for twice: not in the outbox, not as two envelopes on the topic.
    assert requested_twice(asked) == {}
    assert {tp: ids for tp, ids in on_topic.items() if len(ids) > 1} == {}
    assert set(on_topic) == {request["touchpoint_id"] for request in asked}

    # No one declared dormant, or welcomed back, with a visit in the 30 days before.
    dormant = await pool.fetch(
        "SELECT member_id, changed_at FROM stage_history WHERE to_stage = 'dormant'"
    )
    # Welcomed back: asked for, or skipped as too late; either way at the dormancy's moment.
    welcomed = await pool.fetch(
        "SELECT member_id, at AS changed_at FROM timeline WHERE rule = 'welcome_back'"
        " AND kind IN ('touchpoint_requested', 'touchpoint_skipped')"
    )
    too_soon = [
        (row["member_id"], row["changed_at"], visit)
        for row in [*dormant, *welcomed]
        for visit in published.visits[row["member_id"]]
        if row["changed_at"] - DORMANCY < visit <= row["changed_at"]
    ]
    assert too_soon == []
    # Within 31 days a member can be absent for 30 only once.
    welcomes = Counter(row["member_id"] for row in welcomed)
    assert {member: n for member, n in welcomes.items() if n > 1} == {}
    members = sorted(published.visits)
    # Those who never came back were found dormant, once each; the others never were.
    quiet = {m for n, m in enumerate(members) if n % 3 == 0}
    assert sorted(row["member_id"] for row in dormant) == sorted(quiet)


async def _nothing_unprocessed(pool: asyncpg.Pool, event_ids: list[str]) -> bool:
    return not await unprocessed(pool, event_ids)
