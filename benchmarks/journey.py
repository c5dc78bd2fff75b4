"""``make bench``: the journey service's speed on real Kafka and PostgreSQL, each figure beside
a ceiling measured in the same run (issue 7, "Speed").

    uv run python benchmarks/journey.py [--events 50000] [--members N] [--timers 1000000]
        [--latency-seconds 15] [--profile journey.prof]

The service runs as a real process (``python -m journey``, the default map, the system
clock) on a throwaway database, its own topic prefix and Redis database 11:

    events/s        N member events published before it starts (registrations of M members,
                    then visits, purchases and reviews), timed from its first processed
                    event to its last (``processed_events`` of consumer ``journey``)
      ceiling       a plain aiokafka consume-and-produce passthrough of the same records
    append->touch   registrations published at half that rate while it runs; each asks for
                    the first-visit voucher at once: the touchpoint record's CreateTime minus
                    the registration record's, matched by member, p50 and p99
    timers/s        T members inserted straight into its tables (journey, facts, position on
                    the built-in lifecycle map version 0) with a ``dormancy_check`` timer due an
                    hour ago each, timed from their commit to the last ``fired_at``; each
                    moves her to dormant and asks for a welcome-back; checked: every timer
                    fired, one touchpoint and one TouchpointRequested per timer, none twice
      ceiling       a plain asyncpg insert of T rows, 500 a transaction (the worker's batch)
    memory          VmRSS of the process once started, with the event members placed, and
                    with the T timer members placed as well

Components: RAPPORT_TEST_PG_DSN / RAPPORT_TEST_KAFKA / RAPPORT_TEST_REDIS, else the local
stack. ``--profile FILE`` runs the service under cProfile and writes its profile there (the
figures are then slower than the service; read the profile, not the table).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg

ROOT = Path(__file__).resolve().parents[1]
# Run as a script, this file's folder comes first on the path, and its name would hide the
# journey package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "benchmarks"]
sys.path.insert(0, str(ROOT))

from journey.domain.facts import MemberFacts  # noqa: E402
from rapport_events.contracts.identity import MemberRegistered  # noqa: E402
from rapport_events.contracts.service_orders import (  # noqa: E402
    PurchasedItem,
    PurchaseRecorded,
    ReviewSubmitted,
    VisitCompleted,
)
from rapport_events.envelope import DomainEvent, EventEnvelope  # noqa: E402
from rapport_events.kafka_security import KafkaConnection  # noqa: E402
from rapport_events.topics import (  # noqa: E402
    IDENTITY_MEMBERS,
    JOURNEY_TOUCHPOINTS,
    SERVICE_ORDERS,
    all_topics,
    ensure_topics,
)

from deploy.local.services import ServiceProcess, ServiceSpec, wait_until_ready  # noqa: E402
from tests.support.infrastructure import Endpoints, resolve_endpoints  # noqa: E402

BRAND = "brd_bench"
STORES = [f"sto_bench{n}" for n in range(20)]
CONSUMER = "journey"
PARTITIONS = 6
REDIS_DATABASE = 11
TIMER_BATCH = 500  # the service's default RAPPORT_TIMER_BATCH
TOUCHPOINT_REQUESTED = "rapport.journey.touchpoint.requested"


# ----------------------------------------------------------------------------- events


@dataclass
class Workload:
    """What is published before the service starts: registrations first, then activity."""

    envelopes: list[EventEnvelope]
    members: int


def envelope(event: DomainEvent, at: datetime) -> EventEnvelope:
    return EventEnvelope.wrap(event, source="/bench", brand_id=BRAND, time=at)


def registration(member_id: str, at: datetime, rng: random.Random) -> EventEnvelope:
    return envelope(
        MemberRegistered(
            member_id=member_id,
            brand_id=BRAND,
            store_id=rng.choice(STORES),
            surname="Bench",
            gender=rng.choice(["female", "female", "male", "unspecified"]),
            birthday=datetime(1990, 1, 1).date() + timedelta(days=rng.randrange(365 * 30)),
            registered_at=at,
        ),
        at,
    )


def workload(events: int, members: int, run: str, start: datetime) -> Workload:
    """A seeded mix over ``members``: each registers, then visits (60%), purchases (25%, a
    twentieth of them mattresses) and reviews of a visit (15%, a fifth of them low)."""
    rng = random.Random(7)
    step = timedelta(minutes=30) / events  # event times spread over half an hour
    at = start
    ids = [f"mbr_{run}_{n}" for n in range(members)]
    stores: dict[str, str] = {}
    envelopes: list[EventEnvelope] = []
    for member_id in ids:
        registered = registration(member_id, at, rng)
        stores[member_id] = registered.data["store_id"]
        envelopes.append(registered)
        at += step
    visits: dict[str, list[str]] = {}
    for number in range(events - members):
        member_id = rng.choice(ids)
        store = stores[member_id]
        roll = rng.random()
        event: DomainEvent
        if roll < 0.15 and visits.get(member_id):
            event = ReviewSubmitted(
                review_id=f"rev_{run}_{number}",
                visit_id=visits[member_id][-1],
                member_id=member_id,
                brand_id=BRAND,
                store_id=store,
                recommendation=rng.randrange(6, 11),
                satisfaction=rng.randrange(50, 80) if rng.random() < 0.2 else 92,
                submitted_at=at,
            )
        elif roll < 0.40:
            mattress = rng.random() < 0.05
            event = PurchaseRecorded(
                purchase_id=f"pur_{run}_{number}",
                member_id=member_id,
                brand_id=BRAND,
                store_id=store,
                amount=Decimal("3999.00") if mattress else Decimal(rng.choice(["88.00", "260.00"])),
                items=[
                    PurchasedItem(
                        product_code="deep-sleep-180" if mattress else "care-kit",
                        category="mattress" if mattress else "care-kit",
                    )
                ],
                purchased_at=at,
            )
        else:
            visit_id = f"vis_{run}_{number}"
            visits.setdefault(member_id, []).append(visit_id)
            event = VisitCompleted(
                visit_id=visit_id,
                member_id=member_id,
                brand_id=BRAND,
                store_id=store,
                service_code=rng.choice(["facial-basic", "nail-gel", "massage-60", "facial-deep"]),
                amount=Decimal(rng.choice(["128.00", "268.00", "398.00"])),
                completed_at=at,
            )
        envelopes.append(envelope(event, at))
        at += step
    return Workload(envelopes, members)


def topic_of(envelope: EventEnvelope) -> str:
    return IDENTITY_MEMBERS if envelope.type.startswith("rapport.identity") else SERVICE_ORDERS


def producer(kafka: KafkaConnection) -> Any:
    from aiokafka import AIOKafkaProducer

    # As the platform's KafkaPublisher: idempotent, acks=all, 5 ms linger.
    return AIOKafkaProducer(**kafka.client_options(), enable_idempotence=True, linger_ms=5)


async def publish(kafka: KafkaConnection, prefix: str, envelopes: Sequence[EventEnvelope]) -> None:
    send = producer(kafka)
    await send.start()
    try:
        for start in range(0, len(envelopes), 2000):
            acks = [
                await send.send(
                    prefix
                    + (
                        IDENTITY_MEMBERS
                        if e.type.startswith("rapport.identity")
                        else SERVICE_ORDERS
                    ),
                    value=e.kafka_value(),
                    key=e.kafka_key(),
                    headers=e.kafka_headers(),
                )
                for e in envelopes[start : start + 2000]
            ]
            await asyncio.gather(*acks)
    finally:
        await send.stop()


async def passthrough(kafka: KafkaConnection, prefix: str, events: int) -> float:
    """Events/s of consuming the published records and producing each to another topic,
    committing after each fetch round, from the first record fetched to the last ack."""
    from aiokafka import AIOKafkaConsumer

    target = prefix + "bench.passthrough"
    await ensure_topics(kafka, [target], PARTITIONS)
    consumer = AIOKafkaConsumer(
        prefix + IDENTITY_MEMBERS,
        prefix + SERVICE_ORDERS,
        **kafka.client_options(),
        group_id=prefix + "bench-passthrough",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=200,  # as the platform's EventConsumer
    )
    send = producer(kafka)
    await send.start()
    await consumer.start()
    seen, started = 0, 0.0
    try:
        while seen < events:
            batches = await consumer.getmany(timeout_ms=500)
            if not batches:
                continue
            if not started:
                started = time.perf_counter()
            acks = [
                await send.send(target, value=r.value, key=r.key, headers=list(r.headers))
                for records in batches.values()
                for r in records
            ]
            await asyncio.gather(*acks)
            await consumer.commit()
            seen += len(acks)
        return seen / (time.perf_counter() - started)
    finally:
        await consumer.stop()
        await send.stop()


# ----------------------------------------------------------------------------- the service


@dataclass
class Service:
    process: ServiceProcess
    database_url: str

    @property
    def pid(self) -> int:
        return self.process.process.pid

    def resident_kib(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError(f"no VmRSS for {self.pid}")


PROFILED = """
import cProfile, runpy, signal, sys
profile = cProfile.Profile()
def dump(*_):
    profile.disable()
    profile.dump_stats(sys.argv[1])
    sys.exit(0)
