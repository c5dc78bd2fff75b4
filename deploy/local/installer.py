"""Finding, and where missing installing, PostgreSQL, Redis, Java and the Kafka jars."""

import hashlib
import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from deploy.local import processes
from deploy.local.console import say
from deploy.local.stack_config import COMPONENTS, KAFKA_POM, LOCAL_DIR, StackError

# --------------------------------------------------------------------------- finding the tools


def postgres_bindir() -> Path | None:
    override = os.environ.get("RAPPORT_PG_BIN")
    if override:
        return Path(override)
    candidates = [p.parent for p in Path("/usr/lib/postgresql").glob("*/bin/initdb")]
    versioned = [c for c in candidates if c.parent.name.isdigit()]
    if versioned:
        return max(versioned, key=lambda c: int(c.parent.name))
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def pg_tool(name: str) -> str:
    bindir = postgres_bindir()
    if bindir is not None and (bindir / name).exists():
        return str(bindir / name)
    found = shutil.which(name)
    if found is None:
        raise StackError(f"PostgreSQL tool {name!r} not found; run: stack.py install")
    return found


def _java_major(java_binary: str) -> int:
    try:
        done = subprocess.run(
            [java_binary, "-version"], capture_output=True, text=True, check=False
        )
    except OSError:
        return 0
    match = re.search(r'version "(\d+)(?:\.(\d+))?', done.stderr + done.stdout)
    if match is None:
        return 0
    major = int(match.group(1))
    # Java 8 and older report themselves as 1.x.
    return int(match.group(2) or 0) if major == 1 else major


def java() -> str | None:
    """A Java 17+ binary: $JAVA_HOME's, the one on PATH, or the newest under /usr/lib/jvm."""
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


# --------------------------------------------------------------------------- the Kafka jars


def kafka_version() -> str:
    match = re.search(r"<kafka.version>([^<]+)</kafka.version>", KAFKA_POM.read_text())
    return match.group(1) if match else "?"


def kafka_dir() -> Path:
    return LOCAL_DIR / "kafka"


def kafka_libs() -> Path:
    return kafka_dir() / "libs"


def kafka_jars_ready() -> bool:
    marker = kafka_libs() / ".pom-sha256"
    pom_hash = hashlib.sha256(KAFKA_POM.read_bytes()).hexdigest()
    try:
        recorded = marker.read_text().strip()
    except OSError:
        return False
    return recorded == pom_hash and any(kafka_libs().glob("*.jar"))


def _resolve_kafka_jars() -> None:
    if kafka_jars_ready():
        return
    mvn = shutil.which("mvn")
    if mvn is None:
        raise StackError("Maven (mvn) is needed once to fetch Kafka; run: stack.py install")
    libs = kafka_libs()
    libs.mkdir(parents=True, exist_ok=True)
    for old in libs.glob("*.jar"):
        old.unlink()
    say(f"resolving Kafka {kafka_version()} jars from Maven Central…")
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
    processes.run(command, what="resolving the Kafka jars")
    (libs / ".pom-sha256").write_text(hashlib.sha256(KAFKA_POM.read_bytes()).hexdigest() + "\n")


# --------------------------------------------------------------------------- system packages


def _missing_packages(components: Sequence[str]) -> list[str]:
    missing: list[str] = []
    if "postgres" in components and postgres_bindir() is None:
        missing.append("postgresql")
    if "redis" in components and shutil.which("redis-server") is None:
        missing.append("redis-server")
    if "kafka" in components:
        if java() is None:
            missing.append("openjdk-17-jre-headless")
        if not kafka_jars_ready() and shutil.which("mvn") is None:
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
        say("updating the apt package index…")
        processes.run([*prefix, "apt-get", "update"], what="apt-get update", env=env)
        for package in packages:
            say(f"installing {package}…")
            processes.run(
                [*prefix, "apt-get", "install", "-y", "--no-install-recommends", package],
                what=f"installing {package}",
                env=env,
            )
    except StackError as error:
        raise StackError(f"{error}\nTo install by hand: {by_hand}") from error


def install(components: Sequence[str] = COMPONENTS) -> None:
    """Installs whatever the selected components lack; quick when nothing is missing."""
    with processes.exclusive():
        missing = _missing_packages(components)
        if missing:
            _apt_install(missing)
        if "kafka" in components:
            _resolve_kafka_jars()
