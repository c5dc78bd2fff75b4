"""Cursors round-trip their sort keys and refuse anything a listing did not hand out."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from rapport_platform.pagination import (
    checked_limit,
    decode_cursor,
    encode_cursor,
    page_of,
)
from rapport_platform.refusals import InvalidCursor, InvalidInput

AT = datetime(2026, 3, 1, 10, 30, tzinfo=UTC)


def test_a_cursor_gives_back_the_key_it_was_made_of() -> None:
    cursor = encode_cursor((AT, "mbr_1", 7))
    assert decode_cursor(cursor, (datetime, str, int)) == (AT, "mbr_1", 7)
    assert "=" not in cursor and "/" not in cursor and "+" not in cursor


@pytest.mark.parametrize(
    "cursor",
    [
        "not base64 at all!",
        encode_cursor(("mbr_1",)),  # too short for the shape
        encode_cursor(("yesterday", "mbr_1")),  # not an instant
        encode_cursor(("2026-03-01T10:30:00", "mbr_1")),  # an instant without a zone
        encode_cursor((AT, 7)),  # a number where an id belongs
    ],
)
def test_a_cursor_of_another_shape_is_refused_as_a_cursor(cursor: str) -> None:
    with pytest.raises(InvalidCursor) as refused:
        decode_cursor(cursor, (datetime, str))
    assert refused.value.fields == {"cursor": "is not a cursor returned by this listing"}


def test_a_page_has_a_cursor_only_when_more_rows_follow() -> None:
    rows = [1, 2, 3]
    full = page_of(rows, 2, key=lambda row: (row,))
    assert full.items == [1, 2]
    assert full.next_cursor is not None
    assert decode_cursor(full.next_cursor, (int,)) == (2,)
    last = page_of(rows, 3, key=lambda row: (row,))
    assert last.items == rows and last.next_cursor is None


def test_a_limit_outside_its_range_names_the_limit() -> None:
    assert checked_limit(200) == 200
    for wrong in (0, 201):
        with pytest.raises(InvalidInput) as refused:
            checked_limit(wrong)
        assert refused.value.field == "limit"
