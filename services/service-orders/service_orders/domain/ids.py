"""Identifiers: a short type prefix and a random UUID, e.g. ``apt_3f2c…``."""

from __future__ import annotations

from collections.abc import Callable
from uuid import uuid4

APPOINTMENT = "apt"
VISIT = "vis"
PURCHASE = "pur"
REVIEW = "rev"

IdFactory = Callable[[str], str]
"""Makes a new id from a prefix; injected so tests can predict ids."""


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid4().hex}"
