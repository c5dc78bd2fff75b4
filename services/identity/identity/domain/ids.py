"""Identifiers: a prefix naming the kind of thing, then a random uuid4 in hex."""

from __future__ import annotations

import uuid

BRAND = "brd_"
STORE = "sto_"
STAFF = "stf_"
MEMBER = "mbr_"


def new_id(prefix: str) -> str:
    return prefix + uuid.uuid4().hex
