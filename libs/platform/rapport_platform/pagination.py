"""Keyset pagination: every list the services answer is a page and a cursor to the next.

A cursor is opaque to clients: the sort key of the last item of a page, as URL-safe base64
of a JSON array. Queries fetch one row more than the page size to tell whether another page
follows::

    after = decode_cursor(cursor, (datetime, str)) if cursor else None
    rows = await repository.page(where, after, limit + 1)
    return page_of(rows, limit, key=lambda member: (member.registered_at, member.member_id))
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from rapport_platform.refusals import InvalidCursor, InvalidInput

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200

CursorValue = str | int | datetime
CursorKey = tuple[CursorValue, ...]


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def checked_limit(limit: int, maximum: int = MAX_LIMIT) -> int:
    if not 1 <= limit <= maximum:
        raise InvalidInput("limit", f"must be between 1 and {maximum}")
    return limit


def encode_cursor(key: Sequence[CursorValue]) -> str:
    values = [value.isoformat() if isinstance(value, datetime) else value for value in key]
    raw = json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, shape: Sequence[type]) -> CursorKey:
    """The key a cursor holds, each value of the type ``shape`` gives; refuses anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw.decode())
    except (binascii.Error, UnicodeDecodeError, ValueError) as error:
        raise InvalidCursor() from error
    if not isinstance(values, list) or len(values) != len(shape):
        raise InvalidCursor()
    return tuple(_typed(value, kind) for value, kind in zip(values, shape, strict=True))


def _typed(value: object, kind: type) -> CursorValue:
    if kind is datetime and isinstance(value, str):
        try:
            instant = datetime.fromisoformat(value)
        except ValueError as error:
            raise InvalidCursor() from error
        if instant.tzinfo is None:
            raise InvalidCursor()
        return instant
    if kind is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind is str and isinstance(value, str):
        return value
    raise InvalidCursor()


def page_of(rows: Sequence[T], limit: int, key: Callable[[T], Sequence[CursorValue]]) -> Page[T]:
    """The first ``limit`` of ``rows`` (fetched with one extra) and the cursor after them."""
    items = list(rows[:limit])
    more = len(rows) > limit
    return Page(items=items, next_cursor=encode_cursor(key(items[-1])) if more and items else None)
