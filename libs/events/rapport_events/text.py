"""Text that no store accepts: the one rule, for requests and for events alike.

PostgreSQL refuses U+0000 in ``text`` and ``jsonb``, and half a surrogate pair is not Unicode
at all; both arrive easily (``"a\\u0000b"`` and ``"\\ud800"`` are valid JSON). Refusing them
where they enter, naming where they were, beats a failure deep in a transaction, repeated on
every retry.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def unstorable(text: str) -> str | None:
    """Why ``text`` cannot be stored, or None when it can."""
    if "\x00" in text:
        return "must not contain the NUL character (U+0000)"
    if any("\ud800" <= char <= "\udfff" for char in text):
        return "must not contain unpaired surrogates (not valid Unicode)"
    return None


def texts(value: Any, where: str) -> Iterator[tuple[str, str]]:
    """Every text in a JSON document, keys included, with the path of its field."""
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield where, str(key)
            yield from texts(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from texts(item, f"{where}[{index}]")


def first_unstorable(value: Any, where: str) -> str | None:
    """``"<path> <why>"`` for the first text of ``value`` that cannot be stored, if any."""
    for path, text in texts(value, where):
        why = unstorable(text)
        if why is not None:
            return f"{path} {why}"
    return None
