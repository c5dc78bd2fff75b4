"""The local Kafka: one KRaft broker and controller on a JVM, its files in .local/kafka/."""

import base64
import hashlib
import secrets
import shutil
import socket
import struct
from pathlib import Path

from deploy.local import processes
from deploy.local.console import say
from deploy.local.installer import java, kafka_dir, kafka_jars_ready, kafka_libs, kafka_version
from deploy.local.processes import RunState
from deploy.local.stack_config import (
    KAFKA_BROKER_PASSWORD,
    KAFKA_BROKER_USER,
    KAFKA_PASSWORD,
    KAFKA_SASL_MECHANISM,
    KAFKA_USER,
    Ports,
    StackError,
)

# A cold JVM on two cores needs most of this on the first start.
KAFKA_START_TIMEOUT = 120.0

_KAFKA_LOG4J2 = """\
Configuration:
  Appenders:
    File:
      name: server
      fileName: "${sys:kafka.logs.dir}/server.log"
      PatternLayout:
        pattern: "[%d] %p %m (%c)%n"
  Loggers:
    Root:
      level: INFO
      AppenderRef:
        ref: server
    Logger:
      - name: kafka.request.logger
        level: WARN
      - name: org.apache.kafka.controller
        level: INFO
      - name: state.change.logger
        level: WARN
"""


def _jaas(module: str, username: str, password: str, **extra: str) -> str:
    options = {"username": username, "password": password, **extra}
    listed = " ".join(f'{name}="{value}"' for name, value in options.items())
    return f"org.apache.kafka.common.security.{module} required {listed};"


def _security_properties() -> dict[str, str]:
    """SCRAM for clients and between brokers, PLAIN towards the controller, ACLs for all.

    Nothing is allowed without an ACL; the platform's services (and the broker itself) are
    super users, an integration's principal gets ACLs on its own ingestion topic only.
    """
    broker, secret = KAFKA_BROKER_USER, KAFKA_BROKER_PASSWORD
    return {
        "listener.security.protocol.map": "CLIENT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT",
        "listener.name.client.sasl.enabled.mechanisms": KAFKA_SASL_MECHANISM,
        "listener.name.client.scram-sha-512.sasl.jaas.config": _jaas(
            "scram.ScramLoginModule", broker, secret
        ),
        "sasl.mechanism.inter.broker.protocol": KAFKA_SASL_MECHANISM,
        "listener.name.controller.sasl.enabled.mechanisms": "PLAIN",
        "listener.name.controller.plain.sasl.jaas.config": _jaas(
            "plain.PlainLoginModule", broker, secret, **{f"user_{broker}": secret}
        ),
        "sasl.mechanism.controller.protocol": "PLAIN",
        "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        "allow.everyone.if.no.acl.found": "false",
        "super.users": f"User:{KAFKA_USER};User:{broker}",
    }


def _kafka_properties(ports: Ports) -> str:
    settings = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "listeners": (
            f"CLIENT://127.0.0.1:{ports.kafka},CONTROLLER://127.0.0.1:{ports.kafka_controller}"
        ),
        "advertised.listeners": f"CLIENT://127.0.0.1:{ports.kafka}",
        "inter.broker.listener.name": "CLIENT",
        "controller.listener.names": "CONTROLLER",
        **_security_properties(),
        "controller.quorum.bootstrap.servers": f"127.0.0.1:{ports.kafka_controller}",
        "log.dirs": str(kafka_dir() / "data"),
        "num.partitions": "3",
        "auto.create.topics.enable": "false",
        "offsets.topic.replication.factor": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "group.initial.rebalance.delay.ms": "0",
    }
    return "".join(f"{key}={value}\n" for key, value in settings.items())


def _kafka_cluster_id() -> str:
    """A Kafka Uuid: 16 random bytes, URL-safe base64 without padding, never starting with '-'."""
    while True:
        candidate = base64.urlsafe_b64encode(secrets.token_bytes(16)).decode().rstrip("=")
        if not candidate.startswith("-"):
            return candidate


def _kafka_classpath() -> str:
    return str(kafka_libs() / "*")


# --------------------------------------------------------------------------- state and health


def kafka_state() -> RunState | None:
    return processes.read_state(kafka_dir() / "run.json", "kafka.Kafka")


def kafka_api_versions_ok(port: int) -> bool:
    """Sends an ApiVersions v0 request: the broker answers it only once its socket server runs."""
    client_id = b"rapport-stack"
    header = struct.pack(">hhih", 18, 0, 7, len(client_id)) + client_id
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2.0) as conn:
            conn.sendall(struct.pack(">i", len(header)) + header)
            reply = b""
            while len(reply) < 10:
                chunk = conn.recv(4096)
                if not chunk:
                    return False
                reply += chunk
    except OSError:
        return False
    correlation_id: int
    error_code: int
    _size, correlation_id, error_code = struct.unpack(">iih", reply[:10])
    return correlation_id == 7 and error_code == 0


# --------------------------------------------------------------------------- preparing a start


def _already_running(ports: Ports) -> bool:
    state = kafka_state()
    if state is None:
        return False
    if state.port != ports.kafka:
        raise StackError(
            f"Kafka is already running on port {state.port}, not {ports.kafka}; "
            f"run `stack.py down kafka` first or set RAPPORT_KAFKA_PORT={state.port}"
        )
    if _read(kafka_dir() / "server.properties") != _kafka_properties(ports).strip():
        # Restarting it here would cut off whoever uses it; the person running it decides.
        raise StackError(
            f"the running Kafka (pid {state.pid}) has an older configuration (before SASL, "
            "perhaps); restart it: stack.py down kafka && stack.py up kafka"
        )
    say(f"kafka: already running (pid {state.pid}, 127.0.0.1:{ports.kafka})")
    return True


