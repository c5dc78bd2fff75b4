"""PostgreSQL, Redis and Kafka on this machine, for development and tests, without containers.

    uv run python deploy/local/stack.py install | up [COMPONENT...] | down [COMPONENT...]
                                        | status | databases [NAME...]
                                        | ingest-user BRAND_ID [--password P]

Data and logs live in <repo>/.local/{postgres,redis,kafka}/. Ports come from RAPPORT_PG_PORT,
RAPPORT_REDIS_PORT, RAPPORT_KAFKA_PORT and RAPPORT_KAFKA_CONTROLLER_PORT. The module is also
loaded by path from the test support code: ensure_running() and stop_all() are its Python API.

This module is the command line and the whole-stack operations; the parts live beside it:
stack_config (paths, ports, endpoints), processes (spawning, stopping, run files, the lock),
installer, postgres_server, redis_server and kafka_broker.
"""

# Deliberately no `from __future__ import annotations`: the module is loaded through importlib
# by path, and dataclasses resolve string annotations through sys.modules.

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

# Run as a script (or loaded by path) the repository root may not be importable yet.
_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from deploy.local import processes  # noqa: E402
from deploy.local.console import say  # noqa: E402
from deploy.local.installer import install  # noqa: E402
from deploy.local.kafka_broker import (  # noqa: E402
    kafka_api_versions_ok,
    kafka_state,
    start_kafka,
    stop_kafka,
)
from deploy.local.postgres_server import (  # noqa: E402
    create_databases,
    postgres_ready,
    postgres_state,
    start_postgres,
    stop_postgres,
)
from deploy.local.processes import RunState  # noqa: E402
from deploy.local.redis_server import redis_ping, redis_state, start_redis, stop_redis  # noqa: E402
from deploy.local.stack_config import (  # noqa: E402
    COMPONENTS,
    LOCAL_DIR,
    PG_PASSWORD,
    PG_USER,
    REPO_ROOT,
    SERVICE_DATABASES,
    Endpoints,
    Ports,
    StackError,
    endpoints,
    ports_from_env,
)

__all__ = [
    "COMPONENTS",
    "LOCAL_DIR",
    "PG_PASSWORD",
    "PG_USER",
    "REPO_ROOT",
    "SERVICE_DATABASES",
    "Endpoints",
    "Ports",
    "StackError",
    "create_databases",
    "endpoints",
    "ensure_running",
    "install",
    "kafka_connection",
    "main",
    "ports_from_env",
    "start",
    "start_kafka",
    "start_postgres",
    "start_redis",
    "status_lines",
    "stop",
    "stop_all",
    "stop_kafka",
    "stop_postgres",
    "stop_redis",
]

if TYPE_CHECKING:
    from rapport_events.kafka_security import KafkaConnection

# --------------------------------------------------------------------------- the whole stack


def start(components: Sequence[str] = COMPONENTS, ports: Ports | None = None) -> Endpoints:
    p = ports or ports_from_env()
    with processes.exclusive():
        install(components)
        if "postgres" in components:
            start_postgres(p.postgres)
        if "redis" in components:
            start_redis(p.redis)
        if "kafka" in components:
            start_kafka(p)
    return endpoints(p)


# Reverse order: Kafka's shutdown is the slowest and nothing depends on the others.
_STOP_ORDER: tuple[tuple[str, Callable[[], None]], ...] = (
    ("kafka", stop_kafka),
    ("redis", stop_redis),
    ("postgres", stop_postgres),
)


def stop(components: Sequence[str] = COMPONENTS) -> None:
    """Stops the selected servers; one that fails to stop does not keep the others running."""
    failures: list[str] = []
    with processes.exclusive():
        for name, stop_one in _STOP_ORDER:
            if name not in components:
                continue
            try:
                stop_one()
            except StackError as error:
                failures.append(f"{name}: {error}")
    if failures:
        raise StackError("\n".join(failures))


def ensure_running() -> Endpoints:
    """Installs and starts whatever is missing; returns where the three servers listen."""
    return start(COMPONENTS)


def stop_all() -> None:
    stop(COMPONENTS)


def kafka_connection(ends: Endpoints) -> "KafkaConnection":
    """How the platform's clients log in to this Kafka (as its super user ``rapport``)."""
    from rapport_events.kafka_security import KafkaConnection

    login = ends.kafka_login
    return KafkaConnection.parse(
        ends.kafka_bootstrap,
        security_protocol=login.security_protocol,
        sasl_mechanism=login.sasl_mechanism,
        username=login.username,
        password=login.password,
    )


