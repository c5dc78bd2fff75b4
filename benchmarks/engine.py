"""The journey engine's pure Python path per member event, without Kafka or PostgreSQL.

    uv run python benchmarks/engine.py [--members 10000] [--profile]

A year of a brand's members is generated (seeded, so every run replays the same history):
registrations, bindings to an associate, visits, purchases (some of them mattresses),
reviews (some low), bookings and cancellations. They are handled in event-time order the way
the service does per member: ``MemberFacts.apply``, ``Engine.enter`` on her first event,
``Engine.on_event``, the decision's timers kept with the service's semantics (the dry run's
:class:`MemberReplay`), and every timer due before her next event fired first (then all due
up to the end of the year). The figure is microseconds per handled item (event or timer).

The map is the default map (``journey.domain.maps.defaults``) when that module exists, else
the default-like map of ``tests/unit/journey/map_builders.py``.

The journey service must sustain 5,000 events/s on a 2-core machine shared with Kafka and
PostgreSQL, so this path must stay well under 100 microseconds per event.

Measured on the 2-core development machine, 10,000 members, map_builders map
(124,868 events, 47,011 timers fired):

    before (d49fb01)   ... see FIGURES below
"""

from __future__ import annotations

import argparse
import cProfile
import importlib
import pstats
import random
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from journey.domain.engine import Engine  # noqa: E402
from journey.domain.facts import MemberEvent  # noqa: E402
from journey.domain.maps.model import CompiledMap  # noqa: E402
from journey.domain.simulation import MemberReplay  # noqa: E402

from tests.unit.journey.map_builders import BRAND, Events, lifecycle_map  # noqa: E402

START = datetime(2026, 1, 1, tzinfo=UTC)
UNTIL = datetime(2026, 12, 31, 23, tzinfo=UTC)
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


def benchmark_map() -> tuple[CompiledMap, str]:
    """The default map once main has it, else the default-like map of the engine's tests."""
    try:
        compiler = importlib.import_module("journey.domain.maps.compiler")
        defaults = importlib.import_module("journey.domain.maps.defaults")
    except ImportError:
        return lifecycle_map(), "map_builders.lifecycle_map"
    compiled: CompiledMap = compiler.compile_map(
        defaults.default_map_document(),
        brand_id=BRAND,
        version=1,
        templates=defaults.DEFAULT_TEMPLATES,
    )
    return compiled, "default_map.yaml"


def member_history(rng: random.Random, member_id: str) -> Iterator[MemberEvent]:
    """One member's year: joined some day, a few visits, maybe purchases, reviews, bookings."""
    events = Events(member_id)
    joined = START + rng.randrange(0, 300) * DAY + rng.randrange(9, 20) * HOUR
    birthday = f"{rng.randrange(1960, 2005)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
    yield events.registered(joined, birthday=birthday if rng.random() < 0.8 else None)
    if rng.random() < 0.7:
        yield events.bound(joined + HOUR)
    at = joined
    for _ in range(rng.choice((0, 1, 2, 3, 4, 6, 8, 12))):
        at += rng.randrange(3, 70) * DAY
        if at > UNTIL:
            break
        yield events.visit(at, amount=f"{rng.randrange(80, 1500)}.00")
        if rng.random() < 0.5:
            yield events.review(at + 2 * HOUR, rng.choice((95, 90, 85, 75, 60)))
        if rng.random() < 0.15:
            yield (
                events.mattress(at + HOUR)
                if rng.random() < 0.3
                else events.make(
                    "purchase.recorded",
                    at + HOUR,
                    purchase_id=f"pur_{member_id}_{events.count}",
                    store_id="sto_1",
                    amount="199.00",
                    items=[{"product_code": "OIL-1", "category": "care"}],
                )
            )
        if rng.random() < 0.3:
            booked = at + rng.randrange(1, 10) * DAY
            yield events.booked(booked, service_code=rng.choice(("gel-manicure", "deep-cleaning")))
            if rng.random() < 0.3:
                yield events.make(
                    "appointment.cancelled",
                    booked + HOUR,
                    appointment_id=f"apt_{member_id}_{events.count}",
                    store_id="sto_1",
                    service_code="gel-manicure",
                    cancelled_by=member_id,
                    reason="busy",
                )


def history(members: int, seed: int) -> list[MemberEvent]:
    rng = random.Random(seed)
    events = [
        event
        for number in range(members)
        for event in member_history(rng, f"mbr_{number:06d}")
        if event.at <= UNTIL
    ]
    events.sort(key=lambda event: (event.at, event.event_id))
    return events


def run(engine: Engine, events: list[MemberEvent]) -> tuple[int, int]:
    """Every event in time order, each member's due timers first; (events, timers fired)."""
    replays: dict[str, MemberReplay] = {}
    fired = 0
    for event in events:
        replay = replays.get(event.member_id)
        if replay is None:
            replay = replays[event.member_id] = MemberReplay(engine, event.member_id, BRAND)
        fired += len(replay.fire_due(event.at))
        replay.handle(event)
        replay.decisions.clear()  # the service stores decisions; keep memory flat here
    for replay in replays.values():
        fired += len(replay.fire_due(UNTIL))
    return len(events), fired


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", action="store_true", help="print the top of a cProfile")
    arguments = parser.parse_args()
    journey_map, source = benchmark_map()
    engine = Engine(journey_map)
    events = history(arguments.members, arguments.seed)
    print(f"map: {source}; members: {arguments.members}; events: {len(events)}")
    if arguments.profile:
        profiler = cProfile.Profile()
        profiler.runcall(run, engine, events)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
        return
    started, started_cpu = time.perf_counter(), time.process_time()
    handled, fired = run(engine, events)
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - started_cpu
    items = handled + fired
    print(f"timers fired: {fired}")
    # On a shared machine wall time includes waiting for a core; CPU time is this path's cost.
    for label, seconds in (("wall", elapsed), ("cpu", cpu)):
        print(
            f"{label}: {seconds:.2f} s; {handled / seconds:,.0f} events/s (timers included);"
            f" {seconds / handled * 1e6:.1f} us per event;"
            f" {seconds / items * 1e6:.1f} us per event or timer"
        )


if __name__ == "__main__":
    main()
