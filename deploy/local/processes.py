"""The servers as processes: spawning, waiting, terminating, their run files, ports, a lock."""

import contextlib
import fcntl
import json
import os
import shlex
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from deploy.local.stack_config import LOCAL_DIR, StackError

STOP_TIMEOUT = 60.0
POLL_INTERVAL = 0.1

# Children started by this interpreter are kept referenced so that they can be reaped on stop
# and Popen's finaliser never warns about a server that is meant to outlive the caller.
_CHILDREN: dict[int, "subprocess.Popen[bytes]"] = {}


# --------------------------------------------------------------------------- process state


def pid_alive(pid: int) -> bool:
    child = _CHILDREN.get(pid)
    if child is not None and child.poll() is not None:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    # The state letter follows the parenthesised command name; Z is a zombie, X is dead.
    return stat.rsplit(")", 1)[-1].split()[0] not in {"Z", "X"}


def cmdline(pid: int) -> str:
    try:
        return (
            Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        )
    except OSError:
        return ""


@dataclass(frozen=True)
class RunState:
    pid: int
    port: int


def read_state(path: Path, marker: str) -> RunState | None:
    """The recorded server, if it still runs; a stale record is removed."""
    try:
        raw = json.loads(path.read_text())
        state = RunState(pid=int(raw["pid"]), port=int(raw["port"]))
    except (OSError, ValueError, KeyError, TypeError):
        path.unlink(missing_ok=True)
        return None
    if pid_alive(state.pid) and marker in cmdline(state.pid):
        return state
    path.unlink(missing_ok=True)
    return None


def write_state(path: Path, state: RunState) -> None:
    path.write_text(json.dumps({"pid": state.pid, "port": state.port}) + "\n")


# --------------------------------------------------------------------------- ports


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # SO_REUSEADDR ignores sockets in TIME_WAIT but still collides with a listener.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


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


def port_owner(port: int) -> str | None:
    """``pid N (command)`` of the process listening on `port`, when /proc tells."""
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


def require_free(port: int, what: str, variable: str) -> None:
    if port_is_free(port):
        return
    owner = port_owner(port)
    by = f" by {owner}" if owner else " by another process"
    raise StackError(
        f"port {port} ({what}) is already in use{by}, which is not part of this stack.\n"
        f"Stop that process, or pick another port: export {variable}=<free port>"
    )


# --------------------------------------------------------------------------- running commands


def run(
    command: Sequence[str],
    *,
    what: str,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> str:
    """Runs `command` to completion and returns its stdout; StackError with its output if not."""
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
        tail_lines = "\n".join(output.splitlines()[-20:])
        raise StackError(
            f"{what} failed (exit {done.returncode}):\n{tail_lines}\n"
            f"The command was: {shlex.join(command)}"
        )
    return done.stdout


def tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"({path} is missing)"


def wait_until(check: Callable[[], bool], *, timeout: float, alive: Callable[[], bool]) -> bool:
    """Polls `check` until it holds; False when the process died or the deadline passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        if not alive():
            return False
        time.sleep(POLL_INTERVAL)
    return check()


def spawn(command: Sequence[str], *, log: Path, cwd: Path) -> int:
    """Starts a server in the background, its output appended to `log`; returns its pid."""
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


def terminate(pid: int, *, timeout: float = STOP_TIMEOUT) -> None:
    """SIGTERM, then SIGKILL if `pid` still runs after `timeout` seconds."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(POLL_INTERVAL)
    if pid_alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    child = _CHILDREN.pop(pid, None)
    if child is not None:
        child.wait()


# --------------------------------------------------------------------------- the stack lock

_lock_depth = 0


@contextlib.contextmanager
def exclusive() -> Iterator[None]:
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
