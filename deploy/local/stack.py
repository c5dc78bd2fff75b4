"""PostgreSQL, Redis and Kafka on this machine, for development and tests, without containers.

    uv run python deploy/local/stack.py install | up [COMPONENT...] | down [COMPONENT...]
                                        | status | databases [NAME...]

Data and logs live in <repo>/.local/{postgres,redis,kafka}/. Ports come from RAPPORT_PG_PORT,
RAPPORT_REDIS_PORT, RAPPORT_KAFKA_PORT and RAPPORT_KAFKA_CONTROLLER_PORT. The module is also
loaded by path from the test support code: ensure_running() and stop_all() are its Python API.
"""

# Deliberately no `from __future__ import annotations`: the module is loaded through importlib
# by path, and dataclasses resolve string annotations through sys.modules.

import argparse
import base64
import contextlib
import fcntl
import hashlib
import json
import os
import pwd
import re
import secrets
import shlex
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
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

PG_START_TIMEOUT = 60.0
REDIS_START_TIMEOUT = 30.0
# A cold JVM on two cores needs most of this on the first start.
KAFKA_START_TIMEOUT = 120.0
STOP_TIMEOUT = 60.0
POLL_INTERVAL = 0.1


class StackError(Exception):
    """Something the person running the stack has to act on; the message says what."""


@dataclass(frozen=True)
class Ports:
    postgres: int
    redis: int
    kafka: int
    kafka_controller: int


@dataclass(frozen=True)
class Endpoints:
    pg_dsn: str
    kafka_bootstrap: str
    redis_url: str


def _say(message: str) -> None:
    print(message, flush=True)


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


# --------------------------------------------------------------------------- processes, ports

# Children started by this interpreter are kept referenced so that they can be reaped on stop
# and Popen's finaliser never warns about a server that is meant to outlive the caller.
_CHILDREN: dict[int, "subprocess.Popen[bytes]"] = {}


def _pid_alive(pid: int) -> bool:
    child = _CHILDREN.get(pid)
    if child is not None and child.poll() is not None:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    # The state letter follows the parenthesised command name; Z is a zombie, X is dead.
    return stat.rsplit(")", 1)[-1].split()[0] not in {"Z", "X"}


def _cmdline(pid: int) -> str:
    try:
        return (
            Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        )
    except OSError:
        return ""


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # SO_REUSEADDR ignores sockets in TIME_WAIT but still collides with a listener.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _port_accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _listening_inodes(port: int) -> set[str]:
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and fields[3] == "0A":  # 0A = LISTEN
                inodes.add(fields[9])
    return inodes


def _port_owner(port: int) -> str | None:
    inodes = _listening_inodes(port)
    if not inodes:
        return None
    targets = {f"socket:[{inode}]" for inode in inodes}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            for fd in (proc / "fd").iterdir():
                if os.readlink(fd) in targets:
                    command = (proc / "comm").read_text().strip()
                    return f"pid {proc.name} ({command})"
        except OSError:
            continue
    return None


def _require_free(port: int, what: str, variable: str) -> None:
    if _port_is_free(port):
        return
    owner = _port_owner(port)
    by = f" by {owner}" if owner else " by another process"
    raise StackError(
        f"port {port} ({what}) is already in use{by}, which is not part of this stack.\n"
        f"Stop that process, or pick another port: export {variable}=<free port>"
    )