# uvicorn raises the SIGTERM it caught again once shut down, with this handler back.
signal.signal(signal.SIGTERM, dump)
profile.enable()
try:
    runpy.run_module("journey", run_name="__main__", alter_sys=True)
finally:
    dump()
"""
"""``python -m journey`` under cProfile, writing the profile when the service stops."""


TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def postgres_cpu_seconds() -> float:
    """CPU time of every PostgreSQL process on the machine (other sessions' too)."""
    total = 0.0
    for status in Path("/proc").glob("[0-9]*/comm"):
        try:
            if status.read_text().strip() == "postgres":
                total += cpu_seconds(int(status.parent.name))
        except OSError:
            continue
    return total


@dataclass
class Busy:
    """Cores the service and PostgreSQL kept busy over a phase (1.0 = one core all along)."""

    pid: int
    started: float = 0.0
    service: float = 0.0
    postgres: float = 0.0

    def __post_init__(self) -> None:
        self.started = time.monotonic()
        self.service = cpu_seconds(self.pid)
        self.postgres = postgres_cpu_seconds()

    def text(self) -> str:
        wall = time.monotonic() - self.started
        service = (cpu_seconds(self.pid) - self.service) / wall
        postgres = (postgres_cpu_seconds() - self.postgres) / wall
        return f"journey {service:.2f} / postgres {postgres:.2f} cores"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def redis_database(url: str, number: int) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{number}"))


def start_journey(
    endpoints: Endpoints, database_url: str, prefix: str, log_dir: Path, profile: Path | None
) -> Service:
    port = free_port()
    environment = {
        **os.environ,
        **endpoints.kafka_environment(),
        "RAPPORT_DATABASE_URL": database_url,
        "RAPPORT_TOPIC_PREFIX": prefix,
        "RAPPORT_HTTP_PORT": str(port),
        "RAPPORT_REDIS_URL": redis_database(endpoints.redis_url, REDIS_DATABASE),
        "RAPPORT_CLOCK": "system",
        "RAPPORT_KAFKA_PARTITIONS": str(PARTITIONS),
        "RAPPORT_LOG_LEVEL": "WARNING",
    }
    spec = ServiceSpec("journey", "journey", port)
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / "journey.log"
    log = log_path.open("ab")
    command = ["-c", PROFILED, str(profile)] if profile else ["-m", "journey"]
    process = subprocess.Popen(
        [sys.executable, *command],
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    service = Service(ServiceProcess(spec, port, log_path, process, log), database_url)
    wait_until_ready([service.process], timeout=120)
    return service


async def journey_rate(service: Service, pool: asyncpg.Pool, events: int, timeout: float) -> float:
    """Events/s from the first processed_events row of consumer journey to the last."""
    deadline = time.monotonic() + timeout
    while (count := await processed(pool)) < events:
        if service.process.process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(
                f"journey processed {count} of {events} events; log:\n" + service.process.log_tail()
            )
        await asyncio.sleep(0.25)
    finished = datetime.now(UTC)
    first: datetime = await pool.fetchval(
        "SELECT min(processed_at) FROM processed_events WHERE consumer = $1", CONSUMER
    )
    # From the start of the first batch's transaction to the poll that saw the last.
    return events / (finished - first).total_seconds()


async def processed(pool: asyncpg.Pool) -> int:
    count: int = await pool.fetchval(
        "SELECT count(*) FROM processed_events WHERE consumer = $1", CONSUMER
    )
    return count


# ----------------------------------------------------------------------------- latency


@dataclass
class Latency:
    rate: float
    sent: int
    received: int
    p50_ms: float
    p99_ms: float
    samples: list[float] = field(repr=False, default_factory=list)


async def latency(
    kafka: KafkaConnection, prefix: str, rate: float, seconds: float, run: str
) -> Latency:
    """Registrations at ``rate`` a second for ``seconds``; per member, the touchpoint
    record's CreateTime minus her registration record's."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    topic = prefix + JOURNEY_TOUCHPOINTS
    watch = AIOKafkaConsumer(**kafka.client_options(), enable_auto_commit=False)
    await watch.start()
    partitions = [TopicPartition(topic, n) for n in range(PARTITIONS)]
    watch.assign(partitions)
    await watch.seek_to_end(*partitions)
    for partition in partitions:
        await watch.position(partition)
    sent_at: dict[str, int] = {}
    latencies: list[float] = []
    done_sending = asyncio.Event()

    async def receive() -> None:
        quiet_until: float | None = None
        while sent_at or not done_sending.is_set():
            batches = await watch.getmany(timeout_ms=200)
            for records in batches.values():
                for record in records:
                    data = json.loads(record.value)
                    member_id = data.get("member_id")
                    if data.get("template") == "first_visit_voucher" and member_id in sent_at:
                        latencies.append(record.timestamp - sent_at.pop(member_id))
            if done_sending.is_set():
                quiet_until = quiet_until or time.monotonic() + 60
                if time.monotonic() > quiet_until:
                    return  # what has not come in a minute is counted as missing

    receiver = asyncio.create_task(receive())
    rng = random.Random(11)
    send = producer(kafka)
    await send.start()
    total = int(rate * seconds)
    tick = 0.02
    started = time.monotonic()
    acks = []
    try:
        for number in range(total):
            due = started + number / rate
            if (wait := due - time.monotonic()) > tick / 2:
                await asyncio.sleep(wait)
            member_id = f"mbr_{run}_lat_{number}"
            now = datetime.now(UTC)
            registered = registration(member_id, now, rng)
            stamp = int(now.timestamp() * 1000)
            sent_at[member_id] = stamp
            acks.append(
                await send.send(
                    prefix + IDENTITY_MEMBERS,
                    value=registered.kafka_value(),
                    key=registered.kafka_key(),
                    headers=registered.kafka_headers(),
                    timestamp_ms=stamp,
                )
            )
        await asyncio.gather(*acks)
        achieved = total / (time.monotonic() - started)
    finally:
        await send.stop()
    done_sending.set()
    try:
        await receiver
    finally:
        await watch.stop()
    if not latencies:
        raise RuntimeError("no touchpoint came back")
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return Latency(achieved, total, len(latencies), cuts[49], cuts[98], latencies)


# ----------------------------------------------------------------------------- timers


def facts_template(last_visit: datetime, registered: datetime) -> dict[str, Any]:
    """Her facts snapshot: registered, one visit that long ago, nothing since."""
    facts = MemberFacts(
        member_id="",
        brand_id=BRAND,
        visit_count=1,
        visit_spent=Decimal("268.00"),
        first_visit_at=last_visit,
        last_visit_at=last_visit,
        surname="Bench",
        store_id=STORES[0],
        registered_at=registered,
        latest_by_kind={"member.registered": registered, "visit.completed": last_visit},
        latest_at=last_visit,
    )
    return facts.snapshot()


async def load_timer_members(
    pool: asyncpg.Pool, count: int, run: str, *, same_due: bool
) -> datetime:
    """``count`` members on the built-in lifecycle map, each with a dormancy timer due in
    the hour before now, spread over it (or all due at the same instant, an hour ago); her one
    visit was 30 days before her due time. Returns when the timers committed."""
    now = datetime.now(UTC)
    due = now - timedelta(hours=1)
    spread = timedelta(0) if same_due else timedelta(hours=1) / count
    last_visit = due - timedelta(days=30)
    registered = last_visit - timedelta(hours=1)
    member = f"'mbr_{run}_t' || n"
    chunk = 100_000
    for low in range(1, count + 1, chunk):
        high = min(low + chunk - 1, count)
        async with pool.acquire() as connection, connection.transaction():
            await connection.execute(
                f"""
                INSERT INTO journeys (member_id, brand_id, store_id, surname, stage, visit_count,
                                      total_spent, first_visit_at, last_visit_at, registered_at,
                                      facts)
                SELECT {member}, $1, $2, 'Bench', 'new', 1, 268.00, $3, $3, $4,
                       $5::text::jsonb || jsonb_build_object('member_id', {member})
                FROM generate_series($6::int, $7::int) AS n
                """,
                BRAND,
                STORES[0],
                last_visit,
                registered,
                json.dumps(facts_template(last_visit, registered)),
                low,
                high,
            )
            await connection.execute(
                f"""
                INSERT INTO map_positions (member_id, brand_id, map_key, version, stage,
                                           stage_since, entered_at, fired_once)
                SELECT {member}, $1, 'lifecycle', 0, 'new', $2, $2, '{{first_visit_voucher}}'
                FROM generate_series($3::int, $4::int) AS n
                """,
                BRAND,
                registered,
                low,
                high,
            )
    # The timers in one statement, so the worker finds them all due at once.
    await pool.execute(
        f"""
        INSERT INTO timers (timer_id, member_id, brand_id, kind, slot, due_at, armed_for,
                            payload, map_key, map_version)
        SELECT 'tmr_{run}_' || n, {member}, $1, 'dormancy_check', '',
               $2::timestamptz + n * $5::interval, $3::timestamptz + n * $5::interval, '{{}}',
               'lifecycle', 0
        FROM generate_series(1, $4::int) AS n
        """,
        BRAND,
        due - spread,
        last_visit - spread,
        count,
        spread,
    )
    return datetime.now(UTC)


@dataclass
class Timers:
    rate: float
    fired: int
    touchpoints: int
    announced: int
    twice: int
    moved: int


async def fire_rate(
    service: Service, pool: asyncpg.Pool, count: int, run: str, committed: datetime
) -> Timers:
    pattern = f"mbr\\_{run}\\_t%"
    deadline = time.monotonic() + 600 + count / 500
    while await pool.fetchval(
        "SELECT true FROM timers WHERE fired_at IS NULL AND cancelled_at IS NULL "
        "AND due_at <= now() LIMIT 1"
    ):
        if service.process.process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("timers still due; log:\n" + service.process.log_tail())
        await asyncio.sleep(1)
    fired, last = await one_row(
        pool,
        "SELECT count(*), max(fired_at) FROM timers WHERE member_id LIKE $1 "
        "AND fired_at IS NOT NULL",
        pattern,
    )
    touchpoints = await pool.fetchval(
        "SELECT count(*) FROM touchpoints WHERE member_id LIKE $1 AND template = 'welcome_back'",
        pattern,
    )
    announced, twice = await one_row(
        pool,
        """
        SELECT coalesce(sum(copies), 0), count(*) FILTER (WHERE copies > 1) FROM (
            SELECT envelope->'data'->>'touchpoint_id' AS id, count(*) AS copies FROM outbox
            WHERE envelope->>'type' = $1 AND envelope->'data'->>'member_id' LIKE $2
            GROUP BY 1) AS requested
        """,
        TOUCHPOINT_REQUESTED,
        pattern,
    )
    moved = await pool.fetchval(
        "SELECT count(*) FROM stage_history WHERE member_id LIKE $1 AND to_stage = 'dormant'",
        pattern,
    )
    rate = fired / max((last - committed).total_seconds(), 1e-3)
    return Timers(rate, fired, touchpoints, int(announced), twice, moved)


async def one_row(pool: asyncpg.Pool, query: str, *arguments: Any) -> asyncpg.Record:
    row: asyncpg.Record | None = await pool.fetchrow(query, *arguments)
    if row is None:
        raise RuntimeError(f"no row from {query}")
    return row


async def plain_insert_rate(pool: asyncpg.Pool, count: int) -> float:
    """Rows/s of inserting ``count`` timer-like rows, 500 a transaction, on one connection."""
    await pool.execute(
        "CREATE TABLE bench_plain (id text PRIMARY KEY, member_id text NOT NULL, "
        "kind text NOT NULL, at timestamptz NOT NULL)"
    )
    now = datetime.now(UTC)
    started = time.perf_counter()
    async with pool.acquire() as connection:
        for low in range(0, count, TIMER_BATCH):
            ids = [f"p{n}" for n in range(low, min(low + TIMER_BATCH, count))]
            async with connection.transaction():
                await connection.execute(
                    "INSERT INTO bench_plain SELECT id, id, 'dormancy_check', $2 "
                    "FROM unnest($1::text[]) AS id",
                    ids,
                    now,
                )
    rate = count / (time.perf_counter() - started)
    await pool.execute("DROP TABLE bench_plain")
    return rate


# ----------------------------------------------------------------------------- the run


@dataclass
class Figures:
    rows: list[tuple[str, str, str, str]] = field(default_factory=list)

    def add(self, name: str, measured: str, ceiling: str = "", ratio: str = "") -> None:
        self.rows.append((name, measured, ceiling, ratio))
        print(f"  {name:<38} {measured:>14}  {ceiling:>22}  {ratio}", flush=True)

    def print(self) -> None:
        print(f"\n{'measurement':<38} {'journey':>14}  {'ceiling':>22}  ratio")
        for name, measured, ceiling, ratio in self.rows:
            print(f"{name:<38} {measured:>14}  {ceiling:>22}  {ratio}")


def mib(kib: int) -> str:
    return f"{kib / 1024:.0f} MiB"


async def main(arguments: argparse.Namespace) -> int:
    events: int = arguments.events
    members: int = arguments.members or max(events // 5, 1)
    timers: int = arguments.timers
    endpoints = resolve_endpoints()
    run = uuid.uuid4().hex[:6]
    prefix = f"benchj{run}."
    database = f"bench_journey_{run}"
    admin = await asyncpg.connect(endpoints.pg_dsn)
    await admin.execute(f'CREATE DATABASE "{database}"')
    database_url = endpoints.pg_dsn.rsplit("/", 1)[0] + "/" + database
    log_dir = Path(tempfile.mkdtemp(prefix="bench-journey-"))
    service: Service | None = None
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=4)
    figures = Figures()
    print(
        f"journey benchmark: {events:,} events over {members:,} members, {timers:,} timers; "
        f"topics {prefix}*, database {database}, log {log_dir}/journey.log",
        flush=True,
    )
    try:
        await ensure_topics(endpoints.kafka, all_topics(prefix), PARTITIONS)
        load = workload(events, members, run, datetime.now(UTC) - timedelta(minutes=40))
        await publish(endpoints.kafka, prefix, load.envelopes)
        del load
        print(f"published {events:,} events; passthrough…", flush=True)
        ceiling = await passthrough(endpoints.kafka, prefix, events)

        service = start_journey(endpoints, database_url, prefix, log_dir, arguments.profile)
        started_rss = service.resident_kib()
        busy = Busy(service.pid)
        rate = await journey_rate(service, pool, events, timeout=120 + events / 100)
        consuming = busy.text()
        figures.add(
            "member events/s (default map)",
            f"{rate:,.0f}/s",
            f"passthrough {ceiling:,.0f}/s",
            f"{rate / ceiling:.2f}",
        )
        figures.add("  CPU while consuming", consuming)

        measured = await latency(endpoints.kafka, prefix, rate / 2, arguments.latency_seconds, run)
        figures.add(
            f"append->touchpoint p50 at {measured.rate:,.0f}/s",
            f"{measured.p50_ms:,.0f} ms",
        )
        figures.add(
            f"append->touchpoint p99 ({measured.received}/{measured.sent})",
            f"{measured.p99_ms:,.0f} ms",
        )
        placed_rss = service.resident_kib()
        known = await pool.fetchval("SELECT count(*) FROM map_positions")

        insert_ceiling = await plain_insert_rate(pool, timers)
        committed = await load_timer_members(pool, timers, run, same_due=arguments.same_due)
        print(f"loaded {timers:,} members with due timers; firing…", flush=True)
        busy = Busy(service.pid)
        fired = await fire_rate(service, pool, timers, run, committed)
        firing = busy.text()
        figures.add(
            f"timers fired/s ({timers:,} due{', tied' if arguments.same_due else ''})",
            f"{fired.rate:,.0f}/s",
            f"plain insert {insert_ceiling:,.0f}/s",
            f"{fired.rate / insert_ceiling:.2f}",
        )
        checks_pass = (
            fired.fired == timers
            and fired.touchpoints == timers
            and fired.announced == timers
            and fired.twice == 0
            and fired.moved == timers
        )
        figures.add(
            "  fired / touchpoints / announced",
            f"{fired.fired:,}",
            f"{fired.touchpoints:,} / {fired.announced:,}",
            "ok" if checks_pass else "MISMATCH",
        )
        figures.add("  touchpoint ids announced twice", f"{fired.twice}", "", "")
        figures.add("  CPU while firing", firing)
        fired_rss = service.resident_kib()
        everyone = await pool.fetchval("SELECT count(*) FROM map_positions")
        figures.add("VmRSS started, no members", mib(started_rss))
        figures.add(f"VmRSS {known:,} members on the map", mib(placed_rss))
        figures.add(
            f"VmRSS {everyone:,} members on the map",
            mib(fired_rss),
            "",
            f"{fired_rss / placed_rss:.2f}",
        )
        figures.print()
        return 0 if checks_pass else 1
    finally:
        if service is not None:
            service.process.stop(grace=60)
        await pool.close()
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.close()
        await delete_topics(endpoints.kafka, prefix)


async def delete_topics(kafka: KafkaConnection, prefix: str) -> None:
    from aiokafka.admin import AIOKafkaAdminClient

    client = AIOKafkaAdminClient(**kafka.client_options())
    await client.start()
    try:
        names = [name for name in await client.list_topics() if name.startswith(prefix)]
        if names:
            await client.delete_topics(names)
    finally:
        await client.close()


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=50_000, help="member events published")
    parser.add_argument("--members", type=int, default=0, help="members (default events/5)")
    parser.add_argument("--timers", type=int, default=1_000_000, help="timers due at once")
    parser.add_argument(
        "--same-due",
        action="store_true",
        help="every timer due at the same instant (ties: the due query sorts them all)",
    )
    parser.add_argument("--latency-seconds", type=float, default=15.0)
    parser.add_argument("--profile", type=Path, default=None, help="cProfile output file")
    return parser.parse_args()


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    sys.exit(asyncio.run(main(arguments())))
