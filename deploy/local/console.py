"""Printing that never fails: a closed pipe or terminal must not stop a shutdown half-way.

``make run 2>&1 | tee run.log`` stopped with Ctrl-C kills ``tee`` too, so every later write to
stdout raises BrokenPipeError; a closed terminal gives EIO. :func:`say` swallows such errors and
points the broken stream at /dev/null, so that neither the next print nor the interpreter's
final flush raises again.
"""

import contextlib
import os
import sys
from typing import TextIO


def say(message: str, *, stream: TextIO | None = None) -> None:
    """Prints one message (stdout unless told otherwise) and flushes; never raises for I/O."""
    target = sys.stdout if stream is None else stream
    try:
        print(message, file=target, flush=True)
    except (OSError, ValueError):  # BrokenPipeError, EIO; ValueError: the stream is closed
        silence(target)


def silence(stream: TextIO) -> None:
    """Sends whatever is still written to `stream` (and to its file descriptor) to /dev/null."""
    devnull = open(os.devnull, "w")  # noqa: SIM115 - it replaces a standard stream for good
    # Replacing the descriptor also lets the final flush of the old buffer at exit succeed.
    with contextlib.suppress(OSError, ValueError, AttributeError):
        os.dup2(devnull.fileno(), stream.fileno())
    if stream is sys.stdout or stream is sys.__stdout__:
        sys.stdout = devnull
    elif stream is sys.stderr or stream is sys.__stderr__:
        sys.stderr = devnull
    else:
        devnull.close()
