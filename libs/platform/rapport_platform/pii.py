"""Personal data: encryption at rest, blind indexes for lookups, and masking for display.

Both keys are derived from the one ``RAPPORT_PII_KEY`` with HKDF under distinct labels, so
the index key never equals the encryption key. Ciphertexts are bound to their column through
AES-GCM associated data: a phone number's ciphertext copied into the name column fails to
decrypt instead of leaking as a name.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from datetime import date
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import SecretStr

VERSION = "v1"
NONCE_BYTES = 12
ENCRYPTION_LABEL = b"field-encryption"
INDEX_LABEL = b"blind-index"

Key = str | bytes | SecretStr
"""The master key: base64 text (as in ``RAPPORT_PII_KEY``) or 32 raw bytes."""


class DecryptionError(ValueError):
    pass


def _master_key(key: Key) -> bytes:
    if isinstance(key, SecretStr):
        key = key.get_secret_value()
    if isinstance(key, str):
        try:
            key = base64.b64decode(key, validate=True)
        except (binascii.Error, ValueError) as error:
            raise ValueError("the personal-data key must be base64") from error
    if len(key) != 32:
        raise ValueError(f"the personal-data key must be 32 bytes, got {len(key)}")
    return key


def _derive(master: bytes, label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(master)


class FieldCipher:
    """AES-256-GCM encryption of single text values, e.g. one column of one row."""

    def __init__(self, key: Key) -> None:
        master = _master_key(key)
        self._aead = AESGCM(_derive(master, ENCRYPTION_LABEL))
        self._index_key = _derive(master, INDEX_LABEL)

    def encrypt(self, plaintext: str, associated_data: str = "") -> str:
        """``"v1:" + base64(nonce | ciphertext)``; pass the column name as associated data."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), associated_data.encode())
        return f"{VERSION}:{base64.b64encode(nonce + sealed).decode()}"

    def decrypt(self, token: str, associated_data: str = "") -> str:
        version, _, payload = token.partition(":")
        if version != VERSION or not payload:
            raise DecryptionError(f"not a {VERSION} ciphertext")
        try:
            raw = base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError) as error:
            raise DecryptionError("the ciphertext is not valid base64") from error
        nonce, sealed = raw[:NONCE_BYTES], raw[NONCE_BYTES:]
        try:
            return self._aead.decrypt(nonce, sealed, associated_data.encode()).decode()
        except InvalidTag as error:
            raise DecryptionError(
                "the ciphertext does not authenticate: wrong key, wrong associated data or tampered"
            ) from error

    def blind_index(self, value: str) -> str:
        return _hmac_hex(self._index_key, value)


def blind_index(key: Key, value: str) -> str:
    """A keyed, deterministic digest of ``value`` for equality lookups and uniqueness.

    Normalise the value first (e.g. a phone number to its digits): equal inputs only.
    """
    raw = key.get_secret_value() if isinstance(key, SecretStr) else key
    return _hmac_hex(_index_key(raw), value)


@lru_cache(maxsize=8)
def _index_key(key: str | bytes) -> bytes:
    return _derive(_master_key(key), INDEX_LABEL)


def _hmac_hex(key: bytes, value: str) -> str:
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def mask_phone(phone: str) -> str:
    """``13812345678`` -> ``138****5678``: the first 3 and the last 4 characters stay."""
    phone = phone.strip()
    if len(phone) <= 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_name(name: str) -> str:
    """``张三丰`` -> ``张**``: the first character stays."""
    name = name.strip()
    if not name:
        return ""
    return name[0] + "*" * max(len(name) - 1, 1)


def mask_birthday(birthday: date | str) -> str:
    """``1990-05-17`` -> ``1990-**-**``: only the year stays."""
    text = birthday.isoformat() if isinstance(birthday, date) else birthday.strip()
    year = text[:4]
    if not (len(year) == 4 and year.isdigit()):
        return "****-**-**"
    return f"{year}-**-**"
