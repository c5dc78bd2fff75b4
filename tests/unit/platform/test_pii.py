import base64
from datetime import date

import pytest
from rapport_platform.pii import (
    DecryptionError,
    FieldCipher,
    blind_index,
    mask_birthday,
    mask_name,
    mask_phone,
)

KEY = base64.b64encode(bytes(range(32))).decode()
OTHER_KEY = base64.b64encode(bytes(range(1, 33))).decode()


def test_a_value_survives_encryption() -> None:
    cipher = FieldCipher(KEY)
    token = cipher.encrypt("13812345678", "members.phone")
    assert token.startswith("v1:")
    assert "13812345678" not in token
    assert cipher.decrypt(token, "members.phone") == "13812345678"


def test_unicode_survives_encryption() -> None:
    cipher = FieldCipher(KEY)
    assert cipher.decrypt(cipher.encrypt("张三丰")) == "张三丰"


def test_encrypting_twice_gives_different_ciphertexts() -> None:
    cipher = FieldCipher(KEY)
    assert cipher.encrypt("same", "c") != cipher.encrypt("same", "c")


def test_a_ciphertext_cannot_move_to_another_column() -> None:
    cipher = FieldCipher(KEY)
    token = cipher.encrypt("13812345678", "members.phone")
    with pytest.raises(DecryptionError, match="does not authenticate"):
        cipher.decrypt(token, "members.name")


def test_a_ciphertext_needs_the_key_it_was_made_with() -> None:
    token = FieldCipher(KEY).encrypt("secret", "c")
    with pytest.raises(DecryptionError):
        FieldCipher(OTHER_KEY).decrypt(token, "c")


def test_a_tampered_ciphertext_is_refused() -> None:
    cipher = FieldCipher(KEY)
    raw = bytearray(base64.b64decode(cipher.encrypt("secret", "c")[3:]))
    raw[-1] ^= 1
    with pytest.raises(DecryptionError):
        cipher.decrypt("v1:" + base64.b64encode(bytes(raw)).decode(), "c")


@pytest.mark.parametrize("token", ["plain text", "v2:AAAA", "v1:", "v1:!!!"])
def test_malformed_ciphertexts_are_refused(token: str) -> None:
    with pytest.raises(DecryptionError):
        FieldCipher(KEY).decrypt(token)


@pytest.mark.parametrize("key", ["not base64!", base64.b64encode(b"short").decode()])
def test_a_bad_key_is_refused(key: str) -> None:
    with pytest.raises(ValueError, match="key must be"):
        FieldCipher(key)


def test_the_blind_index_is_deterministic_and_keyed() -> None:
    first = blind_index(KEY, "13812345678")
    assert first == blind_index(KEY, "13812345678")
    assert len(first) == 64 and int(first, 16) >= 0
    assert first != blind_index(KEY, "13812345679")
    assert first != blind_index(OTHER_KEY, "13812345678")
    assert FieldCipher(KEY).blind_index("13812345678") == first


def test_the_blind_index_key_differs_from_the_encryption_key() -> None:
    # An index computed with the raw master key would let the key's holder skip HKDF.
    import hashlib
    import hmac

    raw = base64.b64decode(KEY)
    naive = hmac.new(raw, b"13812345678", hashlib.sha256).hexdigest()
    assert blind_index(KEY, "13812345678") != naive


@pytest.mark.parametrize(
    ("phone", "masked"),
    [("13812345678", "138****5678"), (" 13812345678 ", "138****5678"), ("12345", "*****")],
)
def test_mask_phone(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked


@pytest.mark.parametrize(
    ("name", "masked"),
    [("张三丰", "张**"), ("李四", "李*"), ("Ann", "A**"), ("王", "王*"), ("", "")],
)
def test_mask_name(name: str, masked: str) -> None:
    assert mask_name(name) == masked


def test_mask_birthday_keeps_only_the_year() -> None:
    assert mask_birthday(date(1990, 5, 17)) == "1990-**-**"
    assert mask_birthday("1985-12-01") == "1985-**-**"
    assert mask_birthday("garbage") == "****-**-**"
