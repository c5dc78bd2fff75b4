"""Members' phone numbers: mainland China mobiles in one canonical form, ``+86`` and 11 digits."""

from __future__ import annotations

import re
import unicodedata

from identity.domain.errors import InvalidPhone

EXPECTED_FORM = (
    "must be a mainland China mobile number: 11 digits starting with 1, optionally "
    "prefixed with +86 (e.g. 138 1234 5678 or +8613812345678)"
)
COUNTRY_PREFIX = "+86"

# Spaces, dashes, dots and brackets are how people group digits; they carry no meaning.
_SEPARATORS = re.compile(r"[\s\-.()]")
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_INTERNATIONAL_PREFIXES = ("+86", "0086")
_BARE_COUNTRY_CODE = "86"


def normalise_phone(raw: str) -> str:
    """``"138 1234 5678"``, ``"+86-138-1234-5678"``, ``"8613812345678"`` -> ``"+8613812345678"``.

    Raises :class:`InvalidPhone` for anything that is not a mainland China mobile number.
    """
    # NFKC turns full-width digits and plus signs from Chinese input methods into ASCII.
    compact = _SEPARATORS.sub("", unicodedata.normalize("NFKC", raw))
    national = compact
    for prefix in _INTERNATIONAL_PREFIXES:
        if compact.startswith(prefix):
            national = compact[len(prefix) :]
            break
    else:
        if compact.startswith(_BARE_COUNTRY_CODE) and len(compact) == 13:
            national = compact[len(_BARE_COUNTRY_CODE) :]
    if not _MOBILE.fullmatch(national):
        raise InvalidPhone(EXPECTED_FORM)
    return COUNTRY_PREFIX + national


def national_number(phone: str) -> str:
    """The 11 digits of a normalised number, as people read it."""
    return phone.removeprefix(COUNTRY_PREFIX)
