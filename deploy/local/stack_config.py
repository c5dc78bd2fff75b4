"""What the local stack is: where it keeps its files, its credentials, ports and endpoints."""

import os
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
LOCAL_DIR = REPO_ROOT / ".local"
KAFKA_POM = Path(__file__).resolve().parent / "kafka" / "pom.xml"

PG_USER = "rapport"
PG_PASSWORD = "rapport"
SERVICE_DATABASES = (
    "rapport_identity",
    "rapport_service_orders",
    "rapport_loyalty",
    "rapport_journey",
    "rapport_notifier",
)
COMPONENTS = ("postgres", "redis", "kafka")

# The local broker authenticates every client (SASL/SCRAM) and authorises it (ACLs), as a
# production cluster does, so that what the tests prove about access holds there too. These
# credentials are for this machine only; rapport_platform.settings defaults to the same ones.
KAFKA_SECURITY_PROTOCOL = "SASL_PLAINTEXT"
KAFKA_SASL_MECHANISM = "SCRAM-SHA-512"
KAFKA_USER = "rapport"
KAFKA_PASSWORD = "rapport-local-kafka"
# The broker's own principal: between brokers (SCRAM) and towards the controller (PLAIN, the
# one SASL mechanism a KRaft controller listener offers).
KAFKA_BROKER_USER = "broker"
KAFKA_BROKER_PASSWORD = "rapport-local-broker"


class StackError(Exception):
    """Something the person running the stack has to act on; the message says what."""


@dataclass(frozen=True)
class Ports:
    postgres: int
    redis: int
    kafka: int
    kafka_controller: int


@dataclass(frozen=True)
class KafkaLogin:
    """How a client authenticates to the local broker."""

    security_protocol: str = KAFKA_SECURITY_PROTOCOL
    sasl_mechanism: str = KAFKA_SASL_MECHANISM
    username: str = KAFKA_USER
    password: str = field(default=KAFKA_PASSWORD, repr=False)


@dataclass(frozen=True)
class Endpoints:
    pg_dsn: str
    kafka_bootstrap: str
    redis_url: str
    kafka_login: KafkaLogin = field(default_factory=KafkaLogin)


def _port_from_env(variable: str, default: int) -> int:
    raw = os.environ.get(variable, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= 65535:
        raise StackError(f"{variable}={raw!r} is not a TCP port number (1-65535)")
    return int(raw)


def ports_from_env() -> Ports:
    kafka = _port_from_env("RAPPORT_KAFKA_PORT", 59092)
    return Ports(
        postgres=_port_from_env("RAPPORT_PG_PORT", 55432),
        redis=_port_from_env("RAPPORT_REDIS_PORT", 56379),
        kafka=kafka,
        kafka_controller=_port_from_env("RAPPORT_KAFKA_CONTROLLER_PORT", kafka + 1),
    )


def endpoints(ports: Ports | None = None) -> Endpoints:
    p = ports or ports_from_env()
    return Endpoints(
        pg_dsn=f"postgresql://{PG_USER}:{PG_PASSWORD}@127.0.0.1:{p.postgres}/postgres",
        kafka_bootstrap=f"127.0.0.1:{p.kafka}",
        redis_url=f"redis://127.0.0.1:{p.redis}/0",
    )