def _run(
    command: Sequence[str],
    *,
    what: str,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> str:
    try:
        done = subprocess.run(
            list(command),
            capture_output=True,
            text=True,
            env={**os.environ, **(env or {})},
            cwd=cwd,
            check=False,
        )
    except FileNotFoundError as error:
        raise StackError(f"{what} failed: {error}") from error
    if done.returncode != 0:
        output = (done.stdout + done.stderr).strip()
        tail = "\n".join(output.splitlines()[-20:])
        raise StackError(
            f"{what} failed (exit {done.returncode}):\n{tail}\n"
            f"The command was: {shlex.join(command)}"
        )
    return done.stdout


def _tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"({path} is missing)"


def _wait_until(check: Callable[[], bool], *, timeout: float, alive: Callable[[], bool]) -> bool:
    """Polls `check` until it holds; False when the process died or the deadline passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        if not alive():
            return False
        time.sleep(POLL_INTERVAL)
    return check()


def _terminate(pid: int, *, timeout: float = STOP_TIMEOUT) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(POLL_INTERVAL)
    if _pid_alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    child = _CHILDREN.pop(pid, None)
    if child is not None:
        child.wait()


def _spawn(command: Sequence[str], *, log: Path, cwd: Path) -> int:
    with log.open("ab") as output:
        # A new session keeps the server alive when the terminal that started it sends SIGINT.
        child = subprocess.Popen(
            list(command),
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            start_new_session=True,
        )
    _CHILDREN[child.pid] = child
    return child.pid


@dataclass(frozen=True)
class _RunState:
    pid: int
    port: int


def _read_state(path: Path, marker: str) -> _RunState | None:
    """The recorded server, if it still runs; a stale record is removed."""
    try:
        raw = json.loads(path.read_text())
        state = _RunState(pid=int(raw["pid"]), port=int(raw["port"]))
    except (OSError, ValueError, KeyError, TypeError):
        path.unlink(missing_ok=True)
        return None
    if _pid_alive(state.pid) and marker in _cmdline(state.pid):
        return state
    path.unlink(missing_ok=True)
    return None


def _write_state(path: Path, state: _RunState) -> None:
    path.write_text(json.dumps({"pid": state.pid, "port": state.port}) + "\n")


_lock_depth = 0


@contextlib.contextmanager
def _exclusive() -> Iterator[None]:
    """Serialises starts and stops between processes (a test run and `make run`, say)."""
    global _lock_depth
    if _lock_depth:
        _lock_depth += 1
        try:
            yield
        finally:
            _lock_depth -= 1
        return
    LOCAL_DIR.mkdir(parents=True, exist_ok=True)
    with (LOCAL_DIR / "stack.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        _lock_depth = 1
        try:
            yield
        finally:
            _lock_depth = 0
            fcntl.flock(handle, fcntl.LOCK_UN)


# --------------------------------------------------------------------------- installation


def _postgres_bindir() -> Path | None:
    override = os.environ.get("RAPPORT_PG_BIN")
    if override:
        return Path(override)
    candidates = [p.parent for p in Path("/usr/lib/postgresql").glob("*/bin/initdb")]
    versioned = [c for c in candidates if c.parent.name.isdigit()]
    if versioned:
        return max(versioned, key=lambda c: int(c.parent.name))
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _pg_tool(name: str) -> str:
    bindir = _postgres_bindir()
    if bindir is not None and (bindir / name).exists():
        return str(bindir / name)
    found = shutil.which(name)
    if found is None:
        raise StackError(f"PostgreSQL tool {name!r} not found; run: stack.py install")
    return found


def _java_major(java: str) -> int:
    try:
        done = subprocess.run([java, "-version"], capture_output=True, text=True, check=False)
    except OSError:
        return 0
    match = re.search(r'version "(\d+)(?:\.(\d+))?', done.stderr + done.stdout)
    if match is None:
        return 0
    major = int(match.group(1))
    # Java 8 and older report themselves as 1.x.
    return int(match.group(2) or 0) if major == 1 else major


def _java() -> str | None:
    candidates: list[str] = []
    if os.environ.get("JAVA_HOME"):
        candidates.append(str(Path(os.environ["JAVA_HOME"]) / "bin" / "java"))
    on_path = shutil.which("java")
    if on_path:
        candidates.append(on_path)
    candidates += sorted((str(p) for p in Path("/usr/lib/jvm").glob("*/bin/java")), reverse=True)
    for candidate in candidates:
        if Path(candidate).exists() and _java_major(candidate) >= 17:
            return candidate
    return None


def _kafka_version() -> str:
    match = re.search(r"<kafka.version>([^<]+)</kafka.version>", KAFKA_POM.read_text())
    return match.group(1) if match else "?"


def _kafka_dir() -> Path:
    return LOCAL_DIR / "kafka"


def _kafka_libs() -> Path:
    return _kafka_dir() / "libs"


def _kafka_jars_ready() -> bool:
    marker = _kafka_libs() / ".pom-sha256"
    pom_hash = hashlib.sha256(KAFKA_POM.read_bytes()).hexdigest()
    try:
        recorded = marker.read_text().strip()
    except OSError:
        return False
    return recorded == pom_hash and any(_kafka_libs().glob("*.jar"))


def _missing_packages(components: Sequence[str]) -> list[str]:
    missing: list[str] = []
    if "postgres" in components and _postgres_bindir() is None:
        missing.append("postgresql")
    if "redis" in components and shutil.which("redis-server") is None:
        missing.append("redis-server")
    if "kafka" in components:
        if _java() is None:
            missing.append("openjdk-17-jre-headless")
        if not _kafka_jars_ready() and shutil.which("mvn") is None:
            missing.append("maven")
    return missing


def _apt_install(packages: Sequence[str]) -> None:
    by_hand = f"sudo apt-get update && sudo apt-get install -y {' '.join(packages)}"
    if os.geteuid() == 0:
        prefix: list[str] = []
    elif shutil.which("sudo"):
        prefix = ["sudo", "-n"]
    else:
        raise StackError(f"missing {', '.join(packages)} and not root; install by hand: {by_hand}")
    if shutil.which("apt-get") is None:
        raise StackError(f"missing {', '.join(packages)}; this installer knows only apt-get")
    env = {"DEBIAN_FRONTEND": "noninteractive"}
    try:
        _say("updating the apt package index…")
        _run([*prefix, "apt-get", "update"], what="apt-get update", env=env)
        for package in packages:
            _say(f"installing {package}…")
            _run(
                [*prefix, "apt-get", "install", "-y", "--no-install-recommends", package],
                what=f"installing {package}",
                env=env,
            )
    except StackError as error:
        raise StackError(f"{error}\nTo install by hand: {by_hand}") from error


def _resolve_kafka_jars() -> None:
    if _kafka_jars_ready():
        return
    mvn = shutil.which("mvn")
    if mvn is None:
        raise StackError("Maven (mvn) is needed once to fetch Kafka; run: stack.py install")
    libs = _kafka_libs()
    libs.mkdir(parents=True, exist_ok=True)
    for old in libs.glob("*.jar"):
        old.unlink()
    _say(f"resolving Kafka {_kafka_version()} jars from Maven Central…")
    command = [
        mvn,
        "-q",
        "-B",
        "-f",
        str(KAFKA_POM),
        "dependency:copy-dependencies",
        "-DincludeScope=runtime",
        f"-DoutputDirectory={libs}",
    ]
    _run(command, what="resolving the Kafka jars")
    (libs / ".pom-sha256").write_text(hashlib.sha256(KAFKA_POM.read_bytes()).hexdigest() + "\n")


def install(components: Sequence[str] = COMPONENTS) -> None:
    """Installs whatever the selected components lack; quick when nothing is missing."""
    with _exclusive():
        missing = _missing_packages(components)
        if missing:
            _apt_install(missing)
        if "kafka" in components:
            _resolve_kafka_jars()


# --------------------------------------------------------------------------- PostgreSQL


def _pg_dir() -> Path:
    return LOCAL_DIR / "postgres"


def _pg_data() -> Path:
    return _pg_dir() / "data"


def _pg_socket_dir() -> Path:
    preferred = _pg_dir() / "run"
    # A Unix socket path holds at most 107 bytes, including ".s.PGSQL.NNNNN".
    return preferred if len(str(preferred)) < 90 else Path("/tmp")


def _as_postgres_owner(command: Sequence[str]) -> list[str]:
    """PostgreSQL refuses to run as root, so root runs its tools as the postgres account."""
    if os.geteuid() != 0:
        return list(command)
    try:
        pwd.getpwnam("postgres")
    except KeyError as error:
        raise StackError(
            "running as root needs the 'postgres' system account; "
            "install the postgresql package or run as an ordinary user"
        ) from error
    return ["runuser", "-u", "postgres", "--", *command]


def _give_to_postgres(path: Path) -> None:
    if os.geteuid() != 0:
        return
    account = pwd.getpwnam("postgres")
    paths = [path]
    if path.is_dir():
        for root, dirs, files in os.walk(path):
            paths += [Path(root, name) for name in [*dirs, *files]]
    for each in paths:
        os.chown(each, account.pw_uid, account.pw_gid)


def _postgres_state() -> _RunState | None:
    pid_file = _pg_data() / "postmaster.pid"
    try:
        lines = pid_file.read_text().splitlines()
        pid, port = int(lines[0]), int(lines[3])
    except (OSError, ValueError, IndexError):
        return None
    command = _cmdline(pid)
    if _pid_alive(pid) and ("postgres" in command or "postmaster" in command):
        return _RunState(pid=pid, port=port)
    # Left behind by a crash; if its pid now belongs to another process the server would refuse
    # to start, so it goes.
    pid_file.unlink(missing_ok=True)
    return None


def _init_postgres() -> None:
    data = _pg_data()
    if (data / "PG_VERSION").exists():
        return
    _say("initialising the PostgreSQL data directory…")
    _pg_dir().mkdir(parents=True, exist_ok=True)
    password_file = _pg_dir() / ".initdb-password"
    password_file.write_text(PG_PASSWORD + "\n")
    password_file.chmod(0o600)
    _give_to_postgres(_pg_dir())
    reachable = subprocess.run(
        _as_postgres_owner(["test", "-w", str(_pg_dir())]), capture_output=True, check=False
    )
    if reachable.returncode != 0:
        password_file.unlink(missing_ok=True)
        raise StackError(
            f"the postgres account cannot write {_pg_dir()}: a parent directory is closed to it.\n"
            f"Open the parents for traversal (chmod o+x on each) or move the repository."
        )
    try:
        _run(
            _as_postgres_owner(
                [
                    _pg_tool("initdb"),
                    "-D",
                    str(data),
                    "-U",
                    PG_USER,
                    f"--pwfile={password_file}",
                    "--auth-local=trust",
                    "--auth-host=md5",
                    "--encoding=UTF8",
                    "--no-locale",
                ]
            ),
            what="initdb",
            cwd=_pg_dir(),
        )
    finally:
        password_file.unlink(missing_ok=True)
    # Only the loopback interface, with a password; the local socket is trusted.
    (data / "pg_hba.conf").write_text("local all all trust\nhost all all 127.0.0.1/32 md5\n")
    with (data / "postgresql.conf").open("a") as conf:
        conf.write("\n# Rapport local stack\nmax_connections = 200\n")
    _give_to_postgres(data)


def _postgres_ready(port: int) -> bool:
    done = subprocess.run(
        [_pg_tool("pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(port), "-t", "1"],
        check=False,
    )
    if done.returncode != 0:
        return False
    return _psql(port, "SELECT 1", "postgres", check=False) == "1"


def _psql(port: int, sql: str, database: str, *, check: bool = True) -> str | None:
    command = [
        _pg_tool("psql"),
        "-h",
        "127.0.0.1",
        "-p",
        str(port),
        "-U",
        PG_USER,
        "-d",
        database,
        "-v",
        "ON_ERROR_STOP=1",
        "-X",
        "-q",
        "-t",
        "-A",
        "-c",
        sql,
    ]
    env = {"PGPASSWORD": PG_PASSWORD, "PGCONNECT_TIMEOUT": "3"}
    if not check:
        done = subprocess.run(
            command, capture_output=True, text=True, env={**os.environ, **env}, check=False
        )
        return done.stdout.strip() if done.returncode == 0 else None
    return _run(command, what=f"psql {sql!r}", env=env).strip()


def start_postgres(port: int) -> None:
    state = _postgres_state()
    if state is not None:
        if state.port != port:
            raise StackError(
                f"PostgreSQL is already running on port {state.port}, not {port}; "
                f"run `stack.py down postgres` first or set RAPPORT_PG_PORT={state.port}"
            )
        _say(f"postgres: already running (pid {state.pid}, 127.0.0.1:{port})")
        return
    _require_free(port, "PostgreSQL", "RAPPORT_PG_PORT")
    _init_postgres()
    socket_dir = _pg_socket_dir()
    if socket_dir != Path("/tmp"):
        socket_dir.mkdir(parents=True, exist_ok=True)
        _give_to_postgres(socket_dir)
    log = _pg_dir() / "postgres.log"
    log.touch()
    _give_to_postgres(log)
    options = shlex.join(
        [
            "-p",
            str(port),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            f"unix_socket_directories={socket_dir}",
        ]
    )
    _say(f"starting PostgreSQL on 127.0.0.1:{port}…")
    command = [_pg_tool("pg_ctl"), "-D", str(_pg_data()), "-l", str(log), "-o", options]
    timeout = str(int(PG_START_TIMEOUT))
    try:
        # pg_ctl -w waits for the server to report itself ready (or to die) in postmaster.pid.
        _run(
            _as_postgres_owner([*command, "-w", "-t", timeout, "start"]),
            what="pg_ctl start",
            cwd=_pg_dir(),
        )
    except StackError as error:
        raise StackError(f"{error}\nend of {log}:\n{_tail(log)}") from error
    if not _wait_until(
        lambda: _postgres_ready(port),
        timeout=PG_START_TIMEOUT,
        alive=lambda: _postgres_state() is not None,
    ):
        raise StackError(f"PostgreSQL does not answer on port {port}; end of {log}:\n{_tail(log)}")
    _say(f"postgres: ready on 127.0.0.1:{port}")


def stop_postgres() -> None:
    state = _postgres_state()
    if state is None:
        _say("postgres: not running")
        return
    _say("stopping PostgreSQL…")
    command = [_pg_tool("pg_ctl"), "-D", str(_pg_data()), "-m", "fast", "-w", "-t", "60", "stop"]
    _run(_as_postgres_owner(command), what="pg_ctl stop", cwd=_pg_dir())
    _say("postgres: stopped")


def create_databases(names: Sequence[str], ports: Ports | None = None) -> None:
    """Creates each missing database, owned by the rapport role; starts PostgreSQL if needed."""
    for name in names:
        if re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name) is None:
            raise StackError(f"database name {name!r}: use lower-case letters, digits and _")
    port = (ports or ports_from_env()).postgres
    with _exclusive():
        start_postgres(port)
        for name in names:
            query = f"SELECT 1 FROM pg_database WHERE datname = '{name}'"
            if _psql(port, query, "postgres") == "1":
                _say(f"database {name}: exists")
                continue
            _psql(port, f'CREATE DATABASE "{name}" OWNER {PG_USER}', "postgres")
            _say(f"database {name}: created")


# --------------------------------------------------------------------------- Redis


def _redis_dir() -> Path:
    return LOCAL_DIR / "redis"


def _redis_state() -> _RunState | None:
    return _read_state(_redis_dir() / "run.json", "redis")


def _redis_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0) as conn:
            conn.sendall(b"*1\r\n$4\r\nPING\r\n")
            return conn.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def _quote_redis(value: Path) -> str:
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def start_redis(port: int) -> None:
    state = _redis_state()
    if state is not None:
        if state.port != port:
            raise StackError(
                f"Redis is already running on port {state.port}, not {port}; "
                f"run `stack.py down redis` first or set RAPPORT_REDIS_PORT={state.port}"
            )
        _say(f"redis: already running (pid {state.pid}, 127.0.0.1:{port})")
        return
    _require_free(port, "Redis", "RAPPORT_REDIS_PORT")
    server = shutil.which("redis-server")
    if server is None:
        raise StackError("redis-server not found; run: stack.py install")
    directory = _redis_dir()
    directory.mkdir(parents=True, exist_ok=True)
    log = directory / "redis.log"
    conf = directory / "redis.conf"
    conf.write_text(
        "\n".join(
            [
                "bind 127.0.0.1",
                f"port {port}",
                "protected-mode yes",
                "daemonize no",
                f"dir {_quote_redis(directory)}",
                "dbfilename dump.rdb",
                "save 60 1",
                "appendonly no",
                f"logfile {_quote_redis(log)}",
                "",
            ]
        )
    )
    _say(f"starting Redis on 127.0.0.1:{port}…")
    pid = _spawn([server, str(conf)], log=log, cwd=directory)
    _write_state(directory / "run.json", _RunState(pid=pid, port=port))
    if not _wait_until(
        lambda: _redis_ping(port), timeout=REDIS_START_TIMEOUT, alive=lambda: _pid_alive(pid)
    ):
        _terminate(pid, timeout=5)
        (directory / "run.json").unlink(missing_ok=True)
        raise StackError(f"Redis did not answer PING; end of {log}:\n{_tail(log)}")
    _say(f"redis: ready on 127.0.0.1:{port}")


def stop_redis() -> None:
    state = _redis_state()
    if state is None:
        _say("redis: not running")
        return
    _say("stopping Redis…")
    # SIGTERM makes Redis write its snapshot before exiting, so data survives a restart.
    _terminate(state.pid)
    (_redis_dir() / "run.json").unlink(missing_ok=True)
    _say("redis: stopped")


# --------------------------------------------------------------------------- Kafka

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


def _kafka_properties(ports: Ports) -> str:
    settings = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "listeners": (
            f"PLAINTEXT://127.0.0.1:{ports.kafka},CONTROLLER://127.0.0.1:{ports.kafka_controller}"
        ),
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{ports.kafka}",
        "inter.broker.listener.name": "PLAINTEXT",
        "controller.listener.names": "CONTROLLER",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "controller.quorum.bootstrap.servers": f"127.0.0.1:{ports.kafka_controller}",
        "log.dirs": str(_kafka_dir() / "data"),
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


def _kafka_state() -> _RunState | None:
    return _read_state(_kafka_dir() / "run.json", "kafka.Kafka")


def _kafka_api_versions_ok(port: int) -> bool:
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


def _kafka_classpath() -> str:
    return str(_kafka_libs() / "*")


def _format_kafka_storage(java: str, properties: Path) -> None:
    if (_kafka_dir() / "data" / "meta.properties").exists():
        return
    id_file = _kafka_dir() / "cluster.id"
    if not id_file.exists():
        id_file.write_text(_kafka_cluster_id() + "\n")
    cluster_id = id_file.read_text().strip()
    _say("formatting Kafka storage…")
    _run(
        [
            java,
            f"-Dlog4j2.configurationFile={_kafka_dir() / 'log4j2.yaml'}",
            f"-Dkafka.logs.dir={_kafka_dir() / 'logs'}",
            "-cp",
            _kafka_classpath(),
            "kafka.tools.StorageTool",
            "format",
            "-t",
            cluster_id,
            "-c",
            str(properties),
            "--standalone",
            "--ignore-formatted",
        ],
        what="formatting Kafka storage",
        cwd=_kafka_dir(),
    )


def start_kafka(ports: Ports) -> None:
    state = _kafka_state()
    if state is not None:
        if state.port != ports.kafka:
            raise StackError(
                f"Kafka is already running on port {state.port}, not {ports.kafka}; "
                f"run `stack.py down kafka` first or set RAPPORT_KAFKA_PORT={state.port}"
            )
        _say(f"kafka: already running (pid {state.pid}, 127.0.0.1:{ports.kafka})")
        return
    _require_free(ports.kafka, "Kafka", "RAPPORT_KAFKA_PORT")
    _require_free(ports.kafka_controller, "Kafka controller", "RAPPORT_KAFKA_CONTROLLER_PORT")
    java = _java()
    if java is None:
        raise StackError("Kafka needs Java 17 or newer; run: stack.py install")
    if not _kafka_jars_ready():
        raise StackError("the Kafka jars are not resolved yet; run: stack.py install")
    directory = _kafka_dir()
    logs = directory / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    properties = directory / "server.properties"
    properties.write_text(_kafka_properties(ports))
    (directory / "log4j2.yaml").write_text(_KAFKA_LOG4J2)
    _format_kafka_storage(java, properties)
    # Each start gets a fresh log so that readiness is judged on this run's lines only.
    server_log = logs / "server.log"
    if server_log.exists():
        server_log.replace(logs / "server.log.1")
    console = logs / "console.out"
    console.write_bytes(b"")
    _say(f"starting Kafka {_kafka_version()} on 127.0.0.1:{ports.kafka}…")
    command = [
        java,
        "-Xms256m",
        "-Xmx512m",
        "-XX:+UseG1GC",
        "-Djava.awt.headless=true",
        f"-Dlog4j2.configurationFile={directory / 'log4j2.yaml'}",
        f"-Dkafka.logs.dir={logs}",
        "-cp",
        _kafka_classpath(),
        "kafka.Kafka",
        str(properties),
    ]
    pid = _spawn(command, log=console, cwd=directory)
    _write_state(directory / "run.json", _RunState(pid=pid, port=ports.kafka))

    def ready() -> bool:
        try:
            started = "Kafka Server started" in server_log.read_text(errors="replace")
        except OSError:
            return False
        return started and _kafka_api_versions_ok(ports.kafka)

    if not _wait_until(ready, timeout=KAFKA_START_TIMEOUT, alive=lambda: _pid_alive(pid)):
        _terminate(pid, timeout=10)
        (directory / "run.json").unlink(missing_ok=True)
        raise StackError(
            f"Kafka did not become ready; end of {server_log}:\n{_tail(server_log)}\n"
            f"end of {console}:\n{_tail(console, 10)}"
        )
    _say(f"kafka: ready on 127.0.0.1:{ports.kafka}")


def stop_kafka() -> None:
    state = _kafka_state()
    if state is None:
        _say("kafka: not running")
        return
    _say("stopping Kafka…")
    _terminate(state.pid)
    (_kafka_dir() / "run.json").unlink(missing_ok=True)
    _say("kafka: stopped")


# --------------------------------------------------------------------------- the whole stack


def start(components: Sequence[str] = COMPONENTS, ports: Ports | None = None) -> Endpoints:
    p = ports or ports_from_env()
    with _exclusive():
        install(components)
        if "postgres" in components:
            start_postgres(p.postgres)
        if "redis" in components:
            start_redis(p.redis)
        if "kafka" in components:
            start_kafka(p)
    return endpoints(p)


def stop(components: Sequence[str] = COMPONENTS) -> None:
    with _exclusive():
        # Reverse order: Kafka's shutdown is the slowest and nothing depends on the others.
        if "kafka" in components:
            stop_kafka()
        if "redis" in components:
            stop_redis()
        if "postgres" in components:
            stop_postgres()


def ensure_running() -> Endpoints:
    """Installs and starts whatever is missing; returns where the three servers listen."""
    return start(COMPONENTS)


def stop_all() -> None:
    stop(COMPONENTS)


def status_lines(ports: Ports | None = None) -> list[str]:
    p = ports or ports_from_env()
    ends = endpoints(p)
    checks: list[tuple[str, _RunState | None, Callable[[int], bool], str]] = [
        ("postgres", _postgres_state(), _postgres_ready, ends.pg_dsn),
        ("redis", _redis_state(), _redis_ping, ends.redis_url),
        ("kafka", _kafka_state(), _kafka_api_versions_ok, ends.kafka_bootstrap),
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
    args = parser.parse_args(argv)
    unknown = sorted(set(getattr(args, "components", [])) - set(COMPONENTS))
    if unknown:
        parser.error(f"unknown component {', '.join(unknown)}; choose from {', '.join(COMPONENTS)}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(sys.argv[1:] if argv is None else argv)
    try:
        if args.command == "status":
            for line in status_lines():
                _say(line)
            return 0
        if args.command == "databases":
            create_databases(args.names or SERVICE_DATABASES)
            return 0
        components = tuple(args.components) or COMPONENTS
        if args.command == "install":
            install(components)
            _say("install: done")
        elif args.command == "up":
            began = time.monotonic()
            ends = start(components)
            _say(f"stack up in {time.monotonic() - began:.1f}s")
            shown = {
                "postgres": ends.pg_dsn,
                "redis": ends.redis_url,
                "kafka": ends.kafka_bootstrap,
            }
            for name in components:
                _say(f"  {name:<9} {shown[name]}")
        else:
            stop(components)
    except StackError as error:
        print(f"stack.py {args.command}: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"stack.py {args.command}: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
