"""Which partitions follow the clock after a fetch round, and what a batch raises them to.

The consumer's side of the watermark rule, without a broker: a partition follows the clock
only when a fetch response received during the round shows nothing beyond its position, and
only once every assigned partition has a row to hold the watermark back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aiokafka.structs import TopicPartition
from rapport_events.clock import ManualClock
from rapport_events.consumer import EventConsumer, latest_event_times
from rapport_events.kafka_security import KafkaConnection
from rapport_events.watermarks import Partition

from tests.support.events import AT

P0, P1 = TopicPartition("visits", 0), TopicPartition("visits", 1)


@dataclass
class Record:
    topic: str
    partition: int


def test_a_batch_raises_each_partition_to_the_latest_time_it_carried() -> None:
    consumed: list[tuple[Any, datetime | None]] = [
        (Record("visits", 0), AT + timedelta(minutes=5)),
        (Record("visits", 0), AT + timedelta(minutes=2)),
        (Record("visits", 1), AT),
        (Record("visits", 2), None),  # unreadable: no event time
    ]

    assert latest_event_times(consumed) == {
        ("visits", 0): AT + timedelta(minutes=5),
        ("visits", 1): AT,
    }


@dataclass
class FetchState:
    position: int
    highwater: int | None
    polled_at: int | None


class FakeKafkaConsumer:
    """What the round needs of aiokafka's consumer: assignment, positions, fetch results."""

    def __init__(self, **partitions: FetchState) -> None:
        self.states = {TopicPartition("visits", int(n[1:])): s for n, s in partitions.items()}

    def assignment(self) -> set[TopicPartition]:
        return set(self.states)

    def last_poll_timestamp(self, tp: TopicPartition) -> int | None:
        return self.states[tp].polled_at

    def highwater(self, tp: TopicPartition) -> int | None:
        return self.states[tp].highwater

    async def position(self, tp: TopicPartition) -> int:
        return self.states[tp].position

    def fetch_response(self, tp: TopicPartition, *, highwater: int) -> None:
        state = self.states[tp]
        state.highwater = highwater
        state.polled_at = (state.polled_at or 0) + 500


@dataclass
class RecordingProcessor:
    """Stands in for the RecordProcessor: records what the consumer asks of the table."""

    clock: ManualClock = field(default_factory=lambda: ManualClock(AT))
    tracks_watermarks: bool = True
    service: str = "journey"
    topics: list[str] = field(default_factory=lambda: ["visits"])
    registered: list[Partition] = field(default_factory=list)
    followed: list[tuple[list[Partition], datetime]] = field(default_factory=list)
    refuse_registration: bool = False

    async def register_partitions(self, partitions: list[Partition]) -> None:
        if self.refuse_registration:
            raise OSError("database unreachable (simulated)")
        self.registered.extend(partitions)

    async def follow_clock(self, partitions: list[Partition], to: datetime) -> None:
        if partitions:
            self.followed.append((partitions, to))


def consumer_for(processor: RecordingProcessor, grace: timedelta) -> EventConsumer:
    return EventConsumer(
        processor,  # type: ignore[arg-type]
        connection=KafkaConnection(bootstrap_servers="localhost:1"),
        watermark_grace=grace,
    )


async def a_round(consumer: EventConsumer, kafka: FakeKafkaConsumer, fetch: Any) -> None:
    """One empty fetch round of ``EventConsumer.run``, ``fetch`` standing for getmany."""
    started = consumer._fetch_round_start(kafka)
    fetch()
    await consumer._round(kafka, {}, *started)


async def test_a_caught_up_partition_follows_the_clock_at_the_round_start_minus_the_grace() -> None:
    processor = RecordingProcessor()
    kafka = FakeKafkaConsumer(p0=FetchState(position=4, highwater=None, polled_at=None))
    consumer = consumer_for(processor, grace=timedelta(seconds=3))

    def fetched_and_then_time_passed() -> None:
        kafka.fetch_response(P0, highwater=4)
        processor.clock.advance(timedelta(minutes=1))  # slow processing

    await a_round(consumer, kafka, fetched_and_then_time_passed)

    assert processor.registered == [("visits", 0)]
    assert processor.followed == [([("visits", 0)], AT - timedelta(seconds=3))]


async def test_a_partition_with_records_beyond_its_position_holds_still() -> None:
    processor = RecordingProcessor()
    kafka = FakeKafkaConsumer(
        p0=FetchState(position=4, highwater=4, polled_at=1_000),
        p1=FetchState(position=10, highwater=10, polled_at=1_000),
    )
    consumer = consumer_for(processor, grace=timedelta(seconds=2))

    await a_round(consumer, kafka, lambda: kafka.fetch_response(P0, highwater=9))
    processor.clock.advance(timedelta(days=30))
    await a_round(consumer, kafka, lambda: kafka.fetch_response(P0, highwater=9))

    # Nor does p1 follow: no fetch response about it came during either round.
    assert processor.followed == []


async def test_a_highwater_not_refreshed_during_the_round_is_not_trusted() -> None:
    processor = RecordingProcessor()
    # Caught up as of an older response; records written since would not show in it.
    kafka = FakeKafkaConsumer(p0=FetchState(position=4, highwater=4, polled_at=1_000))
    consumer = consumer_for(processor, grace=timedelta(seconds=2))

    await a_round(consumer, kafka, lambda: None)
    assert processor.followed == []

    await a_round(consumer, kafka, lambda: kafka.fetch_response(P0, highwater=4))
    assert processor.followed == [([("visits", 0)], AT - timedelta(seconds=2))]


async def test_no_partition_follows_the_clock_until_every_assigned_one_has_a_row() -> None:
    processor = RecordingProcessor(refuse_registration=True)
    kafka = FakeKafkaConsumer(p0=FetchState(position=0, highwater=0, polled_at=1_000))
    consumer = consumer_for(processor, grace=timedelta(seconds=2))

    await a_round(consumer, kafka, lambda: kafka.fetch_response(P0, highwater=0))
    assert processor.followed == []

    processor.refuse_registration = False
    await a_round(consumer, kafka, lambda: kafka.fetch_response(P0, highwater=0))
    assert processor.registered == [("visits", 0)]
    assert processor.followed == [([("visits", 0)], AT - timedelta(seconds=2))]


async def test_without_tracking_the_round_leaves_watermarks_alone() -> None:
    processor = RecordingProcessor(tracks_watermarks=False)
    kafka = FakeKafkaConsumer(p0=FetchState(position=0, highwater=0, polled_at=1_000))
    consumer = consumer_for(processor, grace=timedelta(seconds=2))

    await a_round(consumer, kafka, lambda: kafka.fetch_response(P0, highwater=0))

    assert processor.registered == []
    assert processor.followed == []
