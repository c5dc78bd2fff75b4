"""Checks on the free-text and identifier inputs of commands."""

from __future__ import annotations

from service_orders.domain.errors import InvalidField

MAX_ID_LENGTH = 100


def required_text(field: str, value: str, *, max_length: int = MAX_ID_LENGTH) -> str:
    """``value`` without surrounding blanks; refused when empty or longer than ``max_length``."""
    text = value.strip()
    if not text:
        raise InvalidField(field, f"{field} must not be blank")
    if len(text) > max_length:
        raise InvalidField(
            field, f"{field} must be at most {max_length} characters, got {len(text)}"
        )
    return text


def optional_text(field: str, value: str | None, *, max_length: int = MAX_ID_LENGTH) -> str | None:
    return None if value is None else required_text(field, value, max_length=max_length)


def identifier(field: str, value: str) -> str:
    """An id another system chose, kept exactly as given: refused when blank, padded with
    blanks (it would never match itself once trimmed) or longer than the ids of the platform."""
    if value != value.strip():
        raise InvalidField(field, f"{field} must not begin or end with blanks")
    return required_text(field, value)
