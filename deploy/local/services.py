"""Starting the five services as local processes (``make run`` and the end-to-end tests)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from deploy.local.console import say


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    package: str
    port: int

    @property
    def database(self) -> str:
        return f"rapport_{self.package}"


SERVICES = (
    ServiceSpec("identity", "identity", 8101),
    ServiceSpec("service-orders", "service_orders", 8102),
    ServiceSpec("loyalty", "loyalty", 8103),
    ServiceSpec("journey", "journey", 8104),
    ServiceSpec("notifier", "notifier", 8105),
)


@dataclass
class ServiceProcess:
    spec: ServiceSpec
    port: int
    log_path: Path
    process: subprocess.Popen[bytes]
    _log: IO[bytes] = field(repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def is_ready(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/readyz", timeout=2) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self, grace: float = 15.0) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


def start_service(
    spec: ServiceSpec, *, port: int, environment: Mapping[str, str], log_dir: Path
) -> ServiceProcess:
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{spec.name}.log"
    log = log_path.open("ab")
    env = {**os.environ, **environment, "RAPPORT_HTTP_PORT": str(port)}
    process = subprocess.Popen(
        [sys.executable, "-m", spec.package],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return ServiceProcess(spec, port, log_path, process, log)


class ServiceFailedToStart(RuntimeError):
    pass


def wait_until_ready(
    services: list[ServiceProcess], *, timeout: float = 90.0, report: bool = False
) -> None:
    """Poll each service's /readyz until all answer 200; fail with the log of a dead one."""
    deadline = time.monotonic() + timeout
    pending = list(services)
    while pending:
        for service in list(pending):
            if service.process.poll() is not None:
                raise ServiceFailedToStart(
                    f"{service.spec.name} exited with code {service.process.returncode}; "
                    f"last lines of {service.log_path}:\n{service.log_tail()}"
                )
            if service.is_ready():
                pending.remove(service)
                if report:
                    say(f"  {service.spec.name:<15} ready at {service.url}")
        if pending and time.monotonic() > deadline:
            names = ", ".join(s.spec.name for s in pending)
            tails = "\n\n".join(f"--- {s.spec.name}\n{s.log_tail()}" for s in pending)
            raise ServiceFailedToStart(f"not ready after {timeout:.0f}s: {names}\n{tails}")
        if pending:
            time.sleep(0.2)


def stop_all(services: list[ServiceProcess]) -> None:
    for service in services:
        if service.process.poll() is None:
            service.process.send_signal(signal.SIGTERM)
    for service in services:
        service.stop()
