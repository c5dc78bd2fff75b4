"""``make run``: the whole platform on this machine.

    python deploy/local/run.py              start infrastructure and services, seed, wait for Ctrl-C
    python deploy/local/run.py stop         stop a running `make run` (from another terminal)
    python deploy/local/run.py clock DAYS   move the platform's shared clock forward
    python deploy/local/run.py clock reset  put the shared clock back to real time

Infrastructure (PostgreSQL, Redis, Kafka) runs as local processes managed by ``stack.py``; its
data stays in ``.local/`` between runs. The services log JSON lines to ``.local/logs/``.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import signal
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from deploy.local import processes, redis_server, seed, stack  # noqa: E402
from deploy.local.console import say  # noqa: E402
from deploy.local.services import (  # noqa: E402
    SERVICES,
    ServiceFailedToStart,
    ServiceProcess,
    start_service,
    stop_all,
    wait_until_ready,
)

if TYPE_CHECKING:
    from redis.asyncio import Redis

RUN_SCRIPT = Path(__file__).resolve()
LOCAL = ROOT / ".local"
PID_FILE = LOCAL / "run.pid"
LOG_DIR = LOCAL / "logs"
# Stopping the services and then Kafka, Redis and PostgreSQL can take a while; `make stop`
# waits this long for a `make run` to finish on its own before it kills it and cleans up.
RUN_STOP_TIMEOUT = 120.0
SERVICE_STOP_TIMEOUT = 15.0
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

T = TypeVar("T")


class _Stop(Exception):
    pass


def _raise_stop(signum: int, _frame: object) -> None:
    raise _Stop(signal.Signals(signum).name)


def _ignore_stop_signals() -> None:
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)


# --------------------------------------------------------------------------- the pid file


@dataclass(frozen=True)
class RunRecord:
    """What ``.local/run.pid`` says: the `make run` process and the services it started."""

    pid: int | None
    services: dict[str, int] = field(default_factory=dict)


def _write_record(services: list[ServiceProcess]) -> None:
    LOCAL.mkdir(parents=True, exist_ok=True)
    record = {"pid": os.getpid(), "services": {s.spec.name: s.process.pid for s in services}}
    partial = PID_FILE.with_suffix(".pid.tmp")
    partial.write_text(json.dumps(record) + "\n")
    partial.replace(PID_FILE)  # `make stop` never reads half a file


def _read_record() -> RunRecord | None:
    """None without a pid file; a record with pid None when the file cannot be understood."""
    try:
        text = PID_FILE.read_text().strip()
    except FileNotFoundError:
        return None
    except OSError:
        return RunRecord(pid=None)
    if text.isdigit():  # written by an older run.py: the pid alone
        return RunRecord(pid=int(text))
    try:
        raw = json.loads(text)
        services = {str(name): int(pid) for name, pid in raw.get("services", {}).items()}
        return RunRecord(pid=int(raw["pid"]), services=services)
    except (ValueError, KeyError, TypeError, AttributeError):
        return RunRecord(pid=None)


# --------------------------------------------------------------------------- make run


def start() -> int:
    began = time.monotonic()
    services: list[ServiceProcess] = []
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _raise_stop)
    # Started in the background by a non-interactive shell, a process inherits SIGINT
    # ignored; Ctrl-C (or `kill -INT`) must still stop the platform.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    code = 0
    try:
        _write_record(services)  # at once, so that `make stop` finds a run that is starting
        _start_platform(services)
        demo = asyncio.run(seed.seed({s.spec.name: s.url for s in services}))
        _summary(services, demo, time.monotonic() - began)
        _watch(services)
    except (KeyboardInterrupt, _Stop):
        _ignore_stop_signals()
        say("\nRapport: stopping…")
    except ServiceFailedToStart as failure:
        _ignore_stop_signals()
        say(f"Rapport: a service did not start.\n{failure}", stream=sys.stderr)
        code = 1
    finally:
        _shut_down(services)
    return code


def _start_platform(services: list[ServiceProcess]) -> None:
    """Infrastructure, then the five services; `services` fills up as they start."""
    say("Rapport: starting PostgreSQL, Redis and Kafka…")
    endpoints = stack.ensure_running()
    base = endpoints.pg_dsn.rsplit("/", 1)[0]
    common = {
        "RAPPORT_ENV": "development",
        "RAPPORT_KAFKA_BOOTSTRAP": endpoints.kafka_bootstrap,
        "RAPPORT_REDIS_URL": endpoints.redis_url,
        "RAPPORT_CLOCK": "shared",
    }
    say("Rapport: starting the services…")
    for spec in SERVICES:
        environment = {**common, "RAPPORT_DATABASE_URL": f"{base}/{spec.database}"}
        services.append(
            start_service(spec, port=spec.port, environment=environment, log_dir=LOG_DIR)
        )
        _write_record(services)
    wait_until_ready(services, timeout=120, report=True)


def _shut_down(services: list[ServiceProcess]) -> None:
    """Stops everything `make run` started, whatever happens to stdout; prints last."""
    _ignore_stop_signals()
    try:
        stop_all(services)
    finally:
        try:
            stack.stop_all()
        finally:
            PID_FILE.unlink(missing_ok=True)
    say("Rapport: stopped. Data is kept in .local/ for the next `make run`.")


def _watch(services: list[ServiceProcess]) -> None:
    """Wait for Ctrl-C; if a service dies, say so and show its log."""
    reported: set[str] = set()
    while True:
        for service in services:
            code = service.process.poll()
            if code is not None and service.spec.name not in reported:
                reported.add(service.spec.name)
                say(
                    f"Rapport: {service.spec.name} exited with code {code}; "
                    f"its log ({service.log_path}) ends with:\n{service.log_tail(15)}",
                    stream=sys.stderr,
                )
        time.sleep(1)


def _summary(services: list[ServiceProcess], demo: seed.Demo, seconds: float) -> None:
    lines = [f"\nRapport is running (ready in {seconds:.0f}s).\n"]
    lines.append(f"  {'service':<15} {'API':<24} docs")
    for service in services:
        lines.append(f"  {service.spec.name:<15} {service.url:<24} {service.url}/docs")
    lines += _demo_lines(services[0].url, demo)
    lines.append("\n  Move time forward:  make clock DAYS=30   (dormancy rules fire)")
    lines.append("  Back to real time:  make clock-reset")
    lines.append(f"  Logs:               {LOG_DIR}/<service>.log")
    lines.append("  Stop:               Ctrl-C, or `make stop` from another terminal\n")
    say("\n".join(lines))


def _demo_lines(identity_url: str, demo: seed.Demo) -> list[str]:
    credentials = (
        f'{{"brand_code": "{demo.brand_code}", "username": "{demo.hq_username}", '
        f'"password": "{demo.hq_password}"}}'
    )
    lines = [
        f"\n  Demo brand: {demo.brand_code}",
        f"    HQ login        POST {identity_url}/v1/auth/token",
        f"                    {credentials}",
        f"    staff logins    (brand_code {demo.brand_code}; username / password)",
    ]
    width = max(len(login.who) for login in demo.logins)
    for login in demo.logins:
        lines.append(
            f"                    {login.who:<{width}}  {login.username} / {login.password}"
        )
    lines.append(f"    HQ token        {demo.hq_token}")
    lines.append(f"    members         {', '.join(demo.member_ids)}")
    return lines


# --------------------------------------------------------------------------- make stop


def stop() -> int:
    record = _read_record()
    if record is not None:
        try:
            _stop_run(record)
        finally:
            PID_FILE.unlink(missing_ok=True)
    stack.stop_all()
    return 0


def _stop_run(record: RunRecord) -> None:
    """Asks the recorded `make run` to stop, then stops whatever it left behind."""
    if record.pid is not None and _is_make_run(record.pid):
        say(f"Rapport: asked `make run` (pid {record.pid}) to stop…")
        os.kill(record.pid, signal.SIGTERM)
        if not _wait_for_exit(record.pid, RUN_STOP_TIMEOUT):
            say(f"Rapport: `make run` (pid {record.pid}) did not stop; killing it.")
            processes.terminate(record.pid, timeout=0)
    else:
        shown = "an unreadable pid" if record.pid is None else f"pid {record.pid}"
        say(f"Rapport: {PID_FILE} names {shown}, which is not a running `make run`; removing it.")
    _stop_leftover_services(record.services)


def _wait_for_exit(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while processes.pid_alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def _is_make_run(pid: int) -> bool:
    """Whether `pid` is alive and runs this script (and not a process that reused the pid)."""
    if pid <= 0 or pid == os.getpid() or not processes.pid_alive(pid):
        return False
    try:
        args = [os.fsdecode(a) for a in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")]
    except OSError:
        return False
    try:
        cwd: Path | None = Path(os.readlink(f"/proc/{pid}/cwd"))
    except OSError:
        cwd = None
    for arg in args[1:]:
        if not arg.endswith("run.py"):
            continue
        if cwd is None and arg.endswith("deploy/local/run.py"):
            return True
        if cwd is not None and (cwd / arg).resolve() == RUN_SCRIPT:
            return True
    return False


def _stop_leftover_services(recorded: dict[str, int]) -> None:
    """Services whose `make run` died without stopping them (killed, say)."""
    packages = {spec.name: spec.package for spec in SERVICES}
    for name, pid in recorded.items():
        package = packages.get(name)
        if package is None or not processes.pid_alive(pid):
            continue
        if f"-m {package}" not in processes.cmdline(pid):
            continue  # the pid now belongs to something else
        say(f"Rapport: stopping {name} (pid {pid}), left running by `make run`…")
        processes.terminate(pid, timeout=SERVICE_STOP_TIMEOUT)


# --------------------------------------------------------------------------- the shared clock


def _on_shared_redis(operation: Callable[[Redis], Awaitable[T]]) -> T:
    """Runs `operation` on the platform's Redis, starting Redis for the moment if it is down."""
    started_here = redis_server.redis_state() is None
    if started_here:
        say("Rapport: Redis is not running; starting it for a moment…")
        stack.start(("redis",))
    try:
        return asyncio.run(_with_client(operation))
    finally:
        if started_here:
            stack.stop(("redis",))


