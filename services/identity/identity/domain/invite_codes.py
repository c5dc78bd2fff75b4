"""Associates' invite codes, printed under their personal QR code and typed in by hand.

The alphabet leaves out 0/O and 1/I so that a code read aloud or off a poster is typed right.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from identity.domain.errors import InvalidInviteCode

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
LENGTH = 8
_LETTERS = "".join(sorted(set(ALPHABET + ALPHABET.lower()) - {"i", "o"}))
PATTERN = f"^[ -]*(?:[{_LETTERS}][ -]*){{{LENGTH}}}$"
"""What :func:`parse_invite_code` reads, for API documents: the code in either case, with
spaces and dashes anywhere."""

RandomBelow = Callable[[int], int]
"""A random source: ``random_below(n)`` is uniform in ``[0, n)``, like ``secrets.randbelow``."""

_SEPARATORS = re.compile(r"[\s-]")


def new_invite_code(random_below: RandomBelow) -> str:
    return "".join(ALPHABET[random_below(len(ALPHABET))] for _ in range(LENGTH))


def parse_invite_code(raw: str) -> str:
    """The canonical code: upper case, spaces and dashes dropped (``"abcd-2345"`` reads fine)."""
    code = _SEPARATORS.sub("", raw).upper()
    if len(code) != LENGTH or any(character not in ALPHABET for character in code):
        raise InvalidInviteCode(f"must be {LENGTH} characters from {ALPHABET} (no 0, O, 1 or I)")
    return code