def status_lines(ports: Ports | None = None) -> list[str]:
    p = ports or ports_from_env()
    ends = endpoints(p)
    checks: list[tuple[str, RunState | None, Callable[[int], bool], str]] = [
        ("postgres", postgres_state(), postgres_ready, ends.pg_dsn),
        ("redis", redis_state(), redis_ping, ends.redis_url),
        ("kafka", kafka_state(), kafka_api_versions_ok, ends.kafka_bootstrap),
    ]
    lines: list[str] = []
    for name, state, healthy, endpoint in checks:
        if state is None:
            lines.append(f"{name:<9} stopped")
            continue
        health = "healthy" if healthy(state.port) else "NOT ANSWERING"
        shown = endpoint if state.port in (p.postgres, p.redis, p.kafka) else f"port {state.port}"
        lines.append(f"{name:<9} running  pid {state.pid:<7} {health:<13} {shown}")
    return lines


# --------------------------------------------------------------------------- the command line


def _parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="stack.py", description="Local PostgreSQL, Redis and Kafka for Rapport."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in [
        ("install", "install what is missing (apt packages, Kafka jars)"),
        ("up", "install, then start (all components unless named)"),
        ("down", "stop (all components unless named); data is kept"),
    ]:
        command = commands.add_parser(name, help=text)
        command.add_argument(
            "components", nargs="*", metavar="COMPONENT", help="postgres|redis|kafka"
        )
    commands.add_parser("status", help="show what runs and whether it answers")
    databases = commands.add_parser("databases", help="create databases if missing")
    databases.add_argument("names", nargs="*", metavar="NAME")
    ingest = commands.add_parser(
        "ingest-user",
        help="let a brand's outside systems publish: its ingestion topic, user and ACLs",
    )
    ingest.add_argument("brand_id", metavar="BRAND_ID")
    ingest.add_argument("--password", help="the user's password (default: a new random one)")
    ingest.add_argument("--partitions", type=int, default=6, help="of a new topic (default 6)")
    args = parser.parse_args(argv)
    unknown = sorted(set(getattr(args, "components", [])) - set(COMPONENTS))
    if unknown:
        parser.error(f"unknown component {', '.join(unknown)}; choose from {', '.join(COMPONENTS)}")
    return args


def _up(components: Sequence[str]) -> None:
    began = time.monotonic()
    ends = start(components)
    say(f"stack up in {time.monotonic() - began:.1f}s")
    login = ends.kafka_login
    kafka = f"{ends.kafka_bootstrap} ({login.sasl_mechanism} user {login.username})"
    shown = {"postgres": ends.pg_dsn, "redis": ends.redis_url, "kafka": kafka}
    for name in components:
        say(f"  {name:<9} {shown[name]}")


def _command(args: argparse.Namespace) -> None:
    if args.command == "status":
        for line in status_lines():
            say(line)
        return
    if args.command == "databases":
        create_databases(args.names or SERVICE_DATABASES)
        return
    if args.command == "ingest-user":
        _ingest_user(args.brand_id, args.password, args.partitions)
        return
    components = tuple(args.components) or COMPONENTS
    if args.command == "install":
        install(components)
        say("install: done")
    elif args.command == "up":
        _up(components)
    else:
        stop(components)


def _ingest_user(brand_id: str, password: str | None, partitions: int) -> None:
    """Prints the settings an integration of the brand publishes with (librdkafka names)."""
    import asyncio

    from rapport_events.ingestion import provision_ingestion

    if kafka_state() is None:
        raise StackError("Kafka is not running; run: stack.py up kafka")
    platform = kafka_connection(endpoints())
    try:
        access = asyncio.run(
            provision_ingestion(platform, brand_id, partitions=partitions, password=password)
        )
    except (ValueError, RuntimeError, OSError) as error:  # aiokafka's errors are RuntimeErrors
        raise StackError(str(error)) from error
    say(f"# {access.username} may write to {access.topic} (and nothing else)")
    for name, value in access.librdkafka_config().items():
        say(f"{name}={value}")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(sys.argv[1:] if argv is None else argv)
    try:
        _command(args)
    except StackError as error:
        say(f"stack.py {args.command}: {error}", stream=sys.stderr)
        return 1
    except KeyboardInterrupt:
        say(f"stack.py {args.command}: interrupted", stream=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
