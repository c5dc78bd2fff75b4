"""`make run`'s printing survives the stdout it is given: a closed pipe, a closed file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

# Prints a line, has its reader go away, then prints the shutdown lines `make run` prints and
# exits; what matters is that it gets to the end and exits cleanly.
SCRIPT = """
import os, sys
sys.path.insert(0, {root!r})
from deploy.local.console import say
say("Rapport is running")
sys.stdin.readline()          # the reader closes the pipe, then lets us go on
say("Rapport: stopping…")
say("Rapport: stopped.")
say("to stderr too", stream=sys.stderr)
open({done!r}, "w").write("reached the end")
"""


def run_with_reader_gone(tmp_path: Path, *, close_stderr: bool) -> tuple[int, str]:
    done = tmp_path / "done"
    child = subprocess.Popen(
        [sys.executable, "-c", SCRIPT.format(root=str(ROOT), done=str(done))],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE if close_stderr else subprocess.DEVNULL,
    )
    assert child.stdout is not None and child.stdin is not None
    assert child.stdout.readline().strip() == b"Rapport is running"
    child.stdout.close()  # like `tee` killed by the same Ctrl-C
    if close_stderr and child.stderr is not None:
        child.stderr.close()
    child.stdin.write(b"go\n")
    child.stdin.close()
    code = child.wait(timeout=30)
    return code, done.read_text() if done.exists() else ""


def test_printing_to_a_closed_pipe_neither_raises_nor_stops_the_shutdown(tmp_path: Path) -> None:
    assert run_with_reader_gone(tmp_path, close_stderr=False) == (0, "reached the end")


def test_both_streams_closed_still_let_the_shutdown_finish(tmp_path: Path) -> None:
    assert run_with_reader_gone(tmp_path, close_stderr=True) == (0, "reached the end")
