"""Where the tests find PostgreSQL, Kafka and Redis.

First match wins:
1. RAPPORT_TEST_PG_DSN, RAPPORT_TEST_KAFKA and RAPPORT_TEST_REDIS, all three set (with
   RAPPORT_TEST_KAFKA_USERNAME and RAPPORT_TEST_KAFKA_PASSWORD for a broker that wants SASL/SCRAM,
   RAPPORT_TEST_KAFKA_SECURITY_PROTOCOL defaulting to SASL_PLAINTEXT when they are set);
2. a reachable Docker engine: throwaway containers, removed when the session ends (that Kafka
   has no SASL: the tests of authentication and ACLs skip there);
3. the local stack of deploy/local/stack.py on the ports of RAPPORT_PG_PORT, RAPPORT_REDIS_PORT
   and RAPPORT_KAFKA_PORT, started if it is not running (and left running, so the next session
   starts at once), its Kafka with SASL/SCRAM and ACLs.
When none works the tests that need them are skipped, except under CI=true, where that fails.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from rapport_events.kafka_security import KafkaConnection

STACK_SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "local" / "stack.py"
ENVIRONMENT = ("RAPPORT_TEST_PG_DSN", "RAPPORT_TEST_KAFKA", "RAPPORT_TEST_REDIS")


@dataclass(frozen=True)
class Endpoints:
    pg_dsn: str
    kafka: KafkaConnection
    redis_url: str
    origin: str = "environment"

    @property
    def kafka_bootstrap(self) -> str:
        return self.kafka.bootstrap_servers

    def kafka_settings(self) -> dict[str, Any]:
        """The ``ServiceSettings`` fields that make a service reach this Kafka."""
        kafka = self.kafka
        return {
            "kafka_bootstrap": kafka.bootstrap_servers,
            "kafka_security_protocol": kafka.security_protocol,
            "kafka_sasl_mechanism": kafka.sasl_mechanism,
            "kafka_username": kafka.username,
            "kafka_password": kafka.password,
        }

    def kafka_environment(self) -> dict[str, str]:
        """The same as ``RAPPORT_*`` variables, for a service run as a process."""
        return {
            f"RAPPORT_{name.upper()}": str(value) for name, value in self.kafka_settings().items()
        }


@cache
def resolve_endpoints() -> Endpoints:
    pg_dsn, kafka, redis = (os.environ.get(name, "") for name in ENVIRONMENT)
    if pg_dsn and kafka and redis:
        return Endpoints(pg_dsn, _kafka_from_environment(kafka), redis, origin="environment")
    failures: list[str] = []
    if _docker_reachable():
        try:
            return _containers()
        except Exception as error:  # any failure here means: try the next source
            failures.append(f"containers: {error}")
    try:
        return _local_stack()
    except Exception as error:
        failures.append(f"local stack: {error}")
    reason = "no PostgreSQL, Kafka and Redis for the tests (" + "; ".join(failures) + ")"
    if os.environ.get("CI", "").lower() == "true":
        raise RuntimeError(reason)
    pytest.skip(reason)


def authenticating_kafka(endpoints: Endpoints) -> KafkaConnection:
    """The platform's login on a Kafka that has SASL users and ACLs, which the tests of logins
    and grants need. A broker without them (a plain container) skips those tests, except
    under CI=true, where the local stack always has them and nothing may go untested."""
    if not endpoints.kafka.authenticates:
        reason = f"the Kafka of the {endpoints.origin} has no SASL users and no ACLs"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return endpoints.kafka


def _kafka_from_environment(bootstrap: str) -> KafkaConnection:
    username = os.environ.get("RAPPORT_TEST_KAFKA_USERNAME", "")
    return KafkaConnection.parse(
        bootstrap,
        security_protocol=os.environ.get(
            "RAPPORT_TEST_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT" if username else "PLAINTEXT"
        ),
        sasl_mechanism=os.environ.get("RAPPORT_TEST_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512"),
        username=username,
        password=os.environ.get("RAPPORT_TEST_KAFKA_PASSWORD", ""),
    )


def _docker_reachable() -> bool:
    try:
        import docker  # type: ignore[import-untyped]

        client = docker.from_env(timeout=3)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False


_containers_started: list[Any] = []


def _stop_containers() -> None:
    while _containers_started:
        _containers_started.pop().stop()


def _containers() -> Endpoints:
    from testcontainers.community.kafka import KafkaContainer
    from testcontainers.community.postgres import PostgresContainer
    from testcontainers.community.redis import RedisContainer

    postgres = PostgresContainer(
        "postgres:16", username="rapport", password="rapport", dbname="postgres", driver=None
    )
    redis = RedisContainer("redis:7")
    # The module drives Confluent's image; 7.9 is the newest line its KRaft start-up supports.
    kafka = KafkaContainer("confluentinc/cp-kafka:7.9.0").with_kraft()
    for key, value in {
        "KAFKA_AUTO_CREATE_TOPICS_ENABLE": "false",
        "KAFKA_NUM_PARTITIONS": "3",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": "1",
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": "1",
    }.items():
        kafka.with_env(key, value)
    atexit.register(_stop_containers)
    try:
        for container in (postgres, redis, kafka):
            container.start()
            _containers_started.append(container)
    except Exception:
        _stop_containers()
        raise
    redis_host, redis_port = redis.get_container_host_ip(), redis.get_exposed_port(6379)
    return Endpoints(
        pg_dsn=postgres.get_connection_url(),
        kafka=KafkaConnection(kafka.get_bootstrap_server()),
        redis_url=f"redis://{redis_host}:{redis_port}/0",
        origin="containers",
    )


def _load_stack() -> ModuleType:
    name = "rapport_local_stack"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, STACK_SCRIPT)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load {STACK_SCRIPT}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _local_stack() -> Endpoints:
    stack = _load_stack()
    found = stack.ensure_running()
    kafka: KafkaConnection = stack.kafka_connection(found)
    return Endpoints(found.pg_dsn, kafka, found.redis_url, origin="local stack")
