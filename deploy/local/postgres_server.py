"""The local PostgreSQL: its data directory in .local/postgres/, started and stopped by pg_ctl."""

import os
import pwd
import re
import shlex
import subprocess
from collections.abc import Sequence
from pathlib import Path

from deploy.local import processes
from deploy.local.console import say
from deploy.local.installer import pg_tool
from deploy.local.processes import RunState
from deploy.local.stack_config import (
    LOCAL_DIR,
    PG_PASSWORD,
    PG_USER,
    Ports,
    StackError,
    ports_from_env,
)

PG_START_TIMEOUT = 60.0


def _pg_dir() -> Path:
    return LOCAL_DIR / "postgres"


def _pg_data() -> Path:
    return _pg_dir() / "data"


def _pg_socket_dir() -> Path:
    preferred = _pg_dir() / "run"
    # A Unix socket path holds at most 107 bytes, including ".s.PGSQL.NNNNN".
    return preferred if len(str(preferred)) < 90 else Path("/tmp")


# --------------------------------------------------------------------------- running as postgres


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


# --------------------------------------------------------------------------- state and health


def postgres_state() -> RunState | None:
    """The running server according to postmaster.pid; a file left by a crash is removed."""
    pid_file = _pg_data() / "postmaster.pid"
    try:
        lines = pid_file.read_text().splitlines()
        pid, port = int(lines[0]), int(lines[3])
    except (OSError, ValueError, IndexError):
        return None
    command = processes.cmdline(pid)
    if processes.pid_alive(pid) and ("postgres" in command or "postmaster" in command):
        return RunState(pid=pid, port=port)
    # Left behind by a crash; if its pid now belongs to another process the server would refuse
    # to start, so it goes.
    pid_file.unlink(missing_ok=True)
    return None


def postgres_ready(port: int) -> bool:
    done = subprocess.run(
        [pg_tool("pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(port), "-t", "1"],
        check=False,
    )
    if done.returncode != 0:
        return False
    return _psql(port, "SELECT 1", "postgres", check=False) == "1"


def _psql(port: int, sql: str, database: str, *, check: bool = True) -> str | None:
    command = [
        pg_tool("psql"),
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
    return processes.run(command, what=f"psql {sql!r}", env=env).strip()


# --------------------------------------------------------------------------- initdb


def _init_postgres() -> None:
    data = _pg_data()
    if (data / "PG_VERSION").exists():
        return
    say("initialising the PostgreSQL data directory…")
    _pg_dir().mkdir(parents=True, exist_ok=True)
    password_file = _pg_dir() / ".initdb-password"
    password_file.write_text(PG_PASSWORD + "\n")
    password_file.chmod(0o600)
    _give_to_postgres(_pg_dir())
    try:
        _require_postgres_can_write(_pg_dir())
        _initdb(data, password_file)
    finally:
        password_file.unlink(missing_ok=True)
    _configure(data)


def _require_postgres_can_write(directory: Path) -> None:
    reachable = subprocess.run(
        _as_postgres_owner(["test", "-w", str(directory)]), capture_output=True, check=False
    )
    if reachable.returncode != 0:
        raise StackError(
            f"the postgres account cannot write {directory}: a parent directory is closed to it.\n"
            f"Open the parents for traversal (chmod o+x on each) or move the repository."
        )


def _initdb(data: Path, password_file: Path) -> None:
    command = [
        pg_tool("initdb"),
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
    processes.run(_as_postgres_owner(command), what="initdb", cwd=_pg_dir())


def _configure(data: Path) -> None:
    # Only the loopback interface, with a password; the local socket is trusted.
    (data / "pg_hba.conf").write_text("local all all trust\nhost all all 127.0.0.1/32 md5\n")
    with (data / "postgresql.conf").open("a") as conf:
        conf.write("\n# Rapport local stack\nmax_connections = 200\n")
    _give_to_postgres(data)


# --------------------------------------------------------------------------- start and stop


def _already_running(port: int) -> bool:
    state = postgres_state()
    if state is None:
        return False
    if state.port != port:
        raise StackError(
            f"PostgreSQL is already running on port {state.port}, not {port}; "
            f"run `stack.py down postgres` first or set RAPPORT_PG_PORT={state.port}"
        )
    say(f"postgres: already running (pid {state.pid}, 127.0.0.1:{port})")
    return True


def _prepare_run_files() -> tuple[Path, Path]:
    """The socket directory and the log, both writable by the server; returns (socket, log)."""
    socket_dir = _pg_socket_dir()
    if socket_dir != Path("/tmp"):
        socket_dir.mkdir(parents=True, exist_ok=True)
        _give_to_postgres(socket_dir)
    log = _pg_dir() / "postgres.log"
    log.touch()
    _give_to_postgres(log)
    return socket_dir, log


def _pg_ctl_start(port: int, socket_dir: Path, log: Path) -> None:
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
    command = [pg_tool("pg_ctl"), "-D", str(_pg_data()), "-l", str(log), "-o", options]
    timeout = str(int(PG_START_TIMEOUT))
    try:
        # pg_ctl -w waits for the server to report itself ready (or to die) in postmaster.pid.
        processes.run(
            _as_postgres_owner([*command, "-w", "-t", timeout, "start"]),
            what="pg_ctl start",
            cwd=_pg_dir(),
        )
    except StackError as error:
        raise StackError(f"{error}\nend of {log}:\n{processes.tail(log)}") from error


def start_postgres(port: int) -> None:
    if _already_running(port):
        return
    processes.require_free(port, "PostgreSQL", "RAPPORT_PG_PORT")
    _init_postgres()
    socket_dir, log = _prepare_run_files()
    say(f"starting PostgreSQL on 127.0.0.1:{port}…")
    _pg_ctl_start(port, socket_dir, log)
    if not processes.wait_until(
        lambda: postgres_ready(port),
        timeout=PG_START_TIMEOUT,
        alive=lambda: postgres_state() is not None,
    ):
        raise StackError(
            f"PostgreSQL does not answer on port {port}; end of {log}:\n{processes.tail(log)}"
        )
    say(f"postgres: ready on 127.0.0.1:{port}")


def stop_postgres() -> None:
    state = postgres_state()
    if state is None:
        say("postgres: not running")
        return
    say("stopping PostgreSQL…")
    command = [pg_tool("pg_ctl"), "-D", str(_pg_data()), "-m", "fast", "-w", "-t", "60", "stop"]
    processes.run(_as_postgres_owner(command), what="pg_ctl stop", cwd=_pg_dir())
    say("postgres: stopped")


# --------------------------------------------------------------------------- databases


def create_databases(names: Sequence[str], ports: Ports | None = None) -> None:
    """Creates each missing database, owned by the rapport role; starts PostgreSQL if needed."""
    for name in names:
        if re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name) is None:
            raise StackError(f"database name {name!r}: use lower-case letters, digits and _")
    port = (ports or ports_from_env()).postgres
    with processes.exclusive():
        start_postgres(port)
        for name in names:
            query = f"SELECT 1 FROM pg_database WHERE datname = '{name}'"
            if _psql(port, query, "postgres") == "1":
                say(f"database {name}: exists")
                continue
            _psql(port, f'CREATE DATABASE "{name}" OWNER {PG_USER}', "postgres")
            say(f"database {name}: created")
