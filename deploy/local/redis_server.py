"""The local Redis: one redis-server with its config, snapshot and log in .local/redis/."""

import shutil
import socket
from pathlib import Path

from deploy.local import processes
from deploy.local.console import say
from deploy.local.processes import RunState
from deploy.local.stack_config import LOCAL_DIR, StackError

REDIS_START_TIMEOUT = 30.0


def _redis_dir() -> Path:
    return LOCAL_DIR / "redis"


def redis_state() -> RunState | None:
    return processes.read_state(_redis_dir() / "run.json", "redis")


def redis_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0) as conn:
            conn.sendall(b"*1\r\n$4\r\nPING\r\n")
            return conn.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def _quote_redis(value: Path) -> str:
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _redis_conf(port: int, directory: Path, log: Path) -> str:
    return "\n".join(
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


def _already_running(port: int) -> bool:
    state = redis_state()
    if state is None:
        return False
    if state.port != port:
        raise StackError(
            f"Redis is already running on port {state.port}, not {port}; "
            f"run `stack.py down redis` first or set RAPPORT_REDIS_PORT={state.port}"
        )
    say(f"redis: already running (pid {state.pid}, 127.0.0.1:{port})")
    return True


def start_redis(port: int) -> None:
    if _already_running(port):
        return
    processes.require_free(port, "Redis", "RAPPORT_REDIS_PORT")
    server = shutil.which("redis-server")
    if server is None:
        raise StackError("redis-server not found; run: stack.py install")
    directory = _redis_dir()
    directory.mkdir(parents=True, exist_ok=True)
    log = directory / "redis.log"
    conf = directory / "redis.conf"
    conf.write_text(_redis_conf(port, directory, log))
    say(f"starting Redis on 127.0.0.1:{port}…")
    pid = processes.spawn([server, str(conf)], log=log, cwd=directory)
    processes.write_state(directory / "run.json", RunState(pid=pid, port=port))
    if not processes.wait_until(
        lambda: redis_ping(port),
        timeout=REDIS_START_TIMEOUT,
        alive=lambda: processes.pid_alive(pid),
    ):
        processes.terminate(pid, timeout=5)
        (directory / "run.json").unlink(missing_ok=True)
        raise StackError(f"Redis did not answer PING; end of {log}:\n{processes.tail(log)}")
    say(f"redis: ready on 127.0.0.1:{port}")


def stop_redis() -> None:
    state = redis_state()
    if state is None:
        say("redis: not running")
        return
    say("stopping Redis…")
    # SIGTERM makes Redis write its snapshot before exiting, so data survives a restart.
    processes.terminate(state.pid)
    (_redis_dir() / "run.json").unlink(missing_ok=True)
    say("redis: stopped")