async def _with_client(operation: Callable[[Redis], Awaitable[T]]) -> T:
    from redis.asyncio import Redis
    from redis.exceptions import RedisError

    url = stack.endpoints().redis_url
    client = Redis.from_url(url)
    try:
        return await operation(client)
    except RedisError as error:
        raise stack.StackError(f"Redis at {url}: {error}") from error
    finally:
        await client.aclose()


def advance_clock(days: float) -> int:
    from rapport_events.clock import advance_shared_clock

    async def advance(client: Redis) -> float:
        return await advance_shared_clock(client, timedelta(days=days))

    offset = _on_shared_redis(advance)
    say(f"Rapport: the shared clock is now {timedelta(seconds=offset)} ahead of real time.")
    return 0


def reset_clock() -> int:
    from rapport_events.clock import CLOCK_OFFSET_KEY

    async def reset(client: Redis) -> bytes | None:
        async with client.pipeline(transaction=True) as pipe:
            pipe.get(CLOCK_OFFSET_KEY)
            pipe.delete(CLOCK_OFFSET_KEY)
            previous, _deleted = await pipe.execute()
        return previous if isinstance(previous, bytes) else None

    previous = _on_shared_redis(reset)
    if previous is None:
        say("Rapport: the shared clock had no offset; it already follows real time.")
    else:
        offset = timedelta(seconds=float(previous))
        say(
            f"Rapport: the shared clock was {offset} ahead of real time; removed "
            f"{CLOCK_OFFSET_KEY}, so every service follows real time again."
        )
    return 0


def _days(raw: str) -> float | None:
    try:
        days = float(raw)
    except ValueError:
        return None
    return days if math.isfinite(days) else None


def main(argv: list[str]) -> int:
    try:
        if not argv or argv[0] == "start":
            return start()
        if argv[0] == "stop":
            return stop()
        if argv[0] == "clock" and len(argv) == 2:
            if argv[1] == "reset":
                return reset_clock()
            days = _days(argv[1])
            if days is not None:
                return advance_clock(days)
    except stack.StackError as problem:
        say(f"Rapport: {problem}", stream=sys.stderr)
        return 1
    say(__doc__ or "", stream=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
