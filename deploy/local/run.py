"""``make run``: the whole platform on this machine.

    python deploy/local/run.py             start infrastructure and services, seed, wait for Ctrl-C
    python deploy/local/run.py stop        stop a running `make run` (from another terminal)
    python deploy/local/run.py clock DAYS  move the platform's shared clock forward

Infrastructure (PostgreSQL, Redis, Kafka) runs as local processes managed by ``stack.py``; its
data stays in ``.local/`` between runs. The services log JSON lines to ``.local/logs/``.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from deploy.local import seed, stack  # noqa: E402
from deploy.local.services import (  # noqa: E402
    SERVICES,
    ServiceFailedToStart,
    ServiceProcess,
    start_service,
    stop_all,
    wait_until_ready,
)

LOCAL = ROOT / ".local"
PID_FILE = LOCAL / "run.pid"
LOG_DIR = LOCAL / "logs"


class _Stop(Exception):
    pass


def _raise_stop(signum: int, _frame: object) -> None:
    raise _Stop(signal.Signals(signum).name)


def start() -> int:
    began = time.monotonic()
    print("Rapport: starting PostgreSQL, Redis and Kafka…", flush=True)
    endpoints = stack.ensure_running()
    base = endpoints.pg_dsn.rsplit("/", 1)[0]
    common = {
        "RAPPORT_ENV": "development",
        "RAPPORT_KAFKA_BOOTSTRAP": endpoints.kafka_bootstrap,
        "RAPPORT_REDIS_URL": endpoints.redis_url,
        "RAPPORT_CLOCK": "shared",
    }
    print("Rapport: starting the services…", flush=True)
    signal.signal(signal.SIGTERM, _raise_stop)
    services: list[ServiceProcess] = []
    try:
        for spec in SERVICES:
            environment = {**common, "RAPPORT_DATABASE_URL": f"{base}/{spec.database}"}
            services.append(
                start_service(spec, port=spec.port, environment=environment, log_dir=LOG_DIR)
            )
        wait_until_ready(services, timeout=120, report=True)
        PID_FILE.write_text(str(os.getpid()))
        demo = asyncio.run(seed.seed({s.spec.name: s.url for s in services}))
        _summary(services, demo, time.monotonic() - began)
        _watch(services)
    except (KeyboardInterrupt, _Stop):
        print("\nRapport: stopping…", flush=True)
    except ServiceFailedToStart as failure:
        print(f"Rapport: a service did not start.\n{failure}", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stop_all(services)
        stack.stop_all()
        PID_FILE.unlink(missing_ok=True)
        print("Rapport: stopped. Data is kept in .local/ for the next `make run`.", flush=True)
    return 0


def _watch(services: list[ServiceProcess]) -> None:
    """Wait for Ctrl-C; if a service dies, say so and show its log."""
    reported: set[str] = set()
    while True:
        for service in services:
            code = service.process.poll()
            if code is not None and service.spec.name not in reported:
                reported.add(service.spec.name)
                print(
                    f"Rapport: {service.spec.name} exited with code {code}; "
                    f"its log ({service.log_path}) ends with:\n{service.log_tail(15)}",
                    file=sys.stderr,
                    flush=True,
                )
        time.sleep(1)


def _summary(services: list[ServiceProcess], demo: seed.Demo, seconds: float) -> None:
    print(f"\nRapport is running (ready in {seconds:.0f}s).\n")
    print(f"  {'service':<15} {'API':<24} docs")
    for service in services:
        print(f"  {service.spec.name:<15} {service.url:<24} {service.url}/docs")
    print("\n  Demo brand:", demo.brand_code)
    print(f"    HQ login        POST {services[0].url}/v1/auth/token")
    credentials = (
        f'{{"brand_code": "{demo.brand_code}", "username": "{demo.hq_username}", '
        f'"password": "{demo.hq_password}"}}'
    )
    print(f"                    {credentials}")
    print(f"    HQ token        {demo.hq_token}")
    print(f"    members         {', '.join(demo.member_ids)}")
    print("\n  Move time forward:  make clock DAYS=30   (dormancy rules fire)")
    print(f"  Logs:               {LOG_DIR}/<service>.log")
    print("  Stop:               Ctrl-C, or `make stop` from another terminal\n", flush=True)


def stop() -> int:
    if PID_FILE.exists():
        pid = int(PID_FILE.read_text())
        try:
            os.kill(pid, signal.SIGTERM)
            print(f"Rapport: asked `make run` (pid {pid}) to stop…", flush=True)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and _alive(pid):
                time.sleep(0.2)
        except ProcessLookupError:
            PID_FILE.unlink(missing_ok=True)
    stack.stop_all()
    return 0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def advance_clock(days: float) -> int:
    from rapport_events.clock import advance_shared_clock
    from redis.asyncio import Redis

    async def advance() -> float:
        client = Redis.from_url(stack.endpoints().redis_url)
        try:
            return await advance_shared_clock(client, timedelta(days=days))
        finally:
            await client.aclose()

    offset = asyncio.run(advance())
    print(f"Rapport: the shared clock is now {timedelta(seconds=offset)} ahead of real time.")
    return 0


def main(argv: list[str]) -> int:
    try:
        if not argv or argv[0] == "start":
            return start()
        if argv[0] == "stop":
            return stop()
        if argv[0] == "clock" and len(argv) == 2:
            return advance_clock(float(argv[1]))
    except stack.StackError as problem:
        print(f"Rapport: {problem}", file=sys.stderr)
        return 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