def _require_java_and_jars() -> str:
    java_binary = java()
    if java_binary is None:
        raise StackError("Kafka needs Java 17 or newer; run: stack.py install")
    if not kafka_jars_ready():
        raise StackError("the Kafka jars are not resolved yet; run: stack.py install")
    return java_binary


def _scram_users() -> dict[str, str]:
    return {KAFKA_USER: KAFKA_PASSWORD, KAFKA_BROKER_USER: KAFKA_BROKER_PASSWORD}


def _users_fingerprint() -> str:
    """A fingerprint of the users and passwords the storage was formatted with (not them)."""
    listed = ";".join(f"{name}={password}" for name, password in sorted(_scram_users().items()))
    return hashlib.sha256(listed.encode()).hexdigest()


def _formatted_without_these_users() -> bool:
    marker = kafka_dir() / "scram-users.sha256"
    formatted = (kafka_dir() / "data" / "meta.properties").exists()
    return formatted and _read(marker) != _users_fingerprint()


def _read(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""


def _format_kafka_storage(java_binary: str, properties: Path) -> None:
    """Formats the storage once, with the SCRAM credentials of the platform and the broker.

    KRaft keeps SCRAM credentials in the cluster metadata, and on a SCRAM-only listener nobody
    could log in to add them later; so storage formatted before SASL (or with other local
    passwords) is formatted again. Only this machine's development topics are lost.
    """
    if _formatted_without_these_users():
        say("kafka: the storage predates the local SASL users; formatting it again")
        shutil.rmtree(kafka_dir() / "data")
    if (kafka_dir() / "data" / "meta.properties").exists():
        return
    id_file = kafka_dir() / "cluster.id"
    if not id_file.exists():
        id_file.write_text(_kafka_cluster_id() + "\n")
    say("formatting Kafka storage…")
    processes.run(
        _format_command(java_binary, properties, id_file.read_text().strip()),
        what="formatting Kafka storage",
        cwd=kafka_dir(),
    )
    (kafka_dir() / "scram-users.sha256").write_text(_users_fingerprint() + "\n")


def _format_command(java_binary: str, properties: Path, cluster_id: str) -> list[str]:
    scram = [
        f"--add-scram={KAFKA_SASL_MECHANISM}=[name={name},password={password}]"
        for name, password in _scram_users().items()
    ]
    return [
        java_binary,
        f"-Dlog4j2.configurationFile={kafka_dir() / 'log4j2.yaml'}",
        f"-Dkafka.logs.dir={kafka_dir() / 'logs'}",
        "-cp",
        _kafka_classpath(),
        "kafka.tools.StorageTool",
        "format",
        "-t",
        cluster_id,
        "-c",
        str(properties),
        "--standalone",
        *scram,
    ]


def _fresh_logs(logs: Path) -> tuple[Path, Path]:
    """Each start gets a fresh log so that readiness is judged on this run's lines only."""
    server_log = logs / "server.log"
    if server_log.exists():
        server_log.replace(logs / "server.log.1")
    console = logs / "console.out"
    console.write_bytes(b"")
    return server_log, console


def _broker_command(java_binary: str, properties: Path, logs: Path) -> list[str]:
    return [
        java_binary,
        "-Xms256m",
        "-Xmx512m",
        "-XX:+UseG1GC",
        "-Djava.awt.headless=true",
        f"-Dlog4j2.configurationFile={kafka_dir() / 'log4j2.yaml'}",
        f"-Dkafka.logs.dir={logs}",
        "-cp",
        _kafka_classpath(),
        "kafka.Kafka",
        str(properties),
    ]


# --------------------------------------------------------------------------- start and stop


def start_kafka(ports: Ports) -> None:
    if _already_running(ports):
        return
    processes.require_free(ports.kafka, "Kafka", "RAPPORT_KAFKA_PORT")
    processes.require_free(
        ports.kafka_controller, "Kafka controller", "RAPPORT_KAFKA_CONTROLLER_PORT"
    )
    java_binary = _require_java_and_jars()
    directory = kafka_dir()
    logs = directory / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    properties = directory / "server.properties"
    properties.write_text(_kafka_properties(ports))
    (directory / "log4j2.yaml").write_text(_KAFKA_LOG4J2)
    _format_kafka_storage(java_binary, properties)
    server_log, console = _fresh_logs(logs)
    say(f"starting Kafka {kafka_version()} on 127.0.0.1:{ports.kafka}…")
    pid = processes.spawn(
        _broker_command(java_binary, properties, logs), log=console, cwd=directory
    )
    processes.write_state(directory / "run.json", RunState(pid=pid, port=ports.kafka))
    _wait_for_broker(pid, ports.kafka, server_log, console)
    say(f"kafka: ready on 127.0.0.1:{ports.kafka}")


def _wait_for_broker(pid: int, port: int, server_log: Path, console: Path) -> None:
    def ready() -> bool:
        try:
            started = "Kafka Server started" in server_log.read_text(errors="replace")
        except OSError:
            return False
        return started and kafka_api_versions_ok(port)

    if processes.wait_until(
        ready, timeout=KAFKA_START_TIMEOUT, alive=lambda: processes.pid_alive(pid)
    ):
        return
    processes.terminate(pid, timeout=10)
    (kafka_dir() / "run.json").unlink(missing_ok=True)
    raise StackError(
        f"Kafka did not become ready; end of {server_log}:\n{processes.tail(server_log)}\n"
        f"end of {console}:\n{processes.tail(console, 10)}"
    )


def stop_kafka() -> None:
    state = kafka_state()
    if state is None:
        say("kafka: not running")
        return
    say("stopping Kafka…")
    processes.terminate(state.pid)
    (kafka_dir() / "run.json").unlink(missing_ok=True)
    say("kafka: stopped")
